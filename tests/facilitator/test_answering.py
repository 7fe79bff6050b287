"""Answering a conversation (facilitator/answering.py) with a recording adapter and the loopback
model: a burst of addressed messages gets one answer, the request starting over with the newer
messages while the model has said nothing yet; what arrives once it has spoken, or after the
burst window, gets an answer of its own."""

from __future__ import annotations

import asyncio

from facilitator.actions import StreamMessage
from facilitator.chat import ConversationRef, Member, Message
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice", "alice")


class Chat:
    """Alice addressing Parley in one group, through the core, its answers recorded."""

    def __init__(self, core: Facilitator) -> None:
        self.core, self.adapter, self.number = core, RecordingAdapter(), 0

    async def ask(self, text: str) -> str:
        self.number += 1
        message = Message(f"m{self.number}", GROUP, ALICE, f"@parley {text}", mentions_ai=True)
        await self.core.handle(MessageReceived(message), self.adapter)
        return message.id

    def streams(self) -> list[StreamMessage]:
        return [action for action in self.adapter.actions if isinstance(action, StreamMessage)]


async def test_a_burst_gets_one_answer_from_a_request_started_over_with_every_message(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake_model.default = Reply(text="One answer for all three.", delay=0.4)
    chat = Chat(facilitator)
    await chat.ask("where should we eat?")
    await until(lambda: fake_model.received, what="the first request")  # the model is thinking
    await chat.ask("somewhere cheap")
    last = await chat.ask("and vegetarian please")
    await facilitator.idle()
    assert chat.adapter.texts == ["One answer for all three."]
    assert [stream.reply_to for stream in chat.streams()] == [last]
    first, *_, final = fake_model.received
    assert "where should we eat?" in first.text and "somewhere cheap" not in first.text
    said = ("where should we eat?", "somewhere cheap", "vegetarian please")
    assert all(text in final.text for text in said)


async def test_a_message_after_the_model_spoke_gets_an_answer_of_its_own(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake_model.script(
        Reply(text="First answer, told slowly.", chunk_size=4, chunk_delay=0.1), Reply(text="Second answer.")
    )
    chat = Chat(facilitator)
    first_id = await chat.ask("where should we eat?")
    await until(chat.streams, what="the first answer being shown")  # the model has spoken
    second_id = await chat.ask("and tomorrow?")
    await facilitator.idle()
    assert chat.adapter.texts == ["First answer, told slowly.", "Second answer."]
    assert [stream.reply_to for stream in chat.streams()] == [first_id, second_id]
    first, second = fake_model.received
    assert "and tomorrow?" not in first.text
    assert "and tomorrow?" in second.text


async def test_after_the_burst_window_a_message_gets_an_answer_of_its_own(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    fake_model.script(Reply(text="First answer.", delay=1.0), Reply(text="Second answer."))
    core = Facilitator(FacilitatorConfig(burst_window_seconds=0.2), store, model)
    try:
        chat = Chat(core)
        first_id = await chat.ask("where should we eat?")
        await until(lambda: fake_model.received, what="the first request")
        await asyncio.sleep(0.3)  # the burst window passes; the model has said nothing yet
        second_id = await chat.ask("and tomorrow?")
        await core.idle()
        assert chat.adapter.texts == ["First answer.", "Second answer."]
        assert [stream.reply_to for stream in chat.streams()] == [first_id, second_id]
        first, second = fake_model.received
        assert "and tomorrow?" not in first.text and "and tomorrow?" in second.text
        assert first.first_token_at is not None and second.at >= first.first_token_at
    finally:
        await core.close()
