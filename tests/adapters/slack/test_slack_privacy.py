"""Privacy canaries on Slack, end to end: signed deliveries to the real slack-bolt app, the real core
and SQLite store, the real openai client and its loopback server, which records every request,
and the loopback Slack fake. What a member says or sets in their DM with Parley, or says in one
channel, must never be in what the model reads for another conversation; and what Parley tells
one member (the first-use notice, an exhausted quota) reaches only them (an ephemeral), once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from facilitator.core import Facilitator
from facilitator.quotas import Quotas, Tier
from facilitator.store.sqlite import SqliteStore
from tests.adapters.slack.room import SlackRoom, open_room, until
from tests.conftest import core_with
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack

ONE_REPLY_A_DAY = Quotas(tiers={"free": Tier("free", replies_per_day=1)}, default_tier="free")
ANSWER = "Hello from the fake model."


@asynccontextmanager
async def parley(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore, **options: Any
) -> AsyncIterator[tuple[Facilitator, SlackRoom]]:
    """Alice and Bob in #trip and #work, Alice's DM with Parley, and Parley with the core's options."""
    fake.user("U1", "Alice Liddell", display_name="alice")
    fake.user("U2", "Bob Stone", display_name="bob")
    fake.channel("C1", "trip", members=["U1", "U2"])
    fake.channel("C2", "work", members=["U1", "U2"])
    fake.im("U1")
    async with core_with(fake_model, store, **options) as core, open_room(fake, core) as room:
        yield core, room


async def say(room: SlackRoom, channel: str, user: str, text: str) -> None:
    """`user` writes `text` (mentioning Parley outside a DM) and waits for one more bot message there."""
    fake = room.fake
    before = len(fake.posted(channel))
    if fake.channel_type(channel) == "im":
        await room.deliver(fake.event_message(channel, user, text))
    else:
        await room.deliver(fake.event_app_mention(channel, user, f"<@{fake.bot_user_id}> {text}"))
    await until(lambda: len(fake.posted(channel)) > before)


async def test_what_a_member_tells_parley_in_a_dm_never_reaches_a_channel_they_then_address(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "SLACK-DM-CANARY-7d41"
    async with parley(fake, fake_model, store) as (core, room):
        dm = fake.im("U1")["id"]
        await say(room, dm, "U1", f"Between us: my locker code is {canary}.")
        await core.idle()
        await say(room, "C1", "U1", "what should we pack?")
        await core.idle()
        await say(room, "C1", "U1", "and what is my locker code?")
        await core.idle()
    in_dm, *in_channel = fake_model.received
    assert canary in in_dm.text
    assert len(in_channel) == 2 and "what should we pack?" in in_channel[0].text
    assert all(canary not in request.everything for request in in_channel)


async def test_instructions_set_in_the_dm_are_followed_there_and_in_no_channel(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "SLACK-INSTRUCTIONS-CANARY-a52e"
    async with parley(fake, fake_model, store) as (core, room):
        dm = fake.im("U1")["id"]
        await room.command(fake.slash_command(dm, "U1", f"instructions Sign every answer with {canary}"))
        await until(lambda: fake.posted(dm))
        await say(room, "C1", "U1", "any plans for today?")
        await core.idle()
        await say(room, dm, "U1", "and in private, any plans?")
        await core.idle()
    assert "direct chat only" in fake.posted(dm)[0]  # the command's answer, in the DM
    in_channel, in_dm = fake_model.received
    assert canary in in_dm.text
    assert canary not in in_channel.everything and canary not in "".join(fake.posted("C1"))


async def test_what_is_said_in_one_channel_never_reaches_another_channel_of_the_same_member(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "SLACK-CHANNEL-CANARY-0be9"
    async with parley(fake, fake_model, store) as (core, room):
        await say(room, "C1", "U1", f"the cabin door code is {canary}, ok?")
        await core.idle()
        await say(room, "C2", "U1", "what do you know about me?")
        await core.idle()
    in_trip, in_work = fake_model.received
    assert canary in in_trip.text
    assert "what do you know about me?" in in_work.text and canary not in in_work.everything


async def test_the_first_use_notice_is_an_ephemeral_for_the_member_once(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    async with parley(fake, fake_model, store, first_use_notice=True) as (core, room):
        await say(room, "C1", "U1", "hello!")
        await until(lambda: fake.ephemeral.get("U1"))
        await say(room, "C1", "U1", "hello again!")
        await core.idle()
    [notice] = fake.ephemeral["U1"]
    assert notice.startswith("Hi, I'm Parley, an AI.") and "this group's recent messages" in notice
    assert [call["channel"] for call in fake.calls_of("chat.postEphemeral")] == ["C1"]
    assert fake.posted("C1") == [ANSWER] * 2 and "U2" not in fake.ephemeral


async def test_over_the_quota_the_channel_hears_nothing_and_the_member_gets_one_ephemeral(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    async with parley(fake, fake_model, store, quotas=ONE_REPLY_A_DAY) as (core, room):
        await say(room, "C1", "U1", "first question")
        await core.idle()
        mention = f"<@{fake.bot_user_id}>"
        await room.deliver(fake.event_app_mention("C1", "U1", f"{mention} second question"))
        await until(lambda: fake.ephemeral.get("U1"))
        await room.deliver(fake.event_app_mention("C1", "U1", f"{mention} third question"))
        await say(room, "C1", "U2", "Bob's first question")
        await core.idle()
    [notice] = fake.ephemeral["U1"]
    assert notice.startswith("You've used today's answers on your plan")
    assert fake.posted("C1") == [ANSWER] * 2  # Alice's first, Bob's
    assert len(fake_model.received) == 2 and "Bob's first question" in fake_model.received[1].text
