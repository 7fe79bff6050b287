"""`parley` as an operator runs it, in a process of its own: an environment holding only what the
test sets (and no way off the machine), the loopback model as its endpoint, a free port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = "http://127.0.0.1:9"
A_PROCESS = 20.0  # seconds: `parley run` starts a Python process before it answers


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without Parley's settings, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "OPENAI_"))}
    # Anything that tries to leave the machine meets a closed loopback port instead.
    nowhere = {name: CLOSED_PORT for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    return {**clean, **nowhere, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost", **env}


def endpoint(server: FakeOpenAI) -> dict[str, str]:
    """The settings that point Parley at the loopback model."""
    return {
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "test-key",
        "PARLEY_LLM__PROVIDER": "openai",
        "PARLEY_LLM__MODEL": "fake-model",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def parley(*args: str, env: dict[str, str], cwd: Path, stdin: bytes = b"") -> tuple[int, str, str]:
    """`parley *args` run to its end: its exit code, what it printed and what it logged."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=environment(env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@asynccontextmanager
async def running(env: dict[str, str], cwd: Path, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`parley run *args` while the block runs, stopped as a service manager stops it (SIGTERM)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=cwd,
        env=environment(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)
