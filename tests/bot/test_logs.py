"""Logs never carry a secret, not even inside a library's exception text."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import setup_logging

TOKEN = "123456:SECRET-bot-token"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_redacted_in_messages_and_tracebacks(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging("INFO", fmt, (TOKEN, "short"))
        log = logging.getLogger("parley.test")
        log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
        except ValueError:
            log.exception("start failed")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    written = stream.getvalue()
    assert TOKEN not in written
    assert written.count("<redacted>") == 2
    if fmt == "json":
        assert all(json.loads(line)["level"] in {"INFO", "ERROR"} for line in written.splitlines())
