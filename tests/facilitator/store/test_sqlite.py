"""The SQLite store: migrations, re-opening, group commit, odd text, isolation between groups."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.store.migrations import LATEST
from facilitator.store.sqlite import SqliteStore, StoreError
from tests.support.stored import count

GROUP_A = ConversationRef("shell", "a")
GROUP_B = ConversationRef("shell", "b")
ALICE = Member("shell", "alice", "Alice", "alice")


def message(
    number: int, text: str, conversation: ConversationRef = GROUP_A, author: Member = ALICE
) -> Message:
    return Message(f"m{number}", conversation, author, text)


async def test_migrates_an_empty_file_and_reopens_it_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    store = await SqliteStore.open(path)
    assert store.applied_migrations == list(range(1, LATEST + 1))
    assert await store.schema_version() == LATEST
    await store.add_message(message(1, "kept across restarts"))
    await store.set_mode(GROUP_A, Mode.OFF)
    await store.close()

    again = await SqliteStore.open(path)
    assert again.applied_migrations == []
    assert [item.text for item in await again.history(GROUP_A, 10)] == ["kept across restarts"]
    assert (await again.group_state(GROUP_A)).mode is Mode.OFF
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await again.close()


async def test_an_unmigrated_database_is_refused_when_migrating_is_not_allowed(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="parley migrate"):
        await SqliteStore.open(tmp_path / "old.db", migrate=False)


async def test_a_database_from_a_newer_parley_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(StoreError, match="upgrade Parley"):
        await SqliteStore.open(path)


async def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StoreError):
        await SqliteStore.open(path)


async def test_many_concurrent_writes_keep_their_order_and_are_all_durable(store: SqliteStore) -> None:
    await asyncio.gather(*(store.add_message(message(i, f"line {i}")) for i in range(500)))
    history = await store.history(GROUP_A, 1000)
    assert [item.text for item in history] == [f"line {i}" for i in range(500)]
    assert await count(store, "SELECT COUNT(*) FROM messages") == 500  # committed: another connection sees it


async def test_a_repeated_platform_id_is_stored_once(store: SqliteStore) -> None:
    await store.add_message(message(1, "first delivery"))
    await store.add_message(message(1, "redelivered"))
    assert [item.text for item in await store.history(GROUP_A, 10)] == ["first delivery"]
    assert not await store.add_message_once(message(1, "redelivered again"))
    assert await store.add_message_once(message(1, "the same id in another group", GROUP_B))
    assert [item.text for item in await store.history(GROUP_A, 10)] == ["first delivery"]


async def test_redeliveries_in_one_batch_are_told_apart_from_new_messages(store: SqliteStore) -> None:
    outcomes = await asyncio.gather(
        *(store.add_message_once(message(n % 3, f"delivery {n}")) for n in range(9)),
        store.add_message(message(7, "ordinary")),
    )
    assert outcomes[:9] == [True, True, True, False, False, False, False, False, False]
    assert len(await store.history(GROUP_A, 10)) == 4


async def test_odd_text_is_stored_and_one_bad_row_loses_nothing_else(store: SqliteStore) -> None:
    odd = ["nul\x00inside", "lone surrogate \ud800 here", "emoji 👍🏽 and rtl \u202e", "x" * 200_000]
    await asyncio.gather(*(store.add_message(message(i, text)) for i, text in enumerate(odd)))
    texts = [item.text for item in await store.history(GROUP_A, 10)]
    assert texts[0] == "nulinside"  # NUL goes: PostgreSQL refuses it, and both engines keep alike
    assert texts[1] == "lone surrogate ? here"
    assert texts[2] == odd[2]
    assert len(texts[3]) == 100_000


async def test_history_is_per_conversation(store: SqliteStore) -> None:
    await store.add_message(message(1, "said in A"))
    await store.add_message(message(2, "said in B", GROUP_B))
    assert [i.text for i in await store.history(GROUP_A, 10)] == ["said in A"]
    assert [i.text for i in await store.history(GROUP_B, 10)] == ["said in B"]
    thread = ConversationRef("shell", "a", "t1")
    assert await store.history(thread, 10) == []


async def test_edits_and_deletions_change_what_the_model_will_see(store: SqliteStore) -> None:
    await store.add_message(message(1, "typo"))
    await store.add_message(message(2, "regret"))
    await store.edit_message(GROUP_A, "m1", "fixed")
    await store.delete_message(GROUP_A, "m2")
    assert [i.text for i in await store.history(GROUP_A, 10)] == ["fixed"]


async def test_the_window_query_uses_the_index_not_a_scan(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await sqlite_store.add_message(message(1, "x"))
    with sqlite3.connect(tmp_path / "parley.db") as raw:
        plan = raw.execute(
            "EXPLAIN QUERY PLAN SELECT m.seq FROM messages AS m WHERE m.conversation_id = 1"
            " AND m.seq > 0 AND m.deleted = 0 ORDER BY m.seq DESC LIMIT 200"
        ).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "USING INDEX messages_by_conversation" in details or "USING INTEGER PRIMARY KEY" in details
    assert "TEMP B-TREE" not in details


async def test_members_are_the_humans_of_that_conversation(store: SqliteStore) -> None:
    bot = Member("shell", "bot", "Helper", is_bot=True)
    bob = Member("shell", "bob", "Bob")
    await store.add_message(message(1, "hi"))
    await store.add_message(message(2, "beep", author=bot))
    await store.add_message(message(3, "hello", GROUP_B, author=bob))
    assert [p.name for p in await store.members(GROUP_A, 10)] == ["Alice"]
    await store.set_profile_field("shell", "alice", "name", "Ally")
    assert [p.name for p in await store.members(GROUP_A, 10)] == ["Ally"]
    await store.set_profile_field("shell", "alice", "name", None)
    assert [p.name for p in await store.members(GROUP_A, 10)] == ["Alice"]


async def test_replies_and_attachments_come_back_with_the_history(store: SqliteStore) -> None:
    from facilitator.chat import Attachment

    photo = Attachment("image", url="https://cdn.example/secret-token/cat.jpg", name="cat.jpg")
    await store.add_message(message(1, "look"))
    await store.add_message(Message("m2", GROUP_A, ALICE, "cute", reply_to="m1", attachments=(photo,)))
    last = (await store.history(GROUP_A, 10))[-1]
    assert last.reply_to == "m1"
    assert last.attachments == ("image cat.jpg",)  # the model hears of it, never its URL


async def test_members_are_listed_most_recently_active_first_to_the_minute(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    import facilitator.store.members as store_members

    bob = Member("shell", "bob", "Bob", "bob")
    clock = [1000.0]
    monkeypatch.setattr(store_members.time, "monotonic", lambda: clock[0])
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    async def say(number: int, author: Member, minutes: float) -> None:
        clock[0] = 1000.0 + minutes * 60
        sent = start + timedelta(minutes=minutes)
        await store.add_message(Message(f"m{number}", GROUP_A, author, "hi", sent_at=sent))

    await say(1, ALICE, 0)
    await say(2, bob, 0.1)
    assert [p.name for p in await store.members(GROUP_A, 10)] == ["Bob", "Alice"]
    await say(3, ALICE, 0.5)  # within the minute: the order may stay as it was
    await say(4, ALICE, 1.5)  # a minute on, Alice is the most recent again
    assert [p.name for p in await store.members(GROUP_A, 10)] == ["Alice", "Bob"]


async def test_a_moved_conversation_keeps_its_history_settings_and_members(store: SqliteStore) -> None:
    group = ConversationRef("telegram", "-100")
    supergroup = ConversationRef("telegram", "-100200")
    alice = Member("telegram", "alice", "Alice")
    await store.add_message(Message("1", group, alice, "before the move"))
    await store.set_mode(group, Mode.OFF)
    await store.set_instructions(group, "Answer in French.")
    await store.move_conversation(group, supergroup)
    assert [item.text for item in await store.history(supergroup, 10)] == ["before the move"]
    settings = await store.group_state(supergroup)
    assert (settings.mode, settings.instructions) == (Mode.OFF, "Answer in French.")
    assert [p.name for p in await store.members(supergroup, 10)] == ["Alice"]
    assert await store.history(group, 10) == []  # the old id starts empty if it is ever reused


async def test_a_move_onto_a_conversation_that_already_spoke_merges_them(store: SqliteStore) -> None:
    group = ConversationRef("telegram", "-100")
    supergroup = ConversationRef("telegram", "-100200")
    alice, bob = Member("telegram", "alice", "Alice"), Member("telegram", "bob", "Bob")
    await store.add_message(Message("1", group, alice, "old one"))
    await store.set_instructions(group, "Be brief.")
    await store.add_message(Message("1", supergroup, bob, "new one, same id"))
    await store.move_conversation(group, supergroup)
    assert [item.text for item in await store.history(supergroup, 10)] == ["old one", "new one, same id"]
    assert (await store.group_state(supergroup)).instructions == "Be brief."
    assert {p.name for p in await store.members(supergroup, 10)} == {"Alice", "Bob"}


async def test_a_member_known_only_by_id_keeps_the_name_already_known(store: SqliteStore) -> None:
    """After a restart Slack's events are stored before the member's profile is looked up: the
    bare id they carry must not make the AI call a known member "U123" meanwhile."""
    known = Member("slack", "U123", "Alice", "alice", avatar_url="slack-avatar")
    await store.add_message(Message("1.0", GROUP_A, known, "hi"))
    await store.add_message(Message("2.0", GROUP_A, Member("slack", "U123", "U123"), "again"))
    profile = await store.profile("slack", "U123")
    assert profile is not None and (profile.name, profile.handle, profile.photo_url) == (
        "Alice",
        "alice",
        "slack-avatar",
    )
    await store.update_member(Member("slack", "U123", "Alice L.", "alice"))  # a real change still lands
    profile = await store.profile("slack", "U123")
    assert profile is not None and profile.name == "Alice L."


async def test_a_bare_member_in_the_same_batch_does_not_undo_a_profile(store: SqliteStore) -> None:
    known = Member("slack", "U7", "Bob", "bob")
    await asyncio.gather(  # one batch: the profile, then an event carrying only the id
        store.add_message(Message("1.0", GROUP_A, known, "hi")),
        store.add_message(Message("2.0", GROUP_A, Member("slack", "U7", "U7"), "again")),
    )
    profile = await store.profile("slack", "U7")
    assert profile is not None and (profile.name, profile.handle) == ("Bob", "bob")
