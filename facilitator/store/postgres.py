"""The PostgreSQL store: the same parts as the SQLite store (facilitator/store/parts.py), shared
by any number of processes. Chosen by `DATABASE_URL=postgres://...`.

Writes are group-committed on one connection of their own, as on SQLite; reads go to a pool
(sized by the operator), once the writes queued before them are durable. What a process caches
(a group's mode and settings, its readiness) is dropped when another process changes it: every
such change is announced with NOTIFY in the transaction that makes it, and each store listens.
Claims on answers owed skip the rows another process is claiming (`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from facilitator.chat import Message
from facilitator.store import pg_pool
from facilitator.store.conversations import StoreError
from facilitator.store.lanes import role_key
from facilitator.store.parts import StoreParts
from facilitator.store.pg_migrations import LATEST

logger = logging.getLogger(__name__)

CHANNEL = "parley_changes"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', ?)"

# The message and its answer owed in one statement: nothing is owed for a message the
# conversation held already (a redelivery, to this process or to another at the same moment).
_OWE_WITH_MESSAGE = (
    "WITH stored AS (INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text,"
    " sent_at, reply_to, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (conversation_id, message_id) DO NOTHING RETURNING conversation_id, message_id)"
    " INSERT INTO owed_answers (conversation_id, message_id, since, owner, lease_until, mentions_ai,"
    " replies_to_ai) SELECT conversation_id, message_id, ?::float8, ?, ?::float8, ?::int, ?::int FROM stored"
    " RETURNING id"
)
# Rows another process is claiming this instant are skipped, not waited for; the lease is
# checked again on the row itself, so a row claimed meanwhile is never taken twice.
_CLAIM = (
    "UPDATE owed_answers SET owner = ?1, lease_until = ?2 WHERE lease_until < ?4 AND id IN ("
    " SELECT o.id FROM owed_answers AS o JOIN conversations AS c ON c.id = o.conversation_id"
    " WHERE c.platform = ?3 AND o.lease_until < ?4 AND o.owner <> ?5"
    " AND (?7::bigint IS NULL OR o.conversation_id = ?7) AND NOT EXISTS (SELECT 1 FROM"
    "  conversation_leases AS l WHERE l.conversation_id = o.conversation_id AND l.owner <> ?5"
    "  AND l.lease_until >= ?4)"
    " ORDER BY o.since, o.id LIMIT ?6 FOR UPDATE OF o SKIP LOCKED) RETURNING id"
)


class PostgresStore(StoreParts):
    single_process = False  # others may share the database: only expired claims are taken

    def __init__(self, writer: pg_pool.Connection, pool: pg_pool.Pool, dsn: str) -> None:
        super().__init__(writer)
        self._pool = pool
        self.dsn = dsn  # where it is, for `parley check` and the tests (credentials included)
        self._listener = pg_pool.Listener(dsn, CHANNEL, self._heard)
        self._roles = pg_pool.Roles(dsn)
        self.applied_migrations: list[int] = []

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 10, migrate: bool = True) -> PostgresStore:
        """Raises `pg_pool.DatabaseUnreachable` (say it, try again later) or `StoreError`."""
        pool = await pg_pool.open_pool(dsn, pool_size)
        store = cls(pg_pool.Connection(dsn), pool, dsn)
        try:
            if migrate:
                store.applied_migrations = await pg_pool.migrate(pool)
            version = await pg_pool.schema_version(pool)
            if version > LATEST:
                raise StoreError(
                    f"the database has schema version {version}, newer than this Parley knows "
                    f"({LATEST}): upgrade Parley"
                )
            if version < LATEST:
                raise StoreError("the database needs migrating: run `parley migrate`")
            await store._listener.start()
        except BaseException:
            await pool.close()
            raise
        return store

    async def schema_version(self) -> int:
        return await pg_pool.schema_version(self._pool)

    async def migrate(self) -> list[int]:
        return await pg_pool.migrate(self._pool)

    async def close(self) -> None:
        await self._writes.close()
        await self._listener.close()
        await self._roles.close()
        await self._db.close()
        await self._pool.close()

    async def copy_in(self, tables: Sequence[str], feed: pg_pool.Feed) -> dict[str, int]:
        """Rows from elsewhere (a SQLite database), table by table, all or nothing."""
        await self._writes.settled()
        return await pg_pool.copy_into(self._pool, tables, feed)

    # --- what differs from SQLite -------------------------------------------------------------

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        await self._writes.settled()
        return await pg_pool.fetch(self._pool, sql, params)

    async def add_owed_message(
        self, message: Message, owner: str, now: float, lease_until: float
    ) -> int | None:
        row = await self._message_row(message)
        flags = (int(message.mentions_ai), int(message.replies_to_ai))
        owed = self._writes.add_checked(_OWE_WITH_MESSAGE, (*row, now, owner, lease_until, *flags))
        await self._writes.commit()
        return int(owed.row_id) if owed.changed and owed.row_id is not None else None

    async def _claim(
        self, platform: str, owner: str, now: float, lease_until: float, limit: int, within: int | None
    ) -> list[int]:
        await self._writes.settled()
        claim = (owner, lease_until, platform, now, owner, limit, within)
        rows = await pg_pool.fetch(self._pool, _CLAIM, claim)
        return [int(row[0]) for row in rows]

    async def playing(self, role: str) -> bool:
        return await self._roles.playing(role_key(role))

    # --- word of changes, to and from other processes -------------------------------------------

    def _changed(self, topic: str) -> None:
        self._writes.add(_NOTIFY, (topic,))

    def _heard(self, topic: str) -> None:
        kind, _, rest = topic.partition(":")
        if topic == "*":  # the listener was away: whatever is cached may be stale
            self._conversations.clear()
            self._readiness.clear()
        elif kind == "conversation":
            gone = [key for key, row in self._conversations.items() if str(row.id) == rest]
            for key in gone:
                del self._conversations[key]
        elif kind == "readiness":
            platform, _, chat = rest.partition(":")
            self._readiness.pop((platform, chat), None)
        self._tell(topic)
