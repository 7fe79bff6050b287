"""One way for a test to wait for what Parley does in the background."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

WITHIN = 10.0  # seconds: long enough for a loaded CI machine, short enough to fail a stuck test
POLL = 0.01


@overload
async def until(condition: Callable[[], Awaitable[T]], within: float = ..., what: str = ...) -> T: ...


@overload
async def until(condition: Callable[[], T], within: float = ..., what: str = ...) -> T: ...


async def until(condition: Callable[[], Any], within: float = WITHIN, what: str = "") -> Any:
    """Wait until `condition()` is truthy (it may be async) and return what it gave; fail the
    test after `within` seconds, saying what was awaited (`what`, else the condition's source)."""
    deadline = time.monotonic() + within
    while True:
        found = condition()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {within:g} s in vain for {what or _described(condition)}")
        await asyncio.sleep(POLL)


def _described(condition: Callable[[], object]) -> str:
    """The condition as written in the test (a lambda's source line), or its name."""
    try:
        source = inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return getattr(condition, "__qualname__", repr(condition))
    return source if len(source) <= 200 else source[:197] + "..."
