"""The retention schedule `parley run` keeps: old messages go, now and then again, and a
database that fails once does not stop the schedule."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import keep_retention
from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.store.sqlite import SqliteStore

GROUP = ConversationRef("test", "g1")
BOB = Member("test", "bob", "Bob")


async def test_old_messages_go_now_and_later(store: SqliteStore) -> None:
    now = utcnow()
    await store.add_message(Message("old", GROUP, BOB, "two months ago", sent_at=now - timedelta(days=60)))
    await store.add_message(Message("new", GROUP, BOB, "today", sent_at=now))
    keeping = asyncio.create_task(keep_retention(store, days=30, every_seconds=0.05))
    await asyncio.sleep(0.1)
    assert [item.text for item in await store.history(GROUP, 10)] == ["today"]
    await store.add_message(Message("late", GROUP, BOB, "a late delivery", sent_at=now - timedelta(days=45)))
    await asyncio.sleep(0.15)
    keeping.cancel()
    assert [item.text for item in await store.history(GROUP, 10)] == ["today"]


async def test_a_failing_database_does_not_stop_the_schedule(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await SqliteStore.open(tmp_path / "p.db")
    await store.close()  # every prune now fails
    keeping = asyncio.create_task(keep_retention(store, days=1, every_seconds=0.02))
    await asyncio.sleep(0.1)
    assert not keeping.done()
    keeping.cancel()
    assert "retention: could not delete old messages" in caplog.text
