"""Group commit on a real SQLite connection: batching, ordering, and one bad row losing nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from facilitator.store.group_commit import MAX_BATCH, BatchRefused, GroupCommit


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await aiosqlite.connect(tmp_path / "t.db")
    await connection.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, word TEXT NOT NULL)")
    await connection.execute("CREATE TABLE k (key TEXT PRIMARY KEY, value TEXT)")
    await connection.commit()
    yield connection
    await connection.close()


async def rows(db: aiosqlite.Connection, sql: str) -> list[tuple[object, ...]]:
    async with db.execute(sql) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def write(writes: GroupCommit, n: int, word: str | None) -> None:
    writes.add("INSERT INTO t (n, word) VALUES (?, ?)", (n, word))
    await writes.commit()


async def test_concurrent_writers_share_batches_and_keep_their_order(db: aiosqlite.Connection) -> None:
    writes = GroupCommit(db)
    await asyncio.gather(*(write(writes, n, f"w{n}") for n in range(300)))
    assert await rows(db, "SELECT n FROM t ORDER BY rowid") == [(n,) for n in range(300)]
    await writes.close()


async def test_a_refused_row_is_dropped_and_the_rest_of_its_batch_is_kept(db: aiosqlite.Connection) -> None:
    writes = GroupCommit(db)
    await asyncio.gather(write(writes, 1, "one"), write(writes, 2, None), write(writes, 3, "three"))
    assert await rows(db, "SELECT n, word FROM t ORDER BY n") == [(1, "one"), (3, "three")]
    await writes.close()


async def test_keyed_upserts_keep_the_last_value(db: aiosqlite.Connection) -> None:
    writes = GroupCommit(db)
    upsert = "INSERT INTO k (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    for value in ("a", "b", "c"):
        writes.upsert(upsert, "alice", ("alice", value))
    await writes.commit()
    assert await rows(db, "SELECT key, value FROM k") == [("alice", "c")]
    await writes.close()


async def test_a_batch_that_cannot_be_written_at_all_fails_its_writers(db: aiosqlite.Connection) -> None:
    writes = GroupCommit(db)
    writes.add("INSERT INTO missing_table VALUES (?)", (1,))
    with pytest.raises(BatchRefused):
        await writes.commit()
    await write(writes, 5, "still works")
    assert await rows(db, "SELECT n FROM t") == [(5,)]
    await writes.close()


class CountingCommits:
    """The connection, counting its commits (each is one transaction of the group commit)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.commits = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)

    async def commit(self) -> None:
        self.commits += 1
        await self._db.commit()


async def test_a_flood_is_written_in_slices_and_in_order(db: aiosqlite.Connection) -> None:
    counting = CountingCommits(db)
    writes = GroupCommit(counting)
    flood = 3 * MAX_BATCH
    await asyncio.gather(*(write(writes, n, f"w{n}") for n in range(flood)))
    assert await rows(db, "SELECT n FROM t ORDER BY rowid") == [(n,) for n in range(flood)]
    assert counting.commits >= 3  # no transaction holds more than MAX_BATCH writes
    await writes.close()


async def test_a_cancelled_writer_cancels_nobody_elses_write(db: aiosqlite.Connection) -> None:
    writes = GroupCommit(db)
    impatient = asyncio.ensure_future(write(writes, 1, "queued before giving up"))
    patient = asyncio.ensure_future(write(writes, 2, "waits"))
    await asyncio.sleep(0)  # both are queued and waiting
    impatient.cancel()
    await patient
    await writes.settled()
    assert impatient.cancelled()
    assert await rows(db, "SELECT n FROM t ORDER BY n") == [(1,), (2,)]
    await writes.close()


async def test_checked_writes_tell_new_rows_from_existing_ones_also_when_retried_one_by_one(
    db: aiosqlite.Connection,
) -> None:
    writes = GroupCommit(db)
    insert = "INSERT INTO t (n, word) VALUES (?, ?) ON CONFLICT (n) DO NOTHING"
    await write(writes, 1, "already there")
    fresh = writes.add_checked(insert, (2, "new"))
    again = writes.add_checked(insert, (1, "redelivered"))
    writes.add(insert, (3, None))  # refused: the batch is retried row by row
    await writes.commit()
    assert (fresh.changed, again.changed) == (True, False)
    assert await rows(db, "SELECT n, word FROM t ORDER BY n") == [(1, "already there"), (2, "new")]
    await writes.close()


class RecordingRows:
    """The connection, keeping the rows of each executemany in the order they were sent."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.sent: list[tuple[object, ...]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)

    async def executemany(self, sql: str, parameters: list[tuple[object, ...]]) -> object:
        self.sent += parameters
        return await self._db.executemany(sql, parameters)


async def test_counts_add_up_in_a_batch_and_keyed_rows_go_in_key_order(db: aiosqlite.Connection) -> None:
    await db.execute("CREATE TABLE c (key TEXT PRIMARY KEY, n INTEGER NOT NULL, m INTEGER NOT NULL)")
    recording = RecordingRows(db)
    writes = GroupCommit(recording)
    add = (
        "INSERT INTO c VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET n = c.n + excluded.n, m = c.m + excluded.m"
    )
    for key, n in (("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)):
        writes.count(add, (key,), (key, n, 10 * n), counts_from=1)
    await writes.commit()
    # Each key written once, with the sum, and in the keys' order: two processes sharing a
    # database lock the same rows in the same order, so their batches never deadlock.
    assert recording.sent == [("a", 7, 70), ("b", 4, 40), ("c", 4, 40)]
    writes.count(add, ("a",), ("a", 1, 1), counts_from=1)
    await writes.commit()
    assert await rows(db, "SELECT key, n, m FROM c ORDER BY key") == [
        ("a", 8, 71),
        ("b", 4, 40),
        ("c", 4, 40),
    ]
    await writes.close()
