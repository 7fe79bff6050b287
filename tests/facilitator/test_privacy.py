"""Private by design, checked with canaries: what a member says to the AI in a direct chat, and
the instructions they set for themselves there, never reach a request to the model for any group,
and nothing said in one group reaches a request for another. Through the real core, SQLite store
and openai client; the loopback model server keeps every request it was sent."""

from __future__ import annotations

from datetime import timedelta

from facilitator.actions import SendMessage
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Message, Mode, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import decide

ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob", is_admin=True)
DIRECT = ConversationRef("test", "dm-alice", is_direct=True)
GROUP_A = ConversationRef("test", "group-a")
GROUP_B = ConversationRef("test", "group-b")
SAID_IN_PRIVATE = "CANARY-7f3a my diagnosis is confidential"
OWN_INSTRUCTION = "CANARY-91bc always call me Captain Zed"
SAID_IN_A = "CANARY-55de the surprise party is at Dana's"


def said(number: int, where: ConversationRef, who: Member, text: str, to_ai: bool = False) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", where, who, text, mentions_ai=to_ai))


async def test_a_direct_chat_and_ones_own_instructions_never_reach_a_group(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(
        CommandReceived(DIRECT, ALICE, f"instructions {OWN_INSTRUCTION}", message_id="c1"), adapter
    )
    await core.handle(said(1, DIRECT, ALICE, SAID_IN_PRIVATE), adapter)
    await core.idle()
    await core.handle(said(2, GROUP_A, BOB, SAID_IN_A), adapter)
    await core.handle(said(3, GROUP_A, ALICE, "@parley what do you know about me?", to_ai=True), adapter)
    await core.idle()
    await core.handle(said(4, GROUP_B, ALICE, "@parley and here, what do you know?", to_ai=True), adapter)
    await core.idle()
    private, in_a, in_b = fake_model.received
    # The canaries are real: the direct chat's own request carries both.
    assert SAID_IN_PRIVATE in private.text and OWN_INSTRUCTION in private.text
    for request in (in_a, in_b):
        assert SAID_IN_PRIVATE not in request.text and OWN_INSTRUCTION not in request.text
    assert SAID_IN_A in in_a.text
    assert SAID_IN_A not in in_b.text  # group A's talk stays in group A
    assert all(
        SAID_IN_PRIVATE not in str(r.body) and OWN_INSTRUCTION not in str(r.body) for r in (in_a, in_b)
    )


async def test_auto_mode_decisions_read_their_own_group_only(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    limits = AutoLimits(
        question_wait_seconds=0.05,
        settle_seconds=0.05,
        recheck_seconds=0,
        cooldown_seconds=0,
        join_threshold=0.0,
    )
    core = Facilitator(FacilitatorConfig(auto=limits), store, model)
    adapter = RecordingAdapter()
    await store.set_mode(GROUP_B, Mode.AUTO)
    await core.handle(said(1, DIRECT, ALICE, SAID_IN_PRIVATE), adapter)
    await core.handle(said(2, GROUP_A, BOB, SAID_IN_A), adapter)
    await core.idle()
    fake_model.script(decide("silent"))
    await core.handle(said(3, GROUP_B, ALICE, "does anyone know a good plumber nearby?"), adapter)
    await until(lambda: len(fake_model.received) == 2)
    await core.close()
    decision = fake_model.received[1]
    assert decision.tools == ["decide"]
    assert SAID_IN_PRIVATE not in str(decision.body) and SAID_IN_A not in str(decision.body)


async def test_ones_own_instructions_are_private_to_the_one_who_set_them(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(
        CommandReceived(DIRECT, ALICE, f"instructions {OWN_INSTRUCTION}", message_id="c1"), adapter
    )
    bobs_direct = ConversationRef("test", "dm-bob", is_direct=True)
    await core.handle(said(1, bobs_direct, BOB, "hello there"), adapter)
    await core.handle(CommandReceived(bobs_direct, BOB, "instructions", message_id="c2"), adapter)
    await core.idle()
    assert OWN_INSTRUCTION not in str(fake_model.received[0].body)
    assert OWN_INSTRUCTION not in adapter.texts[-1]


async def test_forget_removes_a_member_everywhere_and_says_what_went(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(
        CommandReceived(DIRECT, ALICE, f"instructions {OWN_INSTRUCTION}", message_id="c1"), adapter
    )
    await core.handle(said(1, DIRECT, ALICE, SAID_IN_PRIVATE), adapter)  # answered: the AI's reply is stored
    await core.handle(said(2, GROUP_A, ALICE, "my flat is at 12 Elm Street"), adapter)
    await core.handle(said(3, GROUP_A, BOB, "nice place"), adapter)
    await core.idle()
    await core.handle(CommandReceived(GROUP_A, ALICE, "forget", message_id="c2"), adapter)
    await core.idle()
    told = adapter.texts[-1]
    assert "3 messages, our direct chat (my answers and your instructions there too)" in told
    assert "1 group" in told and "your profile" in told and "1 day of usage" in told
    assert [a.private_to for a in adapter.actions[-1:]] == [ALICE]  # said to her alone
    assert [item.text for item in await store.history(GROUP_A, 10)] == ["nice place"]
    assert await store.history(DIRECT, 10) == []  # the AI's answers in her direct chat went too
    assert (await store.group_state(DIRECT)).instructions == ""
    assert await store.profile("test", "alice") is None
    assert (await store.usage("test", "alice", utcnow().date())).replies == 0


async def test_messages_past_the_retention_period_are_deleted(store: SqliteStore) -> None:
    now = utcnow()
    for number, age in enumerate((40, 31, 29, 1)):
        sent = now - timedelta(days=age)
        await store.add_message(Message(f"m{number}", GROUP_A, BOB, f"{age} days ago", sent_at=sent))
    assert await store.prune(now - timedelta(days=30)) == 2
    assert [item.text for item in await store.history(GROUP_A, 10)] == ["29 days ago", "1 days ago"]
    assert await store.prune(now - timedelta(days=30)) == 0


async def test_the_first_time_a_member_addresses_the_ai_they_are_told_privately_once(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    config = FacilitatorConfig(first_use_notice=True, provider="Example AI")
    adapter = RecordingAdapter()
    core = Facilitator(config, store, model)
    await core.handle(said(1, GROUP_A, ALICE, "@parley hi", to_ai=True), adapter)
    await core.handle(said(2, GROUP_A, ALICE, "@parley and again", to_ai=True), adapter)
    await core.handle(said(3, GROUP_A, BOB, "@parley me too", to_ai=True), adapter)
    await core.idle()
    restarted = Facilitator(config, store, model)  # remembered across a restart
    await restarted.handle(said(4, GROUP_A, ALICE, "@parley back", to_ai=True), adapter)
    await restarted.handle(said(5, GROUP_B, ALICE, "@parley new group", to_ai=True), adapter)
    await restarted.idle()
    notices = [a for a in adapter.actions if isinstance(a, SendMessage) and a.private_to is not None]
    assert [(n.conversation, n.private_to) for n in notices] == [
        (GROUP_A, ALICE),
        (GROUP_A, BOB),
        (GROUP_B, ALICE),
    ]
    assert "this group's recent messages" in notices[0].text and "Example AI" in notices[0].text
    assert "`forget`" in notices[0].text
