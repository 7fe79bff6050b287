"""`parley migrate --from-sqlite`: a SQLite database's history, copied into PostgreSQL, reads back
the same through the PostgreSQL store; nothing is copied into a database that holds something;
and every table of the schema is either copied or deliberately left (a new table must say)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.chat import ConversationRef, Member, Message, Mode, utcnow
from facilitator.store.copying import COPIED, TRANSIENT, copy_history
from facilitator.store.pg_pool import NotEmpty
from facilitator.store.postgres import PostgresStore
from facilitator.store.roles import PreviewTurn
from facilitator.store.sqlite import SqliteStore

GROUP = ConversationRef("telegram", "-100")
DIRECT = ConversationRef("telegram", "42", is_direct=True)
ALICE = Member("telegram", "42", "Alice", "alice")


async def filled(path: Path) -> SqliteStore:
    store = await SqliteStore.open(path)
    for n in range(30):
        await store.add_message(
            Message(str(n), GROUP, ALICE, f"line {n} \x00 é", sent_at=utcnow() - timedelta(minutes=30 - n))
        )
    await store.add_ai_message(GROUP, "ai-1", "an answer", "29")
    await store.add_message(Message("d1", DIRECT, ALICE, "just us"))
    await store.set_mode(GROUP, Mode.AUTO)
    await store.set_instructions(GROUP, "Be brief.")
    await store.set_profile_field("telegram", "42", "name", "Ally")
    await store.record_usage("telegram", ("42", "group:-100"), 100, 20, images=1)
    await store.switch("telegram:-999", off=True)
    await store.keep("telegram", "offset", "1234")
    await store.add_owed_message(Message("30", GROUP, ALICE, "still owed"), "old", 1.0, 2.0)
    await store.add_preview(GROUP, PreviewTurn(1.0, "29", "42", 1.0, "line 29", "reply", "hi"))
    await store.set_readiness(GROUP, 0.7)
    return store


async def test_the_history_reads_back_the_same_and_ids_go_on_after_it(
    tmp_path: Path, postgres_url: str
) -> None:
    source = await filled(tmp_path / "old.db")
    target = await PostgresStore.open(postgres_url, pool_size=2)
    try:
        counts = await copy_history(source, target)
        assert counts["messages"] == 33 and counts["conversations"] == 2 and counts["owed_answers"] == 1
        before = await source.history(GROUP, 100)
        after = await target.history(GROUP, 100)
        assert [(i.message_id, i.speaker, i.text, i.from_ai) for i in after] == [
            (i.message_id, i.speaker, i.text, i.from_ai) for i in before
        ]
        state = await target.group_state(GROUP)
        assert (state.mode, state.instructions) == (Mode.AUTO, "Be brief.")
        assert (await target.profile("telegram", "42")).name == "Ally"  # type: ignore[union-attr]
        used = await target.usage("telegram", "42", utcnow().date())
        assert (used.replies, used.prompt_tokens, used.images) == (1, 100, 1)
        assert await target.switched_off() == {"telegram:-999"}
        assert await target.recall("telegram", "offset") == "1234"
        assert await target.readiness(GROUP) == 0.7
        assert [t.detail for t in await target.previews(GROUP)] == ["hi"]
        (owed,) = await target.claim_owed("telegram", "new", now=10.0, lease_until=40.0)
        assert owed.message.text == "still owed"
        # New rows continue after the copied ids: a new message is the newest, not a clash.
        await target.add_message(Message("31", GROUP, ALICE, "after the move"))
        assert (await target.history(GROUP, 1))[0].text == "after the move"
        with pytest.raises(NotEmpty):  # run twice: nothing copied over what is there
            await copy_history(source, target)
        assert len(await target.history(GROUP, 100)) == 33
    finally:
        await source.close()
        await target.close()


async def test_every_table_is_copied_or_deliberately_left(tmp_path: Path) -> None:
    await (await SqliteStore.open(tmp_path / "schema.db")).close()
    with sqlite3.connect(tmp_path / "schema.db") as raw:
        tables = {
            name
            for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        }
    assert tables == set(COPIED) | set(TRANSIENT)
