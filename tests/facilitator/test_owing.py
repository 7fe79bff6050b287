"""Answers owed (facilitator/owing.py) through the real core, the SQLite store on disk and the
loopback model: an answer the core decided on is durable before the model is asked, a stop that
cuts it off leaves it to the next core, which gives it once; what was already posted is never
posted again; an answer owed too long gets the operator's choice; a late mention is kept only."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from facilitator.actions import Action, Delivered, SendMessage, StreamMessage
from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.ports import StoreUnavailable
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.core import model_for

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice", "alice")


def mention(number: int, text: str = "what time is it?", **options: object) -> MessageReceived:
    return MessageReceived(
        Message(f"m{number}", GROUP, ALICE, f"@parley {text}", mentions_ai=True, **options)
    )  # type: ignore[arg-type]


def owed_rows(path: Path) -> list[tuple[str, str]]:
    """What the database file says is owed, read as another process would read it."""
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT message_id, posted FROM owed_answers ORDER BY id"))


@dataclass
class Process:
    """One process's core, on the database at a path the next process opens too."""

    core: Facilitator
    store: SqliteStore
    model: OpenAIChatModel

    @classmethod
    async def on(
        cls, path: Path, fake_model: FakeOpenAI, store: SqliteStore | None = None, **options: object
    ) -> Process:
        store = store or await SqliteStore.open(path)
        config = FacilitatorConfig(burst_window_seconds=0.0, **options)  # type: ignore[arg-type]
        model = model_for(fake_model)
        return cls(Facilitator(config, store, model), store, model)

    async def stop(self, grace: float = 0.0) -> None:
        """As at a deploy: answers under way get `grace`, then the rest stays owed."""
        await self.core.close(grace)
        await self.model.close()
        await self.store.close()


async def cut_off(path: Path, fake_model: FakeOpenAI) -> None:
    """A process asked for an answer and stopped before the model gave it."""
    fake_model.default = Reply(text="Half past two.", delay=1.0)
    first, adapter = await Process.on(path, fake_model), RecordingAdapter()
    await first.core.handle(mention(1), adapter)
    await until(lambda: fake_model.received, what="the model asked")
    await first.stop(grace=0.0)
    assert adapter.texts == [] and owed_rows(path) == [("m1", "")]
    fake_model.default = Reply(text="Half past two.")


