"""`auto` mode through the real core, store and openai client against the loopback model:
the decision call and what it chose, the caps, and being told to hold back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from facilitator.actions import React, SendMessage
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Mode, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import QUICK, Group, decide

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob")
CAROL = Member("test", "carol", "Carol")
ADMIN = Member("test", "ada", "Ada", is_admin=True)


async def quiet_for(seconds: float, core: Facilitator) -> None:
    await asyncio.sleep(seconds)
    await core.idle()


@pytest.fixture
async def make_core(store: SqliteStore, model: OpenAIChatModel) -> AsyncIterator[Callable[..., Facilitator]]:
    """Cores made for a test, closed after it: no decision timer outlives its store."""
    made: list[Facilitator] = []

    def make(config: FacilitatorConfig, on: SqliteStore | None = None) -> Facilitator:
        made.append(Facilitator(config, on or store, model))
        return made[-1]

    yield make
    for core in made:
        await core.close()


@pytest.fixture
async def group(make_core: Callable[..., Facilitator]) -> Group:
    core = make_core(FacilitatorConfig(auto=QUICK))
    group = Group(core, RecordingAdapter(), GROUP)
    await group.command(ADMIN, "mode auto")
    return group


async def test_an_unanswered_question_gets_a_decision_and_the_reply_it_wrote(
    group: Group, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(decide("reply", message="The last train leaves at 23:40."))
    asked = await group.say(ALICE, "does anyone know when the last train back leaves?")
    await until(lambda: group.adapter.texts[1:])
    await group.core.idle()
    [request] = fake_model.received
    assert request.tools == ["decide"]
    assert request.body["tool_choice"] == {"type": "function", "function": {"name": "decide"}}
    assert "Nobody has addressed you" in request.text
    posted = [a for a in group.adapter.actions if isinstance(a, SendMessage)][-1]
    assert (posted.text, posted.reply_to) == ("The last train leaves at 23:40.", asked)
    assert (await store.usage("test", "group:g1", utcnow().date())).replies == 1  # the group pays
    assert (await store.usage("test", "alice", utcnow().date())).replies == 0


async def test_a_question_someone_else_answers_costs_nothing(group: Group, fake_model: FakeOpenAI) -> None:
    await group.say(ALICE, "does anyone know when the last train back leaves?")
    await asyncio.sleep(0.05)
    await group.say(BOB, "23:40 I think")
    await quiet_for(0.6, group.core)
    assert fake_model.received == []


async def test_small_talk_and_talk_between_two_never_reach_the_model(
    group: Group, fake_model: FakeOpenAI
) -> None:
    for author, text in [
        (ALICE, "hey everyone!"),
        (BOB, "lol that's great"),
        (CAROL, "Bob, are you coming tonight?"),
        (BOB, "yes"),
        (CAROL, "cool, what time?"),
        (BOB, "8ish"),
    ]:
        await group.say(author, text)
    await quiet_for(0.6, group.core)
    assert fake_model.received == []


async def test_the_model_can_choose_to_react(group: Group, fake_model: FakeOpenAI) -> None:
    fake_model.script(decide("react", emoji="👍"))
    asked = await group.say(ALICE, "which one should we pick, the blue tent or the green one?")
    await until(lambda: any(isinstance(a, React) for a in group.adapter.actions))
    assert React(GROUP, asked, "👍") in group.adapter.actions
    assert group.adapter.texts[1:] == []


@pytest.mark.parametrize(
    "reply",
    [
        decide("silent"),
        Reply(text="", tool_calls=[{"name": "decide", "arguments": "{broken"}]),
        decide("dance"),
        decide("react", emoji=""),
        Reply(text="Sure! I think you should pick the blue one."),  # words instead of a decision
    ],
    ids=["silent", "unreadable", "unknown-action", "react-without-emoji", "prose"],
)
async def test_silence_and_malformed_decisions_post_nothing(
    group: Group, fake_model: FakeOpenAI, reply: Reply
) -> None:
    fake_model.script(reply)
    await group.say(ALICE, "which one should we pick, the blue tent or the green one?")
    await until(lambda: fake_model.received)
    await quiet_for(0.2, group.core)
    assert group.adapter.texts[1:] == []
    assert not any(isinstance(a, React) for a in group.adapter.actions)
    await group.say(BOB, "@parley still there?", mentions_ai=True)  # and it keeps working
    await group.core.idle()
    assert group.adapter.texts[-1] == "Hello from the fake model."


async def test_a_decision_written_as_json_text_counts(group: Group, fake_model: FakeOpenAI) -> None:
    fake_model.script(Reply(text='{"action": "reply", "message": "Try the blue one.", "reason": "options"}'))
    await group.say(ALICE, "any ideas which tent we should take?")
    await until(lambda: group.adapter.texts[1:])
    assert group.adapter.texts[-1] == "Try the blue one."


async def test_a_reply_decided_without_words_is_streamed_in_a_second_call(
    group: Group, fake_model: FakeOpenAI
) -> None:
    fake_model.script(decide("reply"), Reply(text="Blue: it's lighter."))
    await group.say(ALICE, "any ideas which tent we should take?")
    await until(lambda: group.adapter.texts[1:])
    await group.core.idle()
    assert group.adapter.texts[-1] == "Blue: it's lighter."
    assert [r.tools for r in fake_model.received] == [["decide"], []]


async def test_the_hourly_cap_and_the_cooldown_hold(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, make_core: Callable[..., Facilitator]
) -> None:
    limits = AutoLimits(
        join_threshold=0.0,  # the caps under test, not the score
        recheck_seconds=0,
        question_wait_seconds=0.05,
        settle_seconds=0.05,
        interventions_per_hour=1,
        cooldown_seconds=0,
    )
    core = make_core(FacilitatorConfig(auto=limits))
    group = Group(core, RecordingAdapter(), GROUP)
    await group.command(ADMIN, "mode auto")
    fake_model.default = decide("reply", message="Here's an idea.")
    await group.say(ALICE, "any ideas for dinner tonight?")
    await until(lambda: group.adapter.texts[1:])
    await group.say(CAROL, "what should we do after dinner, any suggestions?")
    await quiet_for(0.4, core)
    assert len(fake_model.received) == 1  # the second would have been a second intervention this hour

    cooling = make_core(
        FacilitatorConfig(
            auto=AutoLimits(recheck_seconds=0, settle_seconds=0.05, cooldown_seconds=3600, join_threshold=0.0)
        )
    )
    group = Group(cooling, RecordingAdapter(), GROUP)
    await group.say(BOB, "any ideas for breakfast tomorrow?")
    await quiet_for(0.4, cooling)
    assert len(fake_model.received) == 1  # the cool-down after the first holds across a restart


async def test_the_daily_cap_on_decision_calls_holds_across_a_restart(
    tmp_path: Path, model: OpenAIChatModel, fake_model: FakeOpenAI, make_core: Callable[..., Facilitator]
) -> None:
    limits = AutoLimits(
        join_threshold=0.0,  # the caps under test, not the score
        recheck_seconds=0,
        question_wait_seconds=0.05,
        settle_seconds=0.05,
        decisions_per_day=2,
        cooldown_seconds=0,
    )
    fake_model.default = decide("silent")
    store = await SqliteStore.open(tmp_path / "p.db")
    core = make_core(FacilitatorConfig(auto=limits), store)
    group = Group(core, RecordingAdapter(), GROUP)
    await group.command(ADMIN, "mode auto")
    for calls, text in enumerate(["any ideas for dinner?", "what should we watch later, any suggestions?"]):
        await group.say(ALICE, text)
        await until(lambda calls=calls: len(fake_model.received) > calls)
        await quiet_for(0.1, core)
    await core.close()
    await store.close()
    store = await SqliteStore.open(tmp_path / "p.db")
    restarted = make_core(FacilitatorConfig(auto=limits), store)
    group = Group(restarted, RecordingAdapter(), GROUP)
    await group.say(BOB, "any recommendations for a good pizza place?")
    await quiet_for(0.3, restarted)
    assert len(fake_model.received) == 2
    await restarted.close()
    await store.close()


async def test_stop_chiming_in_goes_back_to_mention_mode_and_says_so_once(
    group: Group, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    await group.say(BOB, "Parley, stop chiming in please")
    await group.core.idle()
    assert group.adapter.texts[-1].startswith("OK, I'll stop chiming in")
    assert (await store.group_state(GROUP)).mode is Mode.MENTION
    await group.say(ALICE, "any ideas for dinner tonight?")
    await quiet_for(0.4, group.core)
    assert fake_model.received == []  # neither the request nor the question went to the model
    assert sum("I'll stop chiming in" in text for text in group.adapter.texts) == 1


async def test_mention_mode_never_decides_unprompted(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, make_core: Callable[..., Facilitator]
) -> None:
    core = make_core(FacilitatorConfig(auto=QUICK))
    group = Group(core, RecordingAdapter(), GROUP)
    await group.say(ALICE, "any ideas for dinner tonight?")
    await quiet_for(0.4, core)
    assert fake_model.received == []


async def test_over_the_size_limit_it_stays_out_unprompted(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, make_core: Callable[..., Facilitator]
) -> None:
    core = make_core(FacilitatorConfig(auto=QUICK, size_limit=2))
    group = Group(core, RecordingAdapter(members=5), GROUP)
    await group.command(ADMIN, "mode auto")
    await group.say(ALICE, "any ideas for dinner tonight?")
    await quiet_for(0.4, core)
    assert fake_model.received == []


async def test_setting_auto_explains_what_the_platform_hides(
    store: SqliteStore, model: OpenAIChatModel, make_core: Callable[..., Facilitator]
) -> None:
    core = make_core(FacilitatorConfig())
    adapter = RecordingAdapter(blind_spot="I can't see ordinary messages here: privacy mode is on.")
    await core.handle(CommandReceived(GROUP, ADMIN, "mode auto", message_id="c1"), adapter)
    await core.handle(CommandReceived(GROUP, ADMIN, "mode mention", message_id="c2"), adapter)
    await core.idle()
    assert adapter.texts[0].endswith("I can't see ordinary messages here: privacy mode is on.")
    assert "privacy" not in adapter.texts[1]


async def test_a_decision_reads_the_recent_moment_not_the_whole_history(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, make_core: Callable[..., Facilitator]
) -> None:
    limits = AutoLimits(
        recheck_seconds=0, settle_seconds=0.05, decision_context_tokens=400, join_threshold=0.0
    )
    core = make_core(FacilitatorConfig(auto=limits, context_tokens=6000))
    group = Group(core, RecordingAdapter(), GROUP)
    await group.command(ADMIN, "mode auto")
    for n in range(80):  # an evening of talk, stored
        await group.say(BOB if n % 2 else CAROL, f"story part {n}: " + "and then we walked on " * 6)
    fake_model.script(decide("silent"))
    await group.say(ALICE, "any ideas where we should eat tonight?")
    await until(lambda: fake_model.received)
    await group.say(ALICE, "@parley hello?", mentions_ai=True)
    await group.core.idle()
    decision, answer = fake_model.received
    assert "any ideas where we should eat tonight?" in decision.text
    assert "story part 79" in decision.text and "story part 10:" not in decision.text
    assert "story part 10:" in answer.text  # an answer reads the whole window
    await core.close()
