"""Blocking work in a daemon thread: results and errors come back; a stuck call holds nothing up."""

from __future__ import annotations

import asyncio
import threading

import pytest

from facilitator.daemon_threads import in_daemon_thread


async def test_the_result_and_the_error_come_back() -> None:
    assert await in_daemon_thread(lambda: 6 * 7) == 42
    with pytest.raises(ZeroDivisionError):
        await in_daemon_thread(lambda: 1 / 0)


async def test_a_call_that_never_returns_can_be_abandoned() -> None:
    forever = threading.Event()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(in_daemon_thread(forever.wait, name="stuck"), timeout=0.05)
    stuck = [t for t in threading.enumerate() if t.name == "stuck"]
    assert stuck and all(t.daemon for t in stuck)  # so the interpreter can still exit
    forever.set()
