"""Group commit: many writers, one transaction per batch, each writer told once its write is durable.

Writes queued while a batch is being applied form the next batch, so a busy group costs one
commit per batch instead of one per message. Keyed upserts (a member's latest profile, when a
member was last seen) keep only their last value in a batch and run before the ordered writes.
A batch the database refuses is retried row by row, so one bad row loses nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

logger = logging.getLogger(__name__)

Params = tuple[Any, ...]


class Connection(Protocol):
    """What a batch needs of an async DB-API connection (aiosqlite's, or a PostgreSQL one)."""

    async def executemany(self, sql: str, parameters: Any) -> Any: ...

    async def execute(self, sql: str, parameters: Any = ...) -> Any: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class BatchRefused(RuntimeError):
    """Every write of a batch failed: the database itself is unusable."""


class GroupCommit:
    def __init__(self, db: Connection) -> None:
        self._db = db
        self._keyed: dict[str, dict[Hashable, Params]] = {}
        self._ordered: list[tuple[str, Params]] = []
        self._batch: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()  # held while a batch or any other write transaction runs

    def add(self, sql: str, params: Params) -> None:
        """Queue a write; writes run in the order they were added."""
        self._ordered.append((sql, params))

    def upsert(self, sql: str, key: Hashable, params: Params) -> None:
        """Queue a write that replaces any earlier one with the same key in this batch."""
        self._keyed.setdefault(sql, {})[key] = params

    async def commit(self) -> None:
        """Wait until everything queued so far (this caller's writes included) is durable."""
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
            if self._writer is None or self._writer.done():
                self._writer = asyncio.create_task(self._write_batches())
        await asyncio.shield(self._batch)

    async def settled(self) -> None:
        """Wait for the writes queued so far, if any (for reads that must see them)."""
        if self._batch is not None:
            await asyncio.shield(self._batch)

    async def close(self) -> None:
        await self.settled()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write_batches(self) -> None:
        while self._batch is not None:
            batch, self._batch = self._batch, None
            runs = self._take_runs()
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
                        batch.set_exception(fatal)
                        batch.exception()  # retrieved here, so an unawaited batch is not noise
                        continue
            batch.set_result(None)

    def _take_runs(self) -> list[tuple[str, list[Params]]]:
        """The batch as runs of one statement each: keyed upserts first, then the ordered writes."""
        runs = [(sql, list(rows.values())) for sql, rows in self._keyed.items()]
        for sql, params in self._ordered:
            if runs and runs[-1][0] == sql and sql not in self._keyed:
                runs[-1][1].append(params)
            else:
                runs.append((sql, [params]))
        self._keyed, self._ordered = {}, []
        return runs

    async def _apply(self, runs: Sequence[tuple[str, list[Params]]]) -> None:
        for sql, rows in runs:
            await self._db.executemany(sql, rows)
        await self._db.commit()

    async def _apply_singly(self, runs: Sequence[tuple[str, list[Params]]]) -> None:
        written = failed = 0
        for sql, rows in runs:
            for params in rows:
                try:
                    await self._db.execute(sql, params)
                    await self._db.commit()
                    written += 1
                except Exception:
                    failed += 1
                    await self._db.rollback()
                    logger.exception("dropped one write that the database refused")
        if failed and not written:
            raise BatchRefused(f"every one of {failed} writes failed")
