"""The `parley` command as an operator runs it: a real process against the loopback model."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.support import until
from tests.support.process import A_PROCESS, endpoint, environment, free_port, parley


async def test_shell_script_prints_what_the_ai_did(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    fake_model.script("Try the museum.", "It opens at ten.")
    script = tmp_path / "chat.txt"
    script.write_text(
        "# comments are skipped\nalice: hi all\nbob: @parley ideas for Saturday?\n"
        "alice: nice\nalice: Parley, when does it open?\n/usage\n",
        encoding="utf-8",
    )
    code, out, err = await parley("shell", "--script", str(script), env=endpoint(fake_model), cwd=tmp_path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == ["Parley: Try the museum.", "Parley: It opens at ten."]
    assert lines[2].startswith("Parley: Today (") and "1 answer" in lines[2]  # /usage by alice
    assert (tmp_path / "parley.db").exists()


async def test_migrate_creates_and_then_finds_the_schema_current(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/data/p.db"}
    code, out, _ = await parley("migrate", env=env, cwd=tmp_path)
    assert code == 0 and "applied step(s) 1" in out
    code, out, _ = await parley("migrate", env=env, cwd=tmp_path)
    assert code == 0 and "up to date" in out


async def test_the_kill_switch_is_kept_in_the_database(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/p.db", "PARLEY_BOT__SWITCHED_OFF": '["slack:T0SETTINGS"]'}
    code, out, _ = await parley("off", "telegram:-1001234", env=env, cwd=tmp_path)
    assert code == 0 and "telegram:-1001234: the AI is off" in out
    code, out, _ = await parley("off", env=env, cwd=tmp_path)
    assert "switched off: slack:T0SETTINGS, telegram:-1001234" in out
    code, out, _ = await parley("on", "telegram:-1001234", env=env, cwd=tmp_path)
    assert code == 0 and "the AI is on" in out
    code, out, _ = await parley("off", env=env, cwd=tmp_path)
    assert "switched off: slack:T0SETTINGS" in out and "telegram" not in out
    code, _, err = await parley("off", "the-lounge", env=env, cwd=tmp_path)
    assert code == 2 and "give platform:id" in err


async def test_check_reaches_the_model_and_says_ready(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    code, out, _ = await parley("check", env=endpoint(fake_model), cwd=tmp_path)
    assert code == 0, out
    assert "model: OK (fake-model at " in out
    assert out.strip().endswith("verdict: ready")


async def test_check_says_not_ready_when_the_model_is_down(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    fake_model.default = Reply(status=500)
    code, out, _ = await parley(
        "check", env={**endpoint(fake_model), "PARLEY_LLM__MAX_RETRIES": "0"}, cwd=tmp_path
    )
    assert code == 1
    assert "model: PROBLEM: the endpoint did not answer (unavailable)" in out
    assert "verdict: NOT READY (1 problem)" in out


async def test_a_wrong_setting_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    code, _out, err = await parley("check", env={"PARLEY_GROUPS__SIZE_LIMIT": "-3"}, cwd=tmp_path)
    assert code == 2
    assert "setting groups.size_limit: Input should be greater than or equal to 0" in err
    assert "Traceback" not in err


async def test_no_model_configured_says_how_to_configure_one(tmp_path: Path) -> None:
    code, _out, err = await parley(
        "shell", "--script", "/dev/null", env={"PARLEY_LLM__PROVIDER": "openai"}, cwd=tmp_path
    )
    assert code == 2
    assert "no model is configured: set OPENAI_API_KEY" in err
    assert "Traceback" not in err


async def test_run_serves_healthz_on_port_and_stops_cleanly(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    port = free_port()
    env = environment({**endpoint(fake_model), "PORT": str(port), "PARLEY_HTTP__HOST": "127.0.0.1"})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def healthz() -> bytes:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:  # not listening yet
                return b""
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            body = await reader.read()
            writer.close()
            return body

        body = await until(healthz, within=A_PROCESS, what=f"/healthz answering on port {port}")
        assert body.startswith(b"HTTP/1.1 200")
        assert b'"status": "ok"' in body
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode()
    assert "No chat platform is configured yet" in err.decode()


async def test_secrets_never_reach_the_logs_even_at_debug(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    secret = "sk-canary-5d41402abc4b2a76"
    script = tmp_path / "chat.txt"
    script.write_text("alice: @parley hello\n", encoding="utf-8")
    env = {**endpoint(fake_model), "OPENAI_API_KEY": secret, "PARLEY_LOG__LEVEL": "DEBUG"}
    code, out, err = await parley("shell", "--script", str(script), "--verbose", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "facilitator.core" in err  # the debug log did run
    assert secret not in out and secret not in err
    json_logs = {**env, "PARLEY_LOG__FORMAT": "json"}
    code, out, err = await parley("shell", "--script", str(script), "--verbose", env=json_logs, cwd=tmp_path)
    assert code == 0
    assert secret not in out and secret not in err
    records = [json.loads(line) for line in err.splitlines()]  # one JSON object a line
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)


def _ctrl_c_at_the_prompt(env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    import pty
    import select
    import time

    pid, terminal = pty.fork()
    if pid == 0:  # the child: parley in a real terminal
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "bot", "shell"], env)
    seen, pressed = b"", False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.2)
        if ready:
            try:
                seen += os.read(terminal, 4096)
            except OSError:  # the terminal closed: parley has exited
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status), seen
        if not pressed and seen.endswith(b"you> "):
            os.write(terminal, b"\x03")
            pressed = True
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return os.waitstatus_to_exitcode(status), seen
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -1, seen


async def test_ctrl_c_at_the_prompt_leaves_at_once(fake_model: FakeOpenAI, tmp_path: Path) -> None:
    code, seen = await asyncio.to_thread(_ctrl_c_at_the_prompt, environment(endpoint(fake_model)), tmp_path)
    assert b"you> " in seen
    assert code == 130


async def test_run_without_platforms_or_port_talks_through_the_shell(
    fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    code, out, err = await parley(
        "run", env=endpoint(fake_model), cwd=tmp_path, stdin=b"alice: hi\nbob: @parley hello\n"
    )
    assert code == 0, err
    assert "No chat platform is configured yet" in err
    assert out.splitlines()[-1] == "Parley: Hello from the fake model."


async def test_usage_exports_members_and_groups_as_csv(tmp_path: Path) -> None:
    from facilitator.store.sqlite import SqliteStore

    store = await SqliteStore.open(tmp_path / "p.db")
    await store.record_usage("slack", "U1", 100, 20)
    await store.record_usage("slack", "U1", 50, 10, images=1)
    await store.record_usage("slack", "group:C1", 150, 30, images=1, replies=2)  # the members' answers there
    await store.record_usage("slack", "auto:C1", 30, 5, replies=0)  # a decision that stayed silent
    await store.close()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    code, out, err = await parley("usage", "--csv", env=env, cwd=tmp_path)
    assert code == 0, err
    header, *rows = [line.split(",") for line in out.strip().splitlines()]
    assert header == [
        "day",
        "platform",
        "account",
        "kind",
        "answers",
        "prompt_tokens",
        "completion_tokens",
        "images",
    ]
    assert [row[1:] for row in rows] == [  # by day, platform and account
        ["slack", "U1", "member", "2", "150", "30", "1"],
        ["slack", "auto:C1", "unprompted", "0", "30", "5", "0"],
        ["slack", "group:C1", "group", "2", "150", "30", "1"],
    ]
    code, out, _ = await parley("usage", env=env, cwd=tmp_path)
    assert "3 account-days, 2 answers, 215 tokens" in out  # a group's totals are not counted twice
