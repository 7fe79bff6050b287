"""Group commit: many writers, one transaction per batch, each writer told once its write is durable.

Writes queued while a batch is being applied form the next batch, so a busy group costs one
commit per batch instead of one per message. Keyed upserts (a member's latest profile, when a
member was last seen) keep only their last value in a batch, and keyed counts (usage) add up in
it; both run before the ordered writes, in the order of their statements and keys, so that two
processes sharing a database lock the same rows in the same order and never deadlock.
A batch the database refuses is retried row by row, so one bad row loses nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from facilitator.ports import StoreUnavailable

logger = logging.getLogger(__name__)


class StoreClosedError(StoreUnavailable):
    """A write after the store was closed (shutting down): nothing is written."""


Params = tuple[Any, ...]
Sortable = tuple[Any, ...]  # a keyed write's key: tuples of one statement compare alike


class Connection(Protocol):
    """What a batch needs of an async DB-API connection (aiosqlite's, or a PostgreSQL one)."""

    async def executemany(self, sql: str, parameters: Any) -> Any: ...

    async def execute(self, sql: str, parameters: Any = ...) -> Any: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class BatchRefused(StoreUnavailable):
    """Every write of a batch failed: the database itself is unusable."""


MAX_BATCH = 1024  # writes per transaction: a flood is written (and released) in slices


class Outcome:
    """Whether a checked write changed a row, and the row an insert made: known once its batch
    is durable."""

    __slots__ = ("changed", "row_id")

    def __init__(self) -> None:
        self.changed = False
        self.row_id: int | None = None


class _Batch:
    """Writes that become durable together, and the writers waiting for them."""

    __slots__ = ("count", "keyed", "ordered", "waiters")

    def __init__(self) -> None:
        self.keyed: dict[str, dict[Sortable, Params]] = {}
        self.ordered: list[tuple[str, Params, Outcome | None]] = []
        self.count = 0
        # One future per waiting writer: cancelling a writer cancels its own future only.
        self.waiters: list[asyncio.Future[None]] = []

    def finish(self, error: BaseException | None = None) -> None:
        for waiter in self.waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)


Run = tuple[str, list[Params], "Outcome | None"]  # one statement, its rows, and a checked write's outcome


class GroupCommit:
    """Writes are queued without waiting; `commit` waits for the batch holding the caller's."""

    def __init__(self, db: Connection) -> None:
        self._db = db
        self._open: _Batch | None = None  # gathering writes
        self._sealed: deque[_Batch] = deque()  # full, waiting for the writer
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.lock = asyncio.Lock()  # held while a batch or any other write transaction runs

    def _batch(self) -> _Batch:
        if self._closed:  # a late task's write: a clear error for it, not a writer on a closed file
            raise StoreClosedError("the store is closed")
        batch = self._open
        if batch is None:
            batch = self._open = _Batch()
        batch.count += 1
        if batch.count >= MAX_BATCH:
            self._sealed.append(batch)
            self._open = None
        return batch

    def add(self, sql: str, params: Params) -> None:
        """Queue a write; writes run in the order they were added."""
        self._batch().ordered.append((sql, params, None))

    def add_checked(self, sql: str, params: Params) -> Outcome:
        """Queue a write and learn, once committed, whether it changed a row (an insert that
        met a conflict did not): check and write in one step, with no read before it."""
        outcome = Outcome()
        self._batch().ordered.append((sql, params, outcome))
        return outcome

    def upsert(self, sql: str, key: Sortable, params: Params) -> None:
        """Queue a write that replaces any earlier one with the same key in its batch."""
        self._batch().keyed.setdefault(sql, {})[key] = params

    def count(self, sql: str, key: Sortable, params: Params, counts_from: int) -> None:
        """Queue a write that adds `params[counts_from:]` to what is counted under its key: one
        earlier in its batch with the same key takes the sum instead."""
        rows = self._batch().keyed.setdefault(sql, {})
        earlier = rows.get(key)
        if earlier is not None:
            summed = tuple(a + b for a, b in zip(earlier[counts_from:], params[counts_from:], strict=True))
            params = params[:counts_from] + summed
        rows[key] = params

    def _last(self) -> _Batch | None:
        if self._open is not None:
            return self._open
        return self._sealed[-1] if self._sealed else None

    async def commit(self) -> None:
        """Wait until everything queued so far (this caller's writes included) is durable."""
        batch = self._last()
        if batch is None:
            return
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        waiter = asyncio.get_running_loop().create_future()
        batch.waiters.append(waiter)
        await waiter

    async def settled(self) -> None:
        """Wait for the writes queued so far, if any (for reads that must see them)."""
        if self._last() is not None:
            await self.commit()

    async def close(self) -> None:
        await self.settled()
        self._closed = True
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_batches(self) -> None:
        while self._sealed or self._open is not None:
            batch = self._sealed.popleft() if self._sealed else self._open
            if batch is self._open:
                self._open = None
            assert batch is not None
            runs = _runs(batch)
            async with self.lock:
                try:
                    await self._apply(runs)
                except Exception as exc:
                    await self._db.rollback()
                    logger.warning("a batch of writes failed (%s); retrying one by one", exc)
                    try:
                        await self._apply_singly(runs)
                    except Exception as fatal:
                        logger.error("the database refused writes: %s", fatal)
                        refused = fatal if isinstance(fatal, StoreUnavailable) else BatchRefused(str(fatal))
                        batch.finish(refused)
                        continue
            batch.finish()

    async def _apply(self, runs: Sequence[Run]) -> None:
        changed = []
        for sql, rows, outcome in runs:
            if outcome is None:
                await self._db.executemany(sql, rows)
            else:
                cursor = await self._db.execute(sql, rows[0])
                changed.append((outcome, cursor.rowcount > 0, cursor.lastrowid))
        await self._db.commit()
        for outcome, value, row_id in changed:
            outcome.changed, outcome.row_id = value, row_id

    async def _apply_singly(self, runs: Sequence[Run]) -> None:
        written = failed = 0
        for sql, rows, outcome in runs:
            for params in rows:
                try:
                    cursor = await self._db.execute(sql, params)
                    await self._db.commit()
                    if outcome is not None:
                        outcome.changed, outcome.row_id = cursor.rowcount > 0, cursor.lastrowid
                    written += 1
                except Exception:
                    failed += 1
                    await self._db.rollback()
                    logger.exception("dropped one write that the database refused")
        if failed and not written:
            raise BatchRefused(f"every one of {failed} writes failed")


def _runs(batch: _Batch) -> list[Run]:
    """A batch as runs of one statement each: keyed upserts first, then the ordered writes;
    a checked write is a run of its own, so its outcome can be told."""
    runs: list[Run] = [
        (sql, [rows[key] for key in sorted(rows)], None) for sql, rows in sorted(batch.keyed.items())
    ]
    for sql, params, outcome in batch.ordered:
        if outcome is None and runs and runs[-1][0] == sql and runs[-1][2] is None and sql not in batch.keyed:
            runs[-1][1].append(params)
        else:
            runs.append((sql, [params], outcome))
    return runs
