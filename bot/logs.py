"""Logging set-up and secret redaction: plain text for a terminal, one JSON object a line for a
PaaS log drain, and every secret setting's value replaced in each line, whatever logged it."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_NOISY = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "aiosqlite", "asyncio")


class RedactingFormatter(logging.Formatter):
    """Secrets never reach the log, not even inside a library's exception text (python-telegram-bot
    puts a refused token in its error message)."""

    secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        text = self.render(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def render(self, record: logging.LogRecord) -> str:
        return super().format(record)


class JsonFormatter(RedactingFormatter):
    def render(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = (
        JsonFormatter()
        if fmt == "json"
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    formatter.secrets = tuple(secret for secret in secrets if len(secret) >= 6)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries log request lines (some platforms put tokens in URLs): keep them quiet.
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
