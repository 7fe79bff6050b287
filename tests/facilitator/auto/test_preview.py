"""`preview` mode through the real core, store and openai client against the loopback model: the
room read and decided as in `auto`, nothing posted or reacted unprompted, what it would have
done noted (facilitator/auto/preview.py); addressed messages answered as ever; the caps counting
would-be turns; and "stop chiming in" back to `mention`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from facilitator import texts
from facilitator.actions import StreamMessage
from facilitator.chat import ConversationRef, Member, Mode, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import QUICK, Group, decide

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob")
ADMIN = Member("test", "ada", "Ada", is_admin=True)
LIMITS = replace(QUICK, decisions_per_message=1.0)  # each line earns a decision: the caps under test


async def settled(core: Facilitator, fake_model: FakeOpenAI, calls: int = 1) -> None:
    await until(lambda: len(fake_model.received) >= calls, what=f"{calls} decision call(s)")
    await core.idle()


@pytest.fixture
async def group(store: SqliteStore, model: OpenAIChatModel) -> AsyncIterator[Group]:
    core = Facilitator(FacilitatorConfig(auto=LIMITS), store, model)
    group = Group(core, RecordingAdapter(), GROUP)
    assert await group.command(ADMIN, "mode auto-preview") == texts.PREVIEW_ON  # the alias
    yield group
    await core.close()


@pytest.mark.parametrize(
    ("reply", "action", "detail"),
    [
        (decide("reply", message="The museum opens at 11."), "reply", "The museum opens at 11."),
        (decide("react", emoji="👍"), "react", "👍"),
        (decide("silent"), "silent", ""),
    ],
    ids=["reply", "react", "silent"],
)
async def test_a_decision_in_preview_posts_nothing_and_is_noted(
    group: Group, fake_model: FakeOpenAI, store: SqliteStore, reply: Reply, action: str, detail: str
) -> None:
    fake_model.script(reply)
    asked = await group.say(ALICE, "does anyone know when the museum opens on sundays?")
    await settled(group.core, fake_model)
    assert group.unprompted() == []
    [turn] = await store.previews(GROUP)
    assert (turn.message_id, turn.author, turn.action, turn.detail) == (asked, "Alice", action, detail)
    assert turn.excerpt == "does anyone know when the museum opens on sundays?"
    assert turn.prompt_tokens > 0 and turn.completion_tokens > 0
    usage = await store.usage("test", "auto:g1", utcnow().date())
    assert (usage.prompt_tokens, usage.completion_tokens, usage.replies) == (
        turn.prompt_tokens,
        turn.completion_tokens,
        0,
    )


async def test_a_reply_decided_without_words_is_not_written(
    group: Group, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(decide("reply"), Reply(text="This must never be asked for."))
    await group.say(ALICE, "any ideas which tent we should take?")
    await settled(group.core, fake_model)
    await asyncio.sleep(0.1)
    assert [r.tools for r in fake_model.received] == [["decide"]]  # no second call
    assert group.unprompted() == []
    assert "a reply (not written: preview)" in await group.command(BOB, "preview")


async def test_an_addressed_message_is_answered_as_ever(group: Group, fake_model: FakeOpenAI) -> None:
    asked = await group.say(BOB, "@parley what time is it in Lisbon?", mentions_ai=True)
    await until(lambda: group.adapter.texts[1:])
    await group.core.idle()
    [answer] = group.unprompted()
    assert isinstance(answer, StreamMessage) and answer.reply_to == asked
    assert group.adapter.texts[-1] == "Hello from the fake model."


@pytest.mark.parametrize(
    ("first", "calls"),
    [(decide("reply", message="Here's an idea."), 1), (decide("silent"), 2)],
    ids=["a-would-be-turn-fills-the-hour", "silence-leaves-it-open"],
)
async def test_would_be_turns_count_against_the_caps_as_real_ones(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, first: Reply, calls: int
) -> None:
    core = Facilitator(FacilitatorConfig(auto=replace(LIMITS, interventions_per_hour=1)), store, model)
    group = Group(core, RecordingAdapter(), GROUP)
    try:
        await group.command(ADMIN, "mode preview")
        fake_model.script(first)
        fake_model.default = decide("reply", message="Another idea.")
        await group.say(ALICE, "any ideas for dinner tonight?")
        await settled(core, fake_model)
        await group.say(BOB, "what should we do after dinner, any suggestions?")
        await asyncio.sleep(0.6)
        await core.idle()
        assert len(fake_model.received) == calls  # one would-be turn an hour, as in auto
        assert group.unprompted() == []
    finally:
        await core.close()


async def test_stop_chiming_in_goes_back_to_mention(
    group: Group, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    await group.say(BOB, "Parley, stop chiming in please")
    await group.core.idle()
    assert group.adapter.texts[-1] == texts.HELD_BACK_PREVIEW
    assert (await store.group_state(GROUP)).mode is Mode.MENTION
    await group.say(ALICE, "does anyone know when the museum opens on sundays?")
    await asyncio.sleep(0.5)
    await group.core.idle()
    assert fake_model.received == []  # no longer reading the room


async def test_mode_tells_of_preview_and_help_names_the_command(group: Group) -> None:
    assert "preview" in await group.command(BOB, "mode")
    shown = await group.command(BOB, "help")
    assert "`preview` shows what I would have said" in shown and "mode [mention|auto|preview|off]" in shown
