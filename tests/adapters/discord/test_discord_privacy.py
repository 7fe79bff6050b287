"""Privacy canaries on Discord, end to end: the real discord.py client against the loopback fake
(REST, gateway), the real core and SQLite store, the real openai client and its loopback server,
which records every request. What a member says or sets in their DM with Parley, or says in one
channel, must never be in what the model reads for another conversation; and what Parley tells
one member (the first-use notice, an exhausted quota) reaches them in their DM, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from facilitator.core import Facilitator
from facilitator.quotas import Quotas, Tier
from facilitator.store.sqlite import SqliteStore
from tests.adapters.discord.helpers import ANN, BOB, GENERAL, GUILD, answers, mention, parley_running
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

PLANS = 1_410_000_000_000_000_012
ONE_REPLY_A_DAY = Quotas(tiers={"free": Tier("free", replies_per_day=1)}, default_tier="free")
ANSWER = "Hello from the fake model."


@asynccontextmanager
async def parley(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore, **options: Any
) -> AsyncIterator[Facilitator]:
    """Ann and Bob in #general and #plans of one server, and Parley with the core's options."""
    fake.text_channel(GUILD, PLANS, "plans")
    async with parley_running(fake, fake_model, store, **options) as (core, _):
        yield core


def dm_of(fake: FakeDiscord, user: int) -> int:
    return int(fake.dm_channel(user)["id"])


async def say(fake: FakeDiscord, channel: int, user: int, text: str) -> None:
    """`user` writes `text` (mentioning Parley outside a DM) and waits for one more bot message there."""
    before = len(answers(fake, channel))
    if channel == dm_of(fake, user):
        await fake.dispatch_message(channel, user, text)
    else:
        await fake.dispatch_message(channel, user, f"{mention(fake)} {text}", mentions=[fake.bot_user])
    await fake.until(lambda: len(answers(fake, channel)) > before, within=10.0)


async def test_what_a_member_tells_parley_in_a_dm_never_reaches_a_channel_they_then_address(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "DISCORD-DM-CANARY-e6b0"
    async with parley(fake, fake_model, store) as core:
        await say(fake, dm_of(fake, ANN), ANN, f"Between us: my locker code is {canary}.")
        await core.idle()
        await say(fake, GENERAL, ANN, "what should we pack?")
        await core.idle()
        await say(fake, GENERAL, ANN, "and what is my locker code?")
        await core.idle()
    in_dm, *in_channel = fake_model.received
    assert canary in in_dm.text
    assert len(in_channel) == 2 and "what should we pack?" in in_channel[0].text
    assert all(canary not in request.everything for request in in_channel)


async def test_instructions_set_in_the_dm_are_followed_there_and_in_no_channel(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "DISCORD-INSTRUCTIONS-CANARY-4a7d"
    async with parley(fake, fake_model, store) as core:
        dm = dm_of(fake, ANN)
        text = f"Sign every answer with {canary}"
        await fake.dispatch_interaction(None, dm, ANN, subcommand="instructions", options={"text": text})
        await fake.until(lambda: fake.interaction_responses)
        await say(fake, GENERAL, ANN, "any plans for today?")
        await core.idle()
        await say(fake, dm, ANN, "and in private, any plans?")
        await core.idle()
    [response] = fake.interaction_responses
    assert response["ephemeral"] and "direct chat only" in response["data"]["content"]
    in_channel, in_dm = fake_model.received
    assert canary in in_dm.text
    assert canary not in in_channel.everything and canary not in "".join(answers(fake, GENERAL))


async def test_what_is_said_in_one_channel_never_reaches_another_channel_of_the_same_member(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "DISCORD-CHANNEL-CANARY-93f1"
    async with parley(fake, fake_model, store) as core:
        await say(fake, GENERAL, ANN, f"the cabin door code is {canary}, ok?")
        await core.idle()
        await say(fake, PLANS, ANN, "what do you know about me?")
        await core.idle()
    in_general, in_plans = fake_model.received
    assert canary in in_general.text
    assert "what do you know about me?" in in_plans.text and canary not in in_plans.everything


async def test_the_first_use_notice_comes_once_in_the_members_dm_not_in_the_channel(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    async with parley(fake, fake_model, store, first_use_notice=True) as core:
        await say(fake, GENERAL, ANN, "hello!")
        await fake.until(lambda: answers(fake, dm_of(fake, ANN)))
        await say(fake, GENERAL, ANN, "hello again!")
        await core.idle()
    [notice] = answers(fake, dm_of(fake, ANN))
    assert notice.startswith("Hi, I'm Parley, an AI.") and "this group's recent messages" in notice
    assert [a.strip() for a in answers(fake, GENERAL)] == [ANSWER] * 2
    assert answers(fake, dm_of(fake, BOB)) == []


async def test_over_the_quota_the_channel_hears_nothing_and_the_member_is_told_once_in_their_dm(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    async with parley(fake, fake_model, store, quotas=ONE_REPLY_A_DAY) as core:
        await say(fake, GENERAL, ANN, "first question")
        await core.idle()
        addressed = f"{mention(fake)} second question"
        await fake.dispatch_message(GENERAL, ANN, addressed, mentions=[fake.bot_user])
        await fake.until(lambda: answers(fake, dm_of(fake, ANN)))
        addressed = f"{mention(fake)} third question"
        await fake.dispatch_message(GENERAL, ANN, addressed, mentions=[fake.bot_user])
        await say(fake, GENERAL, BOB, "Bob's first question")
        await core.idle()
    [notice] = answers(fake, dm_of(fake, ANN))
    assert notice.startswith("You've used today's answers on your plan")
    assert [a.strip() for a in answers(fake, GENERAL)] == [ANSWER] * 2  # Ann's first, Bob's
    assert len(fake_model.received) == 2 and "Bob's first question" in fake_model.received[1].text
