"""Moving up from SQLite to PostgreSQL without losing history: every table copied as it is (the
two schemas mirror each other, facilitator/store/pg_migrations.py), parents before the rows that
refer to them, into an empty database, all or nothing."""

from __future__ import annotations

import logging

from facilitator.store.postgres import PostgresStore
from facilitator.store.sqlite import SqliteStore

logger = logging.getLogger(__name__)

# Every table of the schema, in an order that satisfies its foreign keys.
COPIED = (
    "conversations",
    "members",
    "conversation_members",
    "messages",
    "usage",
    "deliveries",
    "room_events",
    "switched_off",
    "owed_answers",
    "adapter_memory",
    "preview_turns",
    "unprompted_messages",
    "room_feedback",
    "room_readiness",
)
# Of the processes that wrote them, which are gone: not copied.
TRANSIENT = ("conversation_leases", "processes")


async def copy_history(source: SqliteStore, target: PostgresStore) -> dict[str, int]:
    """Rows copied per table. The source must be at the latest schema (opening it migrates it);
    the target must hold nothing yet (`pg_pool.NotEmpty` otherwise, and nothing is copied)."""
    counts = await target.copy_in(COPIED, source.export)
    logger.info("copied %d messages from %s", counts.get("messages", 0), source.path)
    return counts
