"""Fair use: the AI's answers count against the member answered, by the tier the operator gave
them; over it they get one private notice a day and no answer; an unprompted answer is the
group's own cost; the operator's daily cap holds for everyone. Through the real core, store and
openai client, with the clock moved to test the day's turn."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from facilitator import fair_use
from facilitator.actions import SendMessage
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.quotas import Quotas, Tier, over_limit, resets_in
from facilitator.store import ledger
from facilitator.store.roles import Usage
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import decide

GROUP = ConversationRef("test", "g1", space="team-1")
ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob", roles=("r-mod",))
FREE = Tier("free", replies_per_day=2)
PLUS = Tier("plus", replies_per_day=50, tokens_per_day=100_000)
PRO = Tier("pro", model="big-model")
QUOTAS = Quotas(
    tiers={"free": FREE, "plus": PLUS, "pro": PRO},
    default_tier="free",
    members={"test:carol": "pro"},
    roles={"test:r-mod": "plus"},
    groups={"test:team-2": "plus"},
)


def test_a_members_own_tier_then_the_best_of_their_roles_and_groups_then_the_default() -> None:
    assert QUOTAS.tier_for(Member("test", "carol", "Carol", roles=("r-mod",)), GROUP) is PRO
    assert QUOTAS.tier_for(BOB, GROUP) is PLUS
    assert QUOTAS.tier_for(ALICE, ConversationRef("test", "g9", space="team-2")) is PLUS
    assert QUOTAS.tier_for(ALICE, GROUP) is FREE
    assert Quotas().tier_for(ALICE, GROUP).replies_per_day == 0  # no tiers: no limit


def test_limits_and_the_reset() -> None:
    day = datetime(2026, 11, 25, 22, 30, tzinfo=UTC).date()
    assert over_limit(FREE, Usage(day, replies=1)) is None
    assert over_limit(FREE, Usage(day, replies=2)) == "replies"
    assert over_limit(PLUS, Usage(day, replies=3, prompt_tokens=90_000, completion_tokens=10_000)) == "tokens"
    assert resets_in(datetime(2026, 11, 25, 22, 30, tzinfo=UTC)) == timedelta(hours=1, minutes=30)


def addressed(number: int, who: Member = ALICE) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", GROUP, who, f"@parley question {number}", mentions_ai=True))


async def test_over_the_tier_one_private_notice_and_no_answer_until_the_day_turns(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = Facilitator(FacilitatorConfig(quotas=QUOTAS), store, model)
    adapter = RecordingAdapter()
    for number in range(1, 5):
        await core.handle(addressed(number), adapter)
        await core.idle()
    assert len(fake_model.received) == 2  # two answers on the free tier
    notices = [a for a in adapter.actions if isinstance(a, SendMessage) and a.private_to == ALICE]
    assert len(notices) == 1 and "won't answer you until midnight UTC" in notices[0].text
    await core.handle(addressed(5, BOB), adapter)  # Bob is on his role's tier
    await core.idle()
    assert len(fake_model.received) == 3
    await core.handle(CommandReceived(GROUP, ALICE, "usage", message_id="c1"), adapter)
    await core.idle()
    assert "0 of 2 answers left" in adapter.texts[-1] and "resets at midnight UTC, in" in adapter.texts[-1]

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for module in (fair_use, ledger):
        monkeypatch.setattr(module, "utcnow", lambda: tomorrow)
    await core.handle(addressed(6), adapter)
    await core.idle()
    assert len(fake_model.received) == 4  # a new day, a new count


async def test_a_tier_can_have_its_own_model(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(quotas=QUOTAS), store, model)
    await core.handle(addressed(1, Member("test", "carol", "Carol")), RecordingAdapter())
    await core.handle(addressed(2), RecordingAdapter())
    await core.idle()
    assert [r.body["model"] for r in fake_model.received] == ["big-model", "fake-model"]


async def test_the_operators_daily_cap_holds_for_everyone(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(quotas=Quotas(daily_tokens=1)), store, model)
    adapter = RecordingAdapter()
    await core.handle(addressed(1), adapter)
    await core.idle()
    await core.handle(addressed(2, BOB), adapter)
    await core.idle()
    assert len(fake_model.received) == 1
    [notice] = [a for a in adapter.actions if isinstance(a, SendMessage) and a.private_to == BOB]
    assert "today's budget" in notice.text


async def test_unprompted_answers_are_the_groups_own_cost_within_its_budget(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    limits = AutoLimits(
        question_wait_seconds=0.05,
        settle_seconds=0.05,
        recheck_seconds=0,
        cooldown_seconds=0,
        join_threshold=0.0,
    )
    config = FacilitatorConfig(auto=limits, quotas=Quotas(group_replies_per_day=1))
    core = Facilitator(config, store, model)
    adapter = RecordingAdapter()
    await store.set_mode(GROUP, Mode.AUTO)
    fake_model.default = decide("reply", message="Here's a thought.")
    await core.handle(MessageReceived(Message("q1", GROUP, ALICE, "any ideas for dinner tonight?")), adapter)
    await until(lambda: "Here's a thought." in adapter.texts)
    await core.handle(MessageReceived(Message("q2", GROUP, BOB, "and any ideas for dessert after?")), adapter)
    await asyncio.sleep(0.3)
    await core.close()
    assert len(fake_model.received) == 1  # the group's one unprompted answer today is spent
    today = datetime.now(UTC).date()
    assert (await store.usage("test", "auto:g1", today)).replies == 1  # the group's own answer
    assert (await store.usage("test", "group:g1", today)).replies == 1  # and its totals
    assert (await store.usage("test", "alice", today)).replies == 0  # the member asked nothing


async def test_a_groups_daily_budget_covers_its_members_answers(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(quotas=Quotas(group_replies_per_day=2)), store, model)
    adapter = RecordingAdapter()
    for number, who in enumerate((ALICE, BOB, ALICE), start=1):
        await core.handle(addressed(number, who), adapter)
        await core.idle()
    assert len(fake_model.received) == 2
    [notice] = [a for a in adapter.actions if isinstance(a, SendMessage) and a.private_to is not None]
    assert notice.private_to == ALICE and "This group has had all its answers for today" in notice.text
    today = datetime.now(UTC).date()
    assert (await store.usage("test", "group:g1", today)).replies == 2
    spent = [await store.usage("test", who, today) for who in ("alice", "bob")]
    total = sum(used.prompt_tokens + used.completion_tokens for used in spent)
    assert await store.tokens_spent(today) == total  # the group's totals are not counted twice
