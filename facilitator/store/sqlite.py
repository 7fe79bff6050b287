"""The SQLite store, through aiosqlite (the only module importing it): one file, one process,
the embedded default. The store's parts (facilitator/store/parts.py) are written in SQL that
PostgreSQL speaks too; this module opens the file, keeps its schema (`PRAGMA user_version`) and
holds the two statements only SQLite says this way: an answer owed beside its message, and a
claim on answers owed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite

from facilitator.chat import Message
from facilitator.store.conversations import INSERT_MESSAGE, StoreError
from facilitator.store.migrations import LATEST, MIGRATIONS
from facilitator.store.parts import StoreParts

logger = logging.getLogger(__name__)

__all__ = ["SqliteStore", "StoreError"]

_CLAIM = (
    "UPDATE owed_answers SET owner = ?1, lease_until = ?2 WHERE id IN ("
    " SELECT o.id FROM owed_answers AS o JOIN conversations AS c ON c.id = o.conversation_id"
    " WHERE c.platform = ?3 AND o.lease_until < ?4 AND o.owner != ?5"
    " AND (?7 IS NULL OR o.conversation_id = ?7) AND NOT EXISTS (SELECT 1 FROM conversation_leases AS l"
    "  WHERE l.conversation_id = o.conversation_id AND l.owner != ?5 AND l.lease_until >= ?4)"
    " ORDER BY o.since, o.id LIMIT ?6)"
    " RETURNING id"
)
# Queued right after the message's own insert, in the same transaction: `changes()` is that
# insert's, so a message stored before (a redelivery) owes nothing new; and the message must be
# there (a batch retried row by row may have refused it, leaving `changes()` of another row).
OWE_IF_NEW = (
    "INSERT INTO owed_answers (conversation_id, message_id, since, owner, lease_until, mentions_ai,"
    " replies_to_ai) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1"
    " AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND message_id = ?2)"
)


class SqliteStore(StoreParts):
    single_process = True  # one process per SQLite file: whoever claimed before us is gone

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        super().__init__(db)
        self.path = path
        self.applied_migrations: list[int] = []

    # --- opening and migrating --------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> SqliteStore:
        location = str(path)
        if location != ":memory:":
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(location)
        except Exception as exc:
            raise StoreError(f"cannot open the database {location!r}: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA busy_timeout = 5000")
            store = cls(db, location)
            version = await store.schema_version()
        except Exception as exc:
            await db.close()
            raise StoreError(f"cannot use the database {location!r}: {exc}") from exc
        if version > LATEST:
            await db.close()
            raise StoreError(
                f"the database {location!r} has schema version {version}, newer than this "
                f"Parley knows ({LATEST}): upgrade Parley"
            )
        if migrate:
            try:
                store.applied_migrations = await store.migrate()
            except Exception as exc:
                await db.close()
                raise StoreError(f"cannot migrate the database {location!r}: {exc}") from exc
        elif version < LATEST:
            await db.close()
            raise StoreError(f"the database {location!r} needs migrating: run `parley migrate`")
        return store

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply the steps this database lacks, each in its own transaction."""
        applied = []
        async with self._writes.lock:
            current = await self.schema_version()
            for version, script in MIGRATIONS:
                if version <= current:
                    continue
                await self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
                applied.append(version)
                logger.info("database migrated to version %d", version)
        return applied

    async def close(self) -> None:
        await self._writes.close()
        await self._db.close()

    async def add_owed_message(
        self, message: Message, owner: str, now: float, lease_until: float
    ) -> int | None:
        row = await self._message_row(message)
        self._writes.add_checked(INSERT_MESSAGE, row)  # a run of its own: OWE_IF_NEW reads its changes()
        flags = (int(message.mentions_ai), int(message.replies_to_ai))
        owed = self._writes.add_checked(OWE_IF_NEW, (row[0], message.id, now, owner, lease_until, *flags))
        await self._writes.commit()
        return owed.row_id if owed.changed else None  # a redelivery owes nothing new

    async def _claim(
        self, platform: str, owner: str, now: float, lease_until: float, limit: int, within: int | None
    ) -> list[int]:
        await self._writes.settled()
        async with self._writes.lock:
            claimed = await self._db.execute_fetchall(
                _CLAIM, (owner, lease_until, platform, now, owner, limit, within)
            )
            await self._db.commit()
        return [int(row[0]) for row in claimed]

    async def export(
        self, table: str, columns: list[str], batch: int = 10_000
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """A table's rows, `batch` at a time (for a copy: ids are copied as they are)."""
        await self._writes.settled()
        async with self._db.execute(f"SELECT {', '.join(columns)} FROM {table}") as cursor:
            while rows := await cursor.fetchmany(batch):
                yield [tuple(row) for row in rows]
