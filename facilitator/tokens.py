"""Counting tokens: tiktoken where the model is known to it, a conservative estimate otherwise.

tiktoken fetches its vocabulary files on first use, which can block for seconds or fail on a
machine without internet, so the counter is loaded once, off the event loop, and falls back to
the estimate instead of failing.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Protocol

from facilitator.daemon_threads import in_daemon_thread

logger = logging.getLogger(__name__)

# Every chat turn costs a few tokens of framing beyond its text.
TURN_OVERHEAD = 4


class TokenCounter(Protocol):
    @property
    def name(self) -> str: ...

    def count(self, text: str) -> int: ...


class EstimatingCounter:
    """Never under-counts by much: about 3 characters a token, and a token per 2 non-ASCII bytes."""

    name = "estimate"

    def count(self, text: str) -> int:
        if text.isascii():
            return math.ceil(len(text) / 3)
        return math.ceil(len(text.encode("utf-8")) / 2)


class TiktokenCounter:
    def __init__(self, encoding: object, name: str) -> None:
        encode = encoding.encode  # type: ignore[attr-defined]
        self.name = name
        # The same lines are counted at every build of a conversation's context: cache them.
        self._cached = lru_cache(maxsize=65536)(lambda text: len(encode(text, disallowed_special=())))

    def count(self, text: str) -> int:
        return int(self._cached(text))


def _load_tiktoken(model: str) -> TokenCounter:
    try:
        import tiktoken
    except ImportError:
        return EstimatingCounter()
    try:
        encoding_name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        logger.info("model %r is unknown to tiktoken; estimating tokens", model)
        return EstimatingCounter()
    try:
        encoding = tiktoken.get_encoding(encoding_name)
    except Exception as exc:  # network or cache trouble: the estimate is safe
        logger.warning("tiktoken could not load %s (%s); estimating tokens", encoding_name, exc)
        return EstimatingCounter()
    return TiktokenCounter(encoding, f"tiktoken:{encoding_name}")


async def load_counter(model: str) -> TokenCounter:
    return await in_daemon_thread(lambda: _load_tiktoken(model), name="tiktoken-load")
