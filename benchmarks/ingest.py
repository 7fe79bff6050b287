"""Figure 1: ordinary group messages persisted per second through the core, beside a naive
store (one aiosqlite insert and commit per message) and the limit (plain sqlite3, one batch)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import aiosqlite

from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, progress
from facilitator.core import Facilitator
from facilitator.events import MessageReceived

CONVERSATIONS = 20
MEMBERS = 12
# Platforms deliver updates concurrently (discord.py and Bolt run a task per event, PTB with
# concurrent updates); the core orders what must be ordered.
IN_FLIGHT = 256
INSERT = (
    "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at, reply_to,"
    " attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def ordinary_messages(count: int, seed: int) -> list[MessageReceived]:
    rng = random.Random(seed)
    refs = [fixtures.conversation(n) for n in range(CONVERSATIONS)]
    members = [fixtures.member(n) for n in range(MEMBERS)]
    return [
        fixtures.message(rng.choice(refs), rng.choice(members), fixtures.sentence(rng)) for _ in range(count)
    ]


def as_rows(events: Iterable[MessageReceived]) -> list[tuple[object, ...]]:
    """The same messages as the rows a store writes (conversation rows are 1..CONVERSATIONS)."""
    return [
        (
            int(e.message.conversation.chat_id.split("-")[1]) + 1,
            e.message.id,
            e.message.author.user_id,
            0,
            e.message.text,
            e.message.sent_at.isoformat(),
            None,
            None,
        )
        for e in events
    ]


async def through_the_core(path: Path, events: list[MessageReceived]) -> float:
    adapter = fixtures.TimingAdapter()
    async with fixtures.core_without_model(path) as (core, _store):
        await core.handle(events[0], adapter)  # the first conversation row and connection warm-up
        started = time.perf_counter()
        await feed(core, adapter, events[1:])
        elapsed = time.perf_counter() - started
    stored = await asyncio.to_thread(_count, path)
    if stored != len(events):
        raise RuntimeError(f"{stored} of {len(events)} messages were stored")
    return (len(events) - 1) / elapsed


async def feed(core: Facilitator, adapter: fixtures.TimingAdapter, events: list[MessageReceived]) -> None:
    pending = iter(events)

    async def deliver() -> None:
        for event in pending:
            await core.handle(event, adapter)

    await asyncio.gather(*(deliver() for _ in range(IN_FLIGHT)))


async def naive(path: Path, rows: list[tuple[object, ...]]) -> float:
    """The store many bots start with: insert, commit, next (same schema, same WAL settings)."""
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        for row in rows:
            await db.execute(INSERT, row)
            await db.commit()
        return len(rows) / (time.perf_counter() - started)


def raw_batched(path: Path, rows: list[tuple[object, ...]]) -> float:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        db.executemany(INSERT, rows)
        db.commit()
        return len(rows) / (time.perf_counter() - started)
    finally:
        db.close()


def _count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    finally:
        db.close()


async def measure(quick: bool) -> list[Figure]:
    runs, count, naive_count = (1, 1_000, 300) if quick else (5, 20_000, 3_000)
    ours, baseline, limit = [], [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        for run in range(runs):
            events = ordinary_messages(count, seed=run)
            rows = as_rows(events)
            ours.append(await through_the_core(Path(tmp, f"core-{run}.db"), events))
            for name in (f"naive-{run}.db", f"raw-{run}.db"):
                await fixtures.stored_history(Path(tmp, name), CONVERSATIONS, 0)
            baseline.append(await naive(Path(tmp, f"naive-{run}.db"), rows[:naive_count]))
            limit.append(raw_batched(Path(tmp, f"raw-{run}.db"), rows))
            progress(f"ingest run {run + 1}/{runs}: {ours[-1]:,.0f} msg/s (naive {baseline[-1]:,.0f})")
    return [
        figure(1, "ingest", "Ingest, messages/s", ours, "msg/s", at_least=20_000, target="≥ 20,000"),
        figure(
            1,
            "ingest_vs_naive",
            "Ingest ÷ naive aiosqlite (insert+commit each)",
            [o / b for o, b in zip(ours, baseline, strict=True)],
            "×",
            at_least=10,
            target="≥ 10×",
            naive_msg_per_s=sorted(baseline)[len(baseline) // 2],
        ),
        figure(
            1,
            "ingest_vs_limit",
            "Ingest ÷ raw sqlite3 batched (the limit)",
            [o / r for o, r in zip(ours, limit, strict=True)],
            "×",
            target="reported",
            raw_msg_per_s=sorted(limit)[len(limit) // 2],
        ),
    ]


if __name__ == "__main__":
    main(measure)
