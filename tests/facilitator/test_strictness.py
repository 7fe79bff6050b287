"""Strict content mode: set by a group's admins or forced by the operator, stricter instructions,
and with moderation on, what is said, answered and drawn there checked first."""

from __future__ import annotations

from facilitator.actions import StreamMessage
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import decide

ALICE = Member("test", "alice", "Alice", is_admin=True)
HERE = ConversationRef("test", "g1", space="team-1")
NOT_ADMIN = Member("test", "bob", "Bob")
ELSEWHERE = ConversationRef("test", "g2", space="team-2")


def addressed(number: int, where: ConversationRef) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", where, ALICE, "@parley hello?", mentions_ai=True))


async def test_strict_mode_is_set_by_admins_and_makes_the_instructions_stricter(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(CommandReceived(HERE, NOT_ADMIN, "strict on", message_id="c1"), adapter)
    await core.handle(addressed(1, HERE), adapter)
    await core.idle()
    assert "Only this group's admins" in adapter.texts[0]
    assert "Strict content mode is on" not in fake_model.received[0].text
    await core.handle(CommandReceived(HERE, ALICE, "strict on", message_id="c2"), adapter)
    await core.handle(addressed(2, HERE), adapter)
    await core.idle()
    assert "suitable for all ages" in adapter.texts[2]
    assert "Strict content mode is on here: some members may be minors" in fake_model.received[1].text
    await core.handle(addressed(3, ELSEWHERE), adapter)  # another group is not affected
    await core.idle()
    assert "Strict content mode" not in fake_model.received[2].text


async def test_the_operator_can_force_strict_mode(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(forced_strict=frozenset({"test:team-1"})), store, model)
    adapter = RecordingAdapter()
    await core.handle(CommandReceived(HERE, ALICE, "strict off", message_id="c1"), adapter)
    await core.handle(addressed(1, HERE), adapter)
    await core.idle()
    assert "set by the people who run me" in adapter.texts[0]
    assert "Strict content mode is on" in fake_model.received[0].text


async def test_with_moderation_a_strict_group_checks_what_is_said_and_answered(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(moderation=True, forced_strict=frozenset({"test:g1"})), store, model)
    adapter = RecordingAdapter()
    refusal = "I can't help with that here: this group has strict content rules."
    await core.handle(
        MessageReceived(Message("m1", HERE, ALICE, "@parley FLAGME now", mentions_ai=True)), adapter
    )
    await core.idle()
    assert adapter.texts == [refusal] and fake_model.received == []  # the model never saw it
    fake_model.script("Sure, here is FLAGME content")
    await core.handle(addressed(2, HERE), adapter)
    await core.idle()
    assert adapter.texts[-1] == refusal  # the answer was checked whole before anyone saw it
    await core.handle(addressed(3, HERE), adapter)
    await core.idle()
    assert adapter.texts[-1] == "Hello from the fake model."
    assert not any(isinstance(action, StreamMessage) for action in adapter.actions)  # never streamed
    fake_model.moderation_status = 500
    await core.handle(addressed(4, HERE), adapter)
    await core.idle()
    assert adapter.texts[-1] == refusal  # strict means strict: no verdict, no answer
    checked = len(fake_model.moderation_requests)
    await core.handle(addressed(5, ELSEWHERE), adapter)  # not strict: not checked, streamed
    await core.idle()
    assert len(fake_model.moderation_requests) == checked
    assert isinstance(adapter.actions[-1], StreamMessage)


async def test_in_a_strict_group_an_image_is_checked_before_it_is_made(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    config = FacilitatorConfig(moderation=True, image_generation=True, forced_strict=frozenset({"test:g1"}))
    core = Facilitator(config, store, model)
    adapter = RecordingAdapter()
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "FLAGME gore"}}])
    )
    await core.handle(addressed(1, HERE), adapter)
    await core.idle()
    assert fake_model.image_requests == []  # never drawn
    assert adapter.texts == ["I can't help with that here: this group has strict content rules."]


async def test_in_a_strict_group_an_unprompted_reply_is_checked_whole_too(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    limits = AutoLimits(
        question_wait_seconds=0.05,
        settle_seconds=0.05,
        recheck_seconds=0,
        cooldown_seconds=0,
        join_threshold=0.0,
    )
    config = FacilitatorConfig(auto=limits, moderation=True, forced_strict=frozenset({"test:g1"}))
    core = Facilitator(config, store, model)
    adapter = RecordingAdapter()
    await store.set_mode(HERE, Mode.AUTO)
    fake_model.script(decide("reply"), Reply(text="FLAGME is the answer"))  # decided, then written
    await core.handle(
        MessageReceived(Message("q1", HERE, NOT_ADMIN, "any ideas for dinner tonight?")), adapter
    )
    await until(lambda: adapter.texts)
    await core.close()
    assert adapter.texts == ["I can't help with that here: this group has strict content rules."]
    assert not any(isinstance(action, StreamMessage) for action in adapter.actions)
