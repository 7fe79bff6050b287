"""Which store the settings name, opened: SQLite's file (the default) or PostgreSQL's server
(`DATABASE_URL=postgres://...`), shown to the operator without its credentials."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.settings import Settings, SettingsError
from facilitator.store.roles import Store
from facilitator.store.sqlite import SqliteStore

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 30.0


def where(settings: Settings) -> str:
    """The database as the operator may see it: a file's path, or PostgreSQL's host and name."""
    url = settings.store.postgres_url()
    if url is None:
        return settings.store.sqlite_path()
    return "postgresql://" + url.split("://", 1)[-1].rsplit("@", 1)[-1]


async def open_store(settings: Settings, *, migrate: bool = True, wait: bool = False) -> Store:
    """The store, brought up to date unless `migrate` is False. PostgreSQL that cannot be
    reached (or refuses the credentials) raises `DatabaseUnreachable`; with `wait`, it is said
    and tried again with backoff until it answers (a bot started before its database)."""
    url = settings.store.postgres_url()
    if url is None:
        return await SqliteStore.open(settings.store.sqlite_path(), migrate=migrate)
    from facilitator.store import pg_pool  # only where PostgreSQL is used
    from facilitator.store.postgres import PostgresStore

    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            return await PostgresStore.open(url, pool_size=settings.store.pool_size, migrate=migrate)
        except pg_pool.DatabaseUnreachable as exc:
            if not wait:
                raise
            logger.error("database %s: %s; trying again in %.0f s", where(settings), exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)


async def copy_from_sqlite(settings: Settings, path: Path) -> int:
    """`parley migrate --from-sqlite FILE`: the file's whole history into the PostgreSQL named by
    DATABASE_URL (brought up to date first), which must be empty; all or nothing."""
    if settings.store.postgres_url() is None:
        raise SettingsError("--from-sqlite copies into PostgreSQL: set DATABASE_URL=postgresql://...")
    if not await asyncio.to_thread(path.is_file):
        raise SettingsError(f"--from-sqlite: no SQLite database at {path}")
    from facilitator.store import pg_pool
    from facilitator.store.copying import copy_history
    from facilitator.store.postgres import PostgresStore

    source = await SqliteStore.open(path)
    try:
        target = await open_store(settings)
        assert isinstance(target, PostgresStore)
        try:
            counts = await copy_history(source, target)
        except pg_pool.NotEmpty as exc:
            raise SettingsError(f"database {where(settings)}: {exc}") from None
        finally:
            await target.close()
    finally:
        await source.close()
    print(
        f"copied {path} into {where(settings)}: {counts['messages']} messages, "
        f"{counts['conversations']} conversations, {counts['members']} members"
    )
    return 0
