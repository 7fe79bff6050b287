"""The facilitator with a recording adapter: ordering, concurrency, duplicates, failures, isolation."""

from __future__ import annotations

import asyncio

import pytest

from facilitator.actions import ShowTyping
from facilitator.chat import ConversationRef, Member, Message
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter

ALICE = Member("test", "alice", "Alice", "alice")


def addressed(
    number: int, chat: str = "g1", text: str = "@parley hi", direct: bool = False
) -> MessageReceived:
    conversation = ConversationRef("test", chat, is_direct=direct)
    return MessageReceived(Message(f"m{number}", conversation, ALICE, text, mentions_ai=True))


@pytest.mark.parametrize(("cap", "conversations", "most_at_once"), [(2, 6, 2), (8, 4, 4)])
async def test_conversations_are_answered_concurrently_up_to_the_cap(
    store: SqliteStore,
    model: OpenAIChatModel,
    fake_model: FakeOpenAI,
    cap: int,
    conversations: int,
    most_at_once: int,
) -> None:
    fake_model.default = Reply(text="ok", delay=0.2)
    core = Facilitator(FacilitatorConfig(max_concurrent_calls=cap), store, model)
    adapter = RecordingAdapter()
    await asyncio.gather(*(core.handle(addressed(i, chat=f"g{i}"), adapter) for i in range(conversations)))
    await core.idle()
    assert adapter.texts == ["ok"] * conversations
    assert fake_model.max_in_flight == most_at_once


async def test_a_redelivered_message_is_not_answered_twice_even_after_a_restart(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    adapter = RecordingAdapter()
    core = Facilitator(FacilitatorConfig(), store, model)
    await core.handle(addressed(1), adapter)
    await core.handle(addressed(1), adapter)
    await core.idle()
    restarted = Facilitator(FacilitatorConfig(), store, model)  # same database, fresh memory
    await restarted.handle(addressed(1), adapter)
    await restarted.idle()
    assert len(adapter.texts) == 1
    assert len(fake_model.received) == 1


async def test_a_platform_failure_is_logged_and_the_core_goes_on(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    broken = RecordingAdapter(fail_sends=True)
    await core.handle(addressed(1), broken)
    await core.idle()
    working = RecordingAdapter()
    await core.handle(addressed(2), working)
    await core.idle()
    assert working.texts == ["Hello from the fake model."]


async def test_typing_is_shown_while_it_thinks(store: SqliteStore, model: OpenAIChatModel) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(addressed(1), adapter)
    await core.idle()
    assert any(isinstance(action, ShowTyping) for action in adapter.actions)


async def test_nothing_said_in_one_group_reaches_another_or_leaves_a_direct_chat(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(addressed(1, chat="dm-alice", text="canary-DM-7f3a", direct=True), adapter)
    await core.handle(addressed(2, chat="group-a", text="@parley canary-A-91bc"), adapter)
    await core.idle()
    await core.handle(addressed(3, chat="group-b", text="@parley what did you hear?"), adapter)
    await core.idle()
    for_b = fake_model.received[-1].text
    assert "canary-DM-7f3a" not in for_b and "canary-A-91bc" not in for_b
    for_a = fake_model.received[1].text
    assert "canary-DM-7f3a" not in for_a


async def test_shutdown_stops_an_answer_that_would_take_too_long(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    fake_model.default = Reply(text="too late", delay=3.0)
    core = Facilitator(FacilitatorConfig(max_concurrent_calls=1), store, model)
    adapter = RecordingAdapter()
    await core.handle(addressed(1), adapter)
    await fake_model.arrived.wait()
    await core.close(grace_seconds=0.2)
    assert adapter.texts == []
    assert len(core._tasks) == 0
    assert not core._services.slots.locked()  # the stopped request gave its model slot back


async def test_edits_and_deletions_reach_the_context(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    from facilitator.events import MessageDeleted, MessageEdited

    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    group = ConversationRef("test", "g1")
    await core.handle(MessageReceived(Message("e1", group, ALICE, "meet at 5pm")), adapter)
    await core.handle(MessageReceived(Message("e2", group, ALICE, "my phone is 555-0100")), adapter)
    await core.handle(MessageEdited(group, "e1", "meet at 6pm"), adapter)
    await core.handle(MessageDeleted(group, "e2"), adapter)
    await core.handle(addressed(3, text="@parley when do we meet?"), adapter)
    await core.idle()
    seen = fake_model.received[-1].text
    assert "meet at 6pm" in seen and "5pm" not in seen and "555-0100" not in seen


async def test_a_moved_conversation_answers_under_its_new_id_with_its_old_context(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    from facilitator.events import ConversationMoved

    adapter = RecordingAdapter()
    old, new = ConversationRef("test", "-5"), ConversationRef("test", "-1005")
    said = Message("m1", old, ALICE, "The trip is on the 12th, remember that.")
    await facilitator.handle(MessageReceived(said), adapter)
    await facilitator.handle(ConversationMoved(old, new), adapter)
    await facilitator.handle(
        MessageReceived(Message("m1", new, ALICE, "@parley when?", mentions_ai=True)), adapter
    )
    await facilitator.idle()
    assert adapter.texts == ["Hello from the fake model."]
    assert "on the 12th" in fake_model.received[0].text and "@parley when?" in fake_model.received[0].text


async def test_a_redelivered_command_is_not_run_twice_even_after_a_restart(
    store: SqliteStore, model: OpenAIChatModel
) -> None:
    from facilitator.events import CommandReceived

    adapter = RecordingAdapter()
    where = ConversationRef("test", "g1")
    command = CommandReceived(where, ALICE, "help", message_id="m9", event_id="u9")
    await Facilitator(FacilitatorConfig(), store, model).handle(command, adapter)
    restarted = Facilitator(FacilitatorConfig(), store, model)  # same database, fresh memory
    await restarted.handle(command, adapter)
    await restarted.handle(CommandReceived(where, ALICE, "help", message_id="m10"), adapter)
    assert len(adapter.texts) == 2  # the first delivery and the new command, not the redelivery


async def test_the_size_notice_is_marked_so_an_adapter_can_offer_a_smaller_group(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    from facilitator.actions import SendMessage

    adapter = RecordingAdapter(members=40)
    await facilitator.handle(addressed(1), adapter)
    await facilitator.idle()
    notices = [a for a in adapter.actions if isinstance(a, SendMessage)]
    assert len(notices) == 1 and notices[0].notice == "size_limit" and notices[0].reply_to == "m1"
    assert fake_model.received == []
