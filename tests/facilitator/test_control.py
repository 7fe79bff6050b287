"""The operator's kill switch: where it is off, nothing is read, stored or answered, and it stays
off across a restart; a chat, a whole server or workspace, or a whole platform."""

from __future__ import annotations

import pytest

from facilitator import core as core_module
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import OpenAIChatModel
from facilitator.model import CommandReceived, ConversationRef, Member, Message, MessageReceived
from facilitator.sqlite_store import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter

ALICE = Member("test", "alice", "Alice", is_admin=True)
HERE = ConversationRef("test", "g1", space="team-1")
ELSEWHERE = ConversationRef("test", "g2", space="team-2")


def addressed(number: int, where: ConversationRef) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", where, ALICE, "@parley hello?", mentions_ai=True))


@pytest.fixture(autouse=True)
def switch_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_module, "OFF_REFRESH_SECONDS", 0.0)


@pytest.mark.parametrize("target", ["test:g1", "test:team-1", "test:*"], ids=["chat", "space", "platform"])
async def test_switched_off_it_neither_stores_nor_answers_and_says_so_to_commands(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, target: str
) -> None:
    assert await store.switch(target, off=True)
    core = Facilitator(FacilitatorConfig(), store, model)  # a restart: it is read from the database
    adapter = RecordingAdapter()
    await core.handle(addressed(1, HERE), adapter)
    await core.handle(CommandReceived(HERE, ALICE, "mode auto", message_id="c1"), adapter)
    await core.idle()
    assert fake_model.received == [] and await store.history(HERE, 10) == []
    assert adapter.texts == [
        "I'm switched off here by the people who run me, so I'm not reading or answering."
    ]
    assert (await store.group_settings(HERE)).mode is None  # the command was not carried out
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
    await core.handle(addressed(1, HERE), adapter)
    assert not await store.switch("test:g1", off=True)  # already off
    assert await store.switch("test:g1", off=False)
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
