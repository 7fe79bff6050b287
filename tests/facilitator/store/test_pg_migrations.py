"""The PostgreSQL schema on a real server started by the test session: brought up to date once,
a second run changes nothing, two processes migrating at once apply each step once, and an
unreachable database or a wrong database name is said plainly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from facilitator.store import migrations as sqlite_migrations
from facilitator.store.pg_migrations import LATEST, MIGRATIONS
from facilitator.store.pg_pool import DatabaseUnreachable, migrate, open_pool, schema_version
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    started = PostgresServer.start()
    yield started
    started.stop()


@pytest.fixture
async def fresh(server: PostgresServer) -> AsyncIterator[str]:
    """An empty database of its own on the session's server."""
    admin = await asyncpg.connect(server.dsn)
    name = f"t{id(object())}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield server.dsn.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(server.dsn)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def test_a_new_database_is_brought_up_to_date_once(fresh: str) -> None:
    pool = await open_pool(fresh, size=2)
    try:
        assert await schema_version(pool) == 0
        assert await migrate(pool) == [version for version, _ in MIGRATIONS]
        assert await schema_version(pool) == LATEST
        assert await migrate(pool) == []  # safe to run again, and beside a running release
        tables = {
            row["tablename"]
            for row in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        assert {"messages", "owed_answers", "preview_turns", "room_readiness"} <= tables
    finally:
        await pool.close()


def test_every_sqlite_step_has_its_postgresql_mirror() -> None:
    assert [v for v, _ in MIGRATIONS] == [v for v, _ in sqlite_migrations.MIGRATIONS]


async def test_two_processes_migrating_at_once_apply_each_step_once(fresh: str) -> None:
    pools = [await open_pool(fresh, size=1) for _ in range(2)]
    try:
        first, second = await asyncio.gather(*(migrate(pool) for pool in pools))
        assert sorted(first + second) == [version for version, _ in MIGRATIONS]
        assert await pools[0].fetchval("SELECT count(*) FROM schema_migrations") == len(MIGRATIONS)
    finally:
        for pool in pools:
            await pool.close()


async def test_an_unreachable_database_or_a_wrong_name_is_said_plainly(server: PostgresServer) -> None:
    with pytest.raises(DatabaseUnreachable, match="does not exist"):
        await open_pool(server.dsn.rsplit("/", 1)[0] + "/nowhere")
    with pytest.raises(DatabaseUnreachable, match="not reachable"):
        await open_pool("postgresql://parley@127.0.0.1:1/parley")


def test_parley_migrate_brings_a_postgresql_database_up_to_date(fresh: str, tmp_path: Path) -> None:
    def migrate_command() -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "DATABASE_URL": fresh.replace("parley@", "parley:not-shown@"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[3]),  # this checkout's `bot`
        }
        return subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = migrate_command()
    assert first.returncode == 0, first.stderr
    assert (
        f"applied step(s) {', '.join(str(v) for v, _ in MIGRATIONS)}; now at version {LATEST}" in first.stdout
    )
    second = migrate_command()
    assert f"up to date (version {LATEST})" in second.stdout
    assert "not-shown" not in first.stdout + second.stdout + first.stderr + second.stderr
