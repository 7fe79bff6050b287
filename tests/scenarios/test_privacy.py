"""Privacy canaries on every platform, end to end through its SDK and loopback fake, the real core
and SQLite store, and the real openai client against its loopback server, which records every
request. What a member says or sets in their direct chat with Parley, or says in one group, must
never be in what the model reads for another conversation; and what Parley tells one member (the
first-use notice, an exhausted quota) reaches them alone, once."""

from __future__ import annotations

import pytest

from facilitator.quotas import Quotas, Tier
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.driver import ALICE, ANSWER, BOB, TRIP, WORK, Driver
from tests.support.drivers import CHAT_PLATFORMS, EVERY_PLATFORM

ONE_REPLY_A_DAY = Quotas(tiers={"free": Tier("free", replies_per_day=1)}, default_tier="free")


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_what_a_member_tells_parley_in_a_direct_chat_never_reaches_a_group_they_then_address(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    canary = f"{parley.platform}-PRIVATE-CANARY-3f9a"
    async with parley.running():
        direct = parley.direct(ALICE)
        await parley.ask(direct, ALICE, f"Between us: my locker code is {canary}.")
        await parley.ask(TRIP, ALICE, "what should we pack?")
        await parley.ask(TRIP, ALICE, "and what is my locker code?")
    in_direct, *in_group = fake_model.received
    assert canary in in_direct.text
    assert len(in_group) == 2 and "what should we pack?" in in_group[0].text
    assert all(canary not in request.everything for request in in_group)


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_instructions_set_in_the_direct_chat_are_followed_there_and_in_no_group(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    canary = f"{parley.platform}-INSTRUCTIONS-CANARY-81c2"
    async with parley.running():
        direct = parley.direct(ALICE)
        answer = await parley.command(direct, ALICE, f"instructions Sign every answer with {canary}")
        await parley.ask(TRIP, ALICE, "any plans for today?")
        await parley.ask(direct, ALICE, "and in private, any plans?")
    assert "direct chat only" in answer
    in_group, in_direct = fake_model.received
    assert canary in in_direct.text
    assert canary not in in_group.everything and canary not in "".join(parley.posted(TRIP))


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_what_is_said_in_one_group_never_reaches_another_group_of_the_same_member(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    canary = f"{parley.platform}-GROUP-CANARY-c07e"
    async with parley.running():
        await parley.ask(TRIP, ALICE, f"the cabin door code is {canary}, ok?")
        await parley.ask(WORK, ALICE, "what do you know about me?")
    in_trip, in_work = fake_model.received
    assert canary in in_trip.text
    assert "what do you know about me?" in in_work.text and canary not in in_work.everything


@pytest.mark.parametrize("parley", CHAT_PLATFORMS, indirect=True)
async def test_the_first_use_notice_reaches_the_member_alone_once(parley: Driver) -> None:
    parley.direct(ALICE)  # Alice has opened her direct chat: Parley may write to her there
    async with parley.running(first_use_notice=True):
        await parley.ask(TRIP, ALICE, "hello!")
        await until(lambda: parley.told_alone(ALICE))
        await parley.ask(TRIP, ALICE, "hello again!")
    [notice] = parley.told_alone(ALICE)
    assert notice.startswith("Hi, I'm Parley, an AI.") and "this group's recent messages" in notice
    assert parley.posted(TRIP) == [ANSWER] * 2
    assert parley.told_alone(BOB) == []


@pytest.mark.parametrize("parley", CHAT_PLATFORMS, indirect=True)
async def test_over_the_quota_the_group_hears_nothing_and_the_member_is_told_alone_once(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    parley.direct(ALICE)
    async with parley.running(quotas=ONE_REPLY_A_DAY):
        await parley.ask(TRIP, ALICE, "first question")
        await parley.mention(TRIP, ALICE, "second question")
        await until(lambda: parley.told_alone(ALICE))
        await parley.mention(TRIP, ALICE, "third question")
        await parley.ask(TRIP, BOB, "Bob's first question")
    [notice] = parley.told_alone(ALICE)
    assert notice.startswith("You've used today's answers on your plan")
    assert parley.posted(TRIP) == [ANSWER] * 2  # Alice's first, Bob's
    assert len(fake_model.received) == 2 and "Bob's first question" in fake_model.received[1].text
