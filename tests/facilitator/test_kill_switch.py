"""The operator's kill switch: where it is off, nothing is read, stored or answered, and it stays
off across a restart; a chat, a whole server or workspace, or a whole platform."""

from __future__ import annotations

import asyncio

import pytest

from facilitator import kill_switch
from facilitator.chat import ConversationRef, Member, Message
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter

ALICE = Member("test", "alice", "Alice", is_admin=True)
HERE = ConversationRef("test", "g1", space="team-1")
ELSEWHERE = ConversationRef("test", "g2", space="team-2")


def addressed(number: int, where: ConversationRef) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", where, ALICE, "@parley hello?", mentions_ai=True))


@pytest.mark.parametrize("target", ["test:g1", "test:team-1", "test:*"], ids=["chat", "space", "platform"])
async def test_switched_off_it_neither_stores_nor_answers_and_says_so_to_commands(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, target: str
) -> None:
    assert await store.switch(target, off=True)
    core = Facilitator(FacilitatorConfig(), store, model)  # a restart: it is read from the database
    await core.refresh_switches()  # as `parley run` does before any event
    adapter = RecordingAdapter()
    await core.handle(addressed(1, HERE), adapter)
    await core.handle(CommandReceived(HERE, ALICE, "mode auto", message_id="c1"), adapter)
    await core.idle()
    assert fake_model.received == [] and await store.history(HERE, 10) == []
    assert adapter.texts == [
        "I'm switched off here by the people who run me, so I'm not reading or answering."
    ]
    assert (await store.group_state(HERE)).mode is None  # the command was not carried out
    if target != "test:*":
        await core.handle(addressed(2, ELSEWHERE), adapter)
        await core.idle()
        assert adapter.texts[-1] == "Hello from the fake model."


async def test_switched_on_again_it_answers(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await store.switch("test:g1", off=True)
    await core.refresh_switches()  # what the running bot does every half minute
    await core.handle(addressed(1, HERE), adapter)
    assert not await store.switch("test:g1", off=True)  # already off
    assert await store.switch("test:g1", off=False)
    await core.refresh_switches()
    await core.handle(addressed(2, HERE), adapter)
    await core.idle()
    assert adapter.texts == ["Hello from the fake model."]


async def test_the_settings_switch_it_off_too(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(switched_off=frozenset({"test:team-1"})), store, model)
    adapter = RecordingAdapter()
    await core.handle(addressed(1, HERE), adapter)
    await core.idle()
    assert fake_model.received == []


async def test_a_running_bot_follows_parley_off_within_its_refresh(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kill_switch, "OFF_REFRESH_SECONDS", 0.05)
    core = Facilitator(FacilitatorConfig(), store, model)
    await core.refresh_switches()
    adapter = RecordingAdapter()
    await core.handle(addressed(1, HERE), adapter)
    await core.idle()
    other = await SqliteStore.open(store.path)  # `parley off test:g1`, from another process
    await other.switch("test:g1", off=True)
    await other.close()
    await asyncio.sleep(0.1)
    await core.handle(addressed(2, HERE), adapter)  # this one sets the background read going
    await core.idle()
    await core.handle(addressed(3, HERE), adapter)
    await core.idle()
    stored = [item.message_id for item in await store.history(HERE, 10)]
    assert len(fake_model.received) == 2 and "m3" not in stored  # m2 set the read going; m3 met it
