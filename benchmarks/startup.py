"""Figure 6: from `parley run` to ready (its /healthz answering) with a 1 GB database, beside a
start with a new database. Nothing at start may grow with the database."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, progress
from facilitator.store.migrations import LATEST

DATA = Path(__file__).parent / "results" / "data"
GB = 1000**3


async def large_database(path: Path, size: int) -> Path:
    """A database of at least `size` bytes, kept between runs (it takes a while to make)."""
    if await asyncio.to_thread(_usable, path, size):
        return path
    per_conversation = max(10, size // (200 * 650))  # a stored message takes 650 to 750 bytes
    progress(f"startup: making a {size / GB:.2f} GB database (once; kept in {path.parent})")
    await fixtures.stored_history(path, 200, per_conversation, text_chars=600)
    return path


def _usable(path: Path, size: int) -> bool:
    """Whether a kept database is big enough and current; if not, room is made for a new one."""
    if path.exists() and path.stat().st_size >= size:
        db = sqlite3.connect(path)
        try:
            if int(db.execute("PRAGMA user_version").fetchone()[0]) == LATEST:
                return True
        finally:
            db.close()
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command() -> list[str]:
    installed = Path(sys.executable).with_name("parley")
    return [str(installed), "run"] if installed.exists() else [sys.executable, "-m", "bot", "run"]


async def _healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status = await reader.readline()
        return b" 200 " in status
    except OSError:
        return False
    finally:
        writer.close()


async def time_to_ready(database: Path | str) -> float:
    """From `parley run` to its /healthz answering, on a SQLite file or a database URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database if isinstance(database, str) else f"sqlite:///{database}",
        "PORT": str(port),
        "OPENAI_API_KEY": "bench",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # never asked at start
        "PARLEY_LLM__MODEL": "fake-model",
        "PARLEY_LOG__LEVEL": "WARNING",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *_command(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        while not await _healthy(port):
            if process.returncode is not None or time.perf_counter() - started > 60:
                assert process.stderr is not None
                raise RuntimeError(
                    f"parley run did not become ready: {(await process.stderr.read()).decode()}"
                )
            await asyncio.sleep(0.001)
        return time.perf_counter() - started
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def measure(quick: bool) -> list[Figure]:
    runs = 1 if quick else 5
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        if quick:
            large = await fixtures.stored_history(Path(tmp, "small.db"), 20, 200, text_chars=600)
        else:
            large = await large_database(DATA / "startup-1gb.db", GB)
        size = (await asyncio.to_thread(large.stat)).st_size
        await time_to_ready(large)  # the first start warms the interpreter's own files
        with_data, fresh = [], []
        for run in range(runs):
            with_data.append(await time_to_ready(large))
            new = Path(tmp, f"new-{run}.db")
            fresh.append(await time_to_ready(new))
            progress(
                f"startup run {run + 1}/{runs}: {with_data[-1]:.2f} s with {size:,} bytes,"
                f" {fresh[-1]:.2f} s new"
            )
    shown = f"{size / GB:.2f} GB" if size >= GB / 10 else f"{size / 1000**2:.0f} MB"
    return [
        figure(
            6,
            "startup_large",
            f"`parley run` to ready, {shown} database",
            with_data,
            "s",
            at_most=1.0,
            target="≤ 1 s",
            database_bytes=size,
        ),
        figure(6, "startup_new", "`parley run` to ready, new database", fresh, "s", target="reported"),
    ]


if __name__ == "__main__":
    main(measure)
