"""What a store holds, read as another process would read it (its own connection, committed rows
only), and a store opened again: for the store's contract tests on either engine."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg

from facilitator.store.pg_pool import numbered
from facilitator.store.postgres import PostgresStore
from facilitator.store.sqlite import SqliteStore


async def rows(store: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of a query (in SQLite's `?` style), from outside the store."""
    if isinstance(store, SqliteStore):

        def read() -> list[tuple[Any, ...]]:
            with sqlite3.connect(store.path) as raw:
                return list(raw.execute(sql, params).fetchall())

        return await asyncio.to_thread(read)
    assert isinstance(store, PostgresStore)
    connection = await asyncpg.connect(store.dsn)
    try:
        return [tuple(row) for row in await connection.fetch(numbered(sql), *params)]
    finally:
        await connection.close()


async def count(store: Any, sql: str, params: tuple[Any, ...] = ()) -> int:
    return int((await rows(store, sql, params))[0][0])


async def reopen(store: Any) -> Any:
    """The same database opened again (a restart), once the store is closed."""
    await store.close()
    if isinstance(store, SqliteStore):
        return await SqliteStore.open(store.path)
    return await PostgresStore.open(store.dsn, pool_size=4)
