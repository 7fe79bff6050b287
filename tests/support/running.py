"""`parley run` as a process a test starts, kills and starts again, with what it logs kept in a
file (a burst logs more than a pipe holds unread)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.process import ROOT, environment


@dataclass
class Run:
    process: asyncio.subprocess.Process
    log: Path

    def logged(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@asynccontextmanager
async def parley_run(env: dict[str, str], cwd: Path, name: str, *args: str) -> AsyncIterator[Run]:
    """`parley run`, what it logs in a file (a burst logs more than a pipe holds unread);
    killed if the test leaves it running."""
    log = cwd / f"{name}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *args,
            cwd=cwd,
            env={**environment(env), "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=sink,
        )
        try:
            yield Run(process, log)
        finally:
            if process.returncode is None:
                process.kill()
            await asyncio.wait_for(process.wait(), timeout=30)


async def stopped(run: Run, how: signal.Signals) -> int:
    """The process stopped `how`, waited for; its exit code."""
    if how is not signal.SIGKILL:
        return await asyncio.wait_for(run.process.wait(), timeout=35)
    return await asyncio.wait_for(run.process.wait(), timeout=10)