async def test_an_answer_is_owed_before_the_model_is_asked_and_settled_once_given(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    path = tmp_path / "parley.db"
    fake_model.default = Reply(text="Half past two.", delay=0.5)
    process = await Process.on(path, fake_model)
    adapter = RecordingAdapter()
    await process.core.handle(mention(1), adapter)
    assert owed_rows(path) == [("m1", "")]  # durable the moment handle returned
    await process.core.idle()
    assert adapter.texts == ["Half past two."]
    assert owed_rows(path) == []
    await process.stop()


async def test_an_answer_cut_off_by_a_stop_is_given_once_by_the_next_core(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    path = tmp_path / "parley.db"
    await cut_off(path, fake_model)  # the deploy's grace ran out before the model answered
    process = await Process.on(path, fake_model)
    second = RecordingAdapter()
    assert await process.core.resume_owed(second) == 1
    await process.core.idle()
    assert second.texts == ["Half past two."]
    assert [a.reply_to for a in second.actions if isinstance(a, StreamMessage)] == ["m1"]
    assert await process.core.resume_owed(second) == 0  # nothing is owed twice
    assert owed_rows(path) == []
    await process.stop()


class PostsThenHangs(RecordingAdapter):
    """A platform where the answer's first part goes out, then the process dies mid-stream."""

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, StreamMessage):
            async for _ in action.chunks:
                assert action.on_part is not None
                await action.on_part("posted-1")
                self.texts.append("the first words")
                await until(lambda: False, within=60)  # stopped here by the shutdown
        return await super().perform(action)


async def test_an_answer_partly_posted_before_it_was_cut_off_is_not_posted_again(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    path = tmp_path / "parley.db"
    fake_model.default = Reply(text="Half past two, and here is why.", chunk_size=5, chunk_delay=0.1)
    first = await Process.on(path, fake_model)
    await first.core.handle(mention(1), PostsThenHangs())
    await until(lambda: owed_rows(path) == [("m1", "posted-1\n")], what="the first part noted")
    await first.stop(grace=0.1)

    process = await Process.on(path, fake_model)
    second = RecordingAdapter()
    assert await process.core.resume_owed(second) == 1
    await process.core.idle()
    assert second.actions == []  # members already see its first part: no second answer
    assert owed_rows(path) == []
    await process.stop()


@pytest.mark.parametrize("late", ["sorry", "drop"])
async def test_an_answer_owed_too_long_gets_the_operators_choice(
    tmp_path: Path, fake_model: FakeOpenAI, late: str
) -> None:
    path = tmp_path / "parley.db"
    await cut_off(path, fake_model)
    with sqlite3.connect(path) as db:  # the process was down for ten minutes
        db.execute("UPDATE owed_answers SET since = since - 600")

    process = await Process.on(path, fake_model, late_answers=late, owed_within_seconds=300.0)
    second = RecordingAdapter()
    assert await process.core.resume_owed(second) == 1
    await process.core.idle()
    if late == "sorry":
        assert second.texts == ["Sorry, I was restarting and missed this. Could you ask me again?"]
        assert [a.reply_to for a in second.actions if isinstance(a, SendMessage)] == ["m1"]
    else:
        assert second.actions == []
    assert len(fake_model.received) == 1 and owed_rows(path) == []
    await process.stop()


async def test_a_mention_delivered_long_after_it_was_sent_is_kept_but_not_answered(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    process = await Process.on(tmp_path / "parley.db", fake_model, owed_within_seconds=300.0)
    core, adapter = process.core, RecordingAdapter()
    await core.handle(mention(1, "are we on for tonight?", sent_at=utcnow() - timedelta(hours=2)), adapter)
    await core.handle(mention(2, "and now?"), adapter)
    await core.idle()
    assert adapter.texts == ["Hello from the fake model."]  # only the fresh one
    assert "are we on for tonight?" in fake_model.received[0].text  # kept, and read as context
    await process.stop()


class RefusingOnce(SqliteStore):
    """A database that refuses one write (a full disk, a lock held too long), then recovers."""

    refuse = True

    async def add_owed_message(
        self, message: Message, owner: str, now: float, lease_until: float
    ) -> int | None:
        if self.refuse:
            self.refuse = False
            raise StoreUnavailable("the database refused writes")
        return await super().add_owed_message(message, owner, now, lease_until)


async def test_a_mention_the_store_refused_is_not_taken_and_its_redelivery_is_answered(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    path = tmp_path / "parley.db"
    process = await Process.on(path, fake_model, store=await RefusingOnce.open(path))
    core, adapter = process.core, RecordingAdapter()
    with pytest.raises(StoreUnavailable):  # the adapter must not acknowledge it
        await core.handle(mention(1), adapter)
    await core.handle(mention(1), adapter)  # the platform delivers it again
    await core.idle()
    assert adapter.texts == ["Hello from the fake model."]
    await process.stop()


async def test_every_answer_owed_is_taken_up_however_many_there_are(
    tmp_path: Path, fake_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("facilitator.store.owed.CLAIMS_AT_ONCE", 2)  # claimed two at a time
    path = tmp_path / "parley.db"
    fake_model.default = Reply(text="Half past two.", delay=1.0)
    first = await Process.on(path, fake_model)
    for number in range(5):
        where = ConversationRef("test", f"g{number}")
        said = Message(f"m{number}", where, ALICE, "@parley what time is it?", mentions_ai=True)
        await first.core.handle(MessageReceived(said), RecordingAdapter())
    await first.stop(grace=0.0)
    assert len(owed_rows(path)) == 5

    fake_model.default = Reply(text="Half past two.")
    process = await Process.on(path, fake_model)
    second = RecordingAdapter()
    assert await process.core.resume_owed(second) == 5
    await process.core.idle()
    assert second.texts == ["Half past two."] * 5 and owed_rows(path) == []
    await process.stop()


async def test_an_answer_owed_where_the_operator_switched_the_ai_off_meanwhile_is_not_given(
    tmp_path: Path, fake_model: FakeOpenAI
) -> None:
    path = tmp_path / "parley.db"
    await cut_off(path, fake_model)
    store = await SqliteStore.open(path)
    await store.switch("test:g1", off=True)  # `parley off test:g1` while it was down
    await store.close()

    process = await Process.on(path, fake_model)
    await process.core.refresh_switches()
    second = RecordingAdapter()
    assert await process.core.resume_owed(second) == 1
    await process.core.idle()
    assert second.actions == [] and len(fake_model.received) == 1 and owed_rows(path) == []
    await process.stop()
