"""Figure 12: from `parley run` to ready (its /healthz answering) against a PostgreSQL database
holding 10 million messages, beside a new database on the same server. As figure 6 on SQLite:
nothing at start may grow with the database. The database is made once (`generate_series`, a
few minutes) in a PostgreSQL data folder of its own under benchmarks/results/data/, which later
runs start their server on."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import asyncpg

from benchmarks import postgres
from benchmarks.measure import Figure, figure, main, progress
from benchmarks.startup import DATA, time_to_ready
from facilitator.store import pg_pool

MESSAGES = 10_000_000
CONVERSATIONS = 200
FOLDER = DATA / "postgres-10m"
MADE = DATA / "postgres-10m.json"  # written once the database is complete


def _made() -> dict[str, Any]:
    try:
        return dict(json.loads(MADE.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


async def large_database(server: postgres.Server, messages: int) -> str:
    """The server's `parley` database holding `messages` messages, made the first time."""
    dsn = server.dsn()
    if _made().get("messages", 0) >= messages:
        return dsn
    progress(f"pg_startup: making a database of {messages:,} messages (once; kept in {server.data})")
    connection = await asyncpg.connect(dsn)
    try:  # whatever a run cut short left: start again
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()
    pool = await pg_pool.open_pool(dsn, 1)
    try:
        await pg_pool.migrate(pool)
    finally:
        await pool.close()

    def said(stored: int) -> None:
        if stored % 2_000_000 < 500_000:
            progress(f"pg_startup: {stored:,} messages stored")

    stored = await postgres.fill(dsn, CONVERSATIONS, messages // CONVERSATIONS, progress=said)
    MADE.write_text(json.dumps({"messages": stored}) + "\n", encoding="utf-8")
    return dsn


async def database_bytes(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await connection.close()


async def measure(quick: bool) -> list[Figure]:
    runs, messages = (1, 10_000) if quick else (5, MESSAGES)
    if not quick and not _made() and FOLDER.exists():
        await asyncio.to_thread(shutil.rmtree, FOLDER)  # a folder left half-made
    async with postgres.server(None if quick else FOLDER) as server:  # quick: a temporary one
        if quick:
            large = await server.database("quick_large")
            await postgres.fill(large, 20, messages // 20)
        else:
            large = await large_database(server, messages)
        size = await database_bytes(large)
        await time_to_ready(large)  # the first start warms the interpreter's files (and migrates)
        with_data, fresh = [], []
        for run in range(runs):
            with_data.append(await time_to_ready(large))
            fresh.append(await time_to_ready(await server.database(f"new_{run}", migrated=False)))
            progress(
                f"pg_startup run {run + 1}/{runs}: {with_data[-1]:.2f} s with {messages:,} messages"
                f" ({size / 1000**3:.2f} GB), {fresh[-1]:.2f} s new"
            )
    shown = f"{messages / 1_000_000:g} million" if messages >= 1_000_000 else f"{messages:,}"
    return [
        figure(
            12,
            "pg_startup_large",
            f"`parley run` to ready, PostgreSQL holding {shown} messages",
            with_data,
            "s",
            at_most=1.0,
            target="≤ 1 s",
            messages=messages,
            database_bytes=size,
        ),
        figure(
            12,
            "pg_startup_new",
            "`parley run` to ready, new PostgreSQL database",
            fresh,
            "s",
            target="reported",
        ),
    ]


if __name__ == "__main__":
    main(measure)
