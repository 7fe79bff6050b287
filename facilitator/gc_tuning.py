"""The garbage collector, set for a bot: bursts of short-lived objects, a big heap of imports.

A wave of groups allocates hundreds of thousands of short-lived objects (requests, chunks,
rows); at CPython's default threshold (700 allocations) the collector runs hundreds of times
a second, about a sixth of the CPU in the many-groups benchmark. The objects made at start
(the `openai` types alone are a large heap) never become garbage, so full collections need
not walk them again and again.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 25_000


def tune_garbage_collector() -> None:
    """Collect the young generation every 25,000 allocations instead of every 700."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def freeze_startup_objects() -> None:
    """Leave everything made during start-up out of later collections (no collection first:
    it would cost start-up a tenth of a second to free a few kilobytes)."""
    gc.freeze()
