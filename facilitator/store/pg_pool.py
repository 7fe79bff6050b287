"""PostgreSQL, through asyncpg (the one module that imports it): a pool sized by the operator,
the schema brought up to date, and what went wrong said plainly.

Migrations run under a transaction-scoped advisory lock, so two processes starting at once (or
`parley migrate` beside a running release) apply each step exactly once; a step and its row in
`schema_migrations` commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from facilitator.ports import StoreUnavailable
from facilitator.store.pg_migrations import MIGRATIONS

logger = logging.getLogger(__name__)

MIGRATION_LOCK = 0x5A4C_E9  # pg_advisory_xact_lock's key for Parley's migrations


class DatabaseUnreachable(StoreUnavailable):
    """The database refused us or is not there; the message says which, never the password."""


async def open_pool(dsn: str, size: int = 10) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size)
    except asyncpg.InvalidPasswordError as exc:
        raise DatabaseUnreachable("PostgreSQL refused the credentials in DATABASE_URL") from exc
    except asyncpg.InvalidCatalogNameError as exc:
        raise DatabaseUnreachable("the database named in DATABASE_URL does not exist") from exc
    except (OSError, asyncpg.CannotConnectNowError) as exc:
        raise DatabaseUnreachable(f"PostgreSQL is not reachable ({type(exc).__name__})") from exc
    assert pool is not None
    return pool


async def migrate(pool: asyncpg.Pool, steps: Sequence[tuple[int, str]] = MIGRATIONS) -> list[int]:
    """Apply the steps not yet applied, in order; the numbers applied (none when up to date)."""
    applied: list[int] = []
    async with pool.acquire() as connection:
        for version, sql in steps:
            async with connection.transaction():
                # Locked first: even CREATE TABLE IF NOT EXISTS races with another process.
                await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                done = await connection.fetchval(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", version
                )
                if done:
                    continue
                await connection.execute(sql)
                await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
                logger.info("schema step %d applied", version)
    return applied


async def schema_version(pool: asyncpg.Pool) -> int:
    """The last step applied (0 for an empty database)."""
    async with pool.acquire() as connection:
        exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
