"""The store's tests are its contract: each runs against both engines, SQLite's file and a real
PostgreSQL server, so that the two behave alike. A test of one engine's own ways takes that
engine's fixture (`sqlite_store`, from tests/conftest.py) instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from facilitator.store.postgres import PostgresStore
from facilitator.store.sqlite import SqliteStore
from tests.support.postgres import Databases


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    # Async fixtures cannot be asked for from here (`getfixturevalue`): each engine opened here.
    if request.param == "sqlite":
        opened: Any = await SqliteStore.open(tmp_path / "parley.db")
        yield opened
        await opened.close()
        return
    databases: Databases = request.getfixturevalue("postgres")  # the session's server
    dsn = await databases.create()
    opened = await PostgresStore.open(dsn, pool_size=4)
    yield opened
    await opened.close()
    await databases.drop(dsn)
