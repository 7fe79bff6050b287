"""Figure 9: ordinary group messages persisted per second through the core into PostgreSQL,
beside a naive store on the same server (asyncpg, one INSERT and its commit per message, as
many bots start). The same messages, concurrency and schema as figure 1 (benchmarks/ingest.py);
the server keeps PostgreSQL's durability as shipped (fsync on, each commit waits for its WAL)."""

from __future__ import annotations

import time

import asyncpg

from benchmarks import ingest, postgres
from benchmarks.fixtures import TimingAdapter
from benchmarks.ingest import CONVERSATIONS, feed, ordinary_messages
from benchmarks.measure import Figure, figure, main, progress
from facilitator.events import MessageReceived

INSERT = (
    "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at, reply_to,"
    " attachments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)


async def through_the_core(dsn: str, events: list[MessageReceived]) -> float:
    adapter = TimingAdapter()
    async with postgres.core_without_model(dsn) as (core, _store):
        await core.handle(events[0], adapter)  # the first conversation row and connection warm-up
        started = time.perf_counter()
        await feed(core, adapter, events[1:])
        elapsed = time.perf_counter() - started
    stored = await postgres.count_messages(dsn)
    if stored != len(events):
        raise RuntimeError(f"{stored} of {len(events)} messages were stored")
    return (len(events) - 1) / elapsed


async def naive(dsn: str, rows: list[tuple[object, ...]]) -> float:
    """Insert, commit, next: each statement its own transaction (asyncpg's autocommit)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(INSERT, *rows[0])  # the statement prepared, the connection warm
        started = time.perf_counter()
        for row in rows[1:]:
            await connection.execute(INSERT, *row)
        return (len(rows) - 1) / (time.perf_counter() - started)
    finally:
        await connection.close()


async def measure(quick: bool) -> list[Figure]:
    runs, count, naive_count = (1, 1_000, 300) if quick else (5, 20_000, 3_000)
    ours, baseline = [], []
    async with postgres.server() as server:
        for run in range(runs):
            events = ordinary_messages(count, seed=run)
            ours.append(await through_the_core(await server.database(f"core_{run}"), events))
            naive_dsn = await server.database(f"naive_{run}")
            await postgres.fill(naive_dsn, CONVERSATIONS, 0)  # conversation rows 1..CONVERSATIONS
            baseline.append(await naive(naive_dsn, ingest.as_rows(events[:naive_count])))
            progress(f"pg_ingest run {run + 1}/{runs}: {ours[-1]:,.0f} msg/s (naive {baseline[-1]:,.0f})")
    return [
        figure(
            9,
            "pg_ingest",
            "Ingest into PostgreSQL, messages/s",
            ours,
            "msg/s",
            at_least=20_000,
            target="≥ 20,000",
        ),
        figure(
            9,
            "pg_ingest_vs_naive",
            "Ingest ÷ naive asyncpg on the same server (insert+commit each)",
            [o / b for o, b in zip(ours, baseline, strict=True)],
            "×",
            at_least=10,
            target="≥ 10×",
            naive_msg_per_s=sorted(baseline)[len(baseline) // 2],
        ),
    ]


if __name__ == "__main__":
    main(measure)
