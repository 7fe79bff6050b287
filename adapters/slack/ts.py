"""Slack's message ids, `ts` ("1764072000.000100"): seconds and microseconds since the epoch,
compared exactly (as numbers, a float would blur the microseconds of some)."""

from __future__ import annotations

import re

SLACK_TS = re.compile(r"(\d+)\.(\d{1,6})")


def is_ts(value: object) -> bool:
    """A message ts; a slash command's trigger id is not one, and never names a thread."""
    return isinstance(value, str) and SLACK_TS.fullmatch(value) is not None


def ts_key(value: str) -> tuple[int, int]:
    """The ts as (seconds, microseconds), for ordering; (0, 0) for what is not a ts."""
    found = SLACK_TS.fullmatch(value)
    return (int(found[1]), int(found[2].ljust(6, "0"))) if found else (0, 0)


def later(value: object, than: str) -> bool:
    return isinstance(value, str) and is_ts(value) and ts_key(value) > ts_key(than)
