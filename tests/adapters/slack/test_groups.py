"""`group @a @b` from a DM with Parley, through the whole stack: signed deliveries (a DM message, the
slash command) to the real slack-bolt app, the real core and SQLite store, the loopback model, and
the loopback Slack fake opening the group DM. The DM stays private: nothing said there reaches the
new group DM, neither in Parley's greeting nor in what the model reads there."""

from __future__ import annotations

import asyncio
from typing import Any

from facilitator import texts
from facilitator.core import Facilitator
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.support import until
from tests.support.slack import SlackDriver

CANARY = "canary-7f3a91 my salary is 123456"


def people(fake: FakeSlack) -> dict[str, Any]:
    fake.user("U1", "Alice Liddell", display_name="alice")
    fake.user("U2", "Bob Stone", display_name="bob")
    fake.user("U3", "Carol Reed", display_name="carol")
    return fake.im("U1")


def group_of(fake: FakeSlack, *users: str) -> str:
    return str(fake.mpim(list(users))["id"])


async def test_a_dm_message_starts_a_group_dm_that_knows_nothing_of_the_dm(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake = room.fake
    dm = people(fake)
    await room.deliver(fake.event_message(dm, "U1", CANARY))
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    await room.deliver(fake.event_message(dm, "U1", "group <@U2> <@U3>"))
    await until(lambda: len(fake.posted(dm["id"])) == 2)
    await facilitator.idle()
    [opened] = fake.calls_of("conversations.open")
    assert opened["users"] == "U1,U2,U3"
    group = group_of(fake, "U1", "U2", "U3")
    assert group.startswith(("G", "C")) and fake.channel_type(group) == "mpim"
    assert sorted(fake.members[group]) == ["U0BOT", "U1", "U2", "U3"]
    [greeting] = fake.posted(group)
    assert "<@U1> started this group DM" in greeting and "<@U2> and <@U3>" in greeting
    assert "canary" not in greeting
    confirmation = fake.posted(dm["id"])[-1]
    assert confirmation.startswith("I've started a group DM with <@U2> and <@U3>.")
    assert len(fake_model.received) == 1  # the command itself is not talk for the model

    mention = fake.event_app_mention(group, "U2", f"<@{fake.bot_user_id}> where shall we eat tonight?")
    await room.deliver(mention)
    await until(lambda: fake.posted(group, thread_ts=mention["event"]["ts"]))
    await facilitator.idle()
    [in_group] = [r for r in fake_model.received if "where shall we eat tonight?" in r.text]
    assert "canary-7f3a91" not in in_group.text and "123456" not in in_group.text
    assert [r for r in fake_model.received if "canary-7f3a91" in r.text] == [fake_model.received[0]]
    # The DM goes on as it was, its history intact.
    await room.deliver(fake.event_message(dm, "U1", "and back in private"))
    await until(lambda: len(fake.posted(dm["id"])) == 3)
    await facilitator.idle()
    assert "canary-7f3a91" in fake_model.received[-1].text


async def test_the_slash_command_in_a_dm_takes_escaped_mentions_and_plain_names(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    fake = room.fake
    dm = people(fake)
    status, _ = await room.slash(fake.slash_command(dm, "U1", "group <@U2|bob> <@U3|carol>"))
    assert status == 200
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    group = group_of(fake, "U1", "U2", "U3")
    assert len(fake.posted(group)) == 1
    assert fake.posted(dm["id"])[0].startswith("I've started a group DM with <@U2> and <@U3>.")

    # Typed without Slack's menu: looked up among the workspace's people.
    await room.slash(fake.slash_command(dm, "U1", "group @Carol, @nobody.here"))
    await until(lambda: len(fake.posted(dm["id"])) == 2)
    await facilitator.idle()
    assert fake.calls_of("users.list")
    assert fake.calls_of("conversations.open")[-1]["users"] == "U1,U3"
    reply = fake.posted(dm["id"])[-1]
    assert reply.startswith("I've started a group DM with <@U3>.") and "couldn't find @nobody.here" in reply
    assert len(fake.posted(group_of(fake, "U1", "U3"))) == 1

    # The same people again: Slack gives the group DM they already have.
    await room.slash(fake.slash_command(dm, "U1", "group <@U3|carol> <@U2|bob>"))
    await until(lambda: len(fake.posted(dm["id"])) == 3)
    await facilitator.idle()
    assert fake.posted(dm["id"])[-1].startswith("We already have a group DM with <@U3> and <@U2>")
    assert len(fake.posted(group)) == 2


async def test_group_in_a_channel_answers_privately_that_it_works_from_a_dm(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    fake = room.fake
    people(fake)
    fake.channel("C1", "trip", members=["U1", "U2", "U3"])
    await room.slash(fake.slash_command("C1", "U1", "group <@U2|bob>"))
    await until(lambda: fake.ephemeral.get("U1"))
    await facilitator.idle()
    assert "direct chat" in fake.ephemeral["U1"][0]
    assert fake.posted("C1") == [] and fake.calls_of("conversations.open") == []


async def test_without_anyone_to_bring_in_a_helpful_reply_and_no_group(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake = room.fake
    dm = people(fake)
    await room.deliver(fake.event_message(dm, "U1", f"group <@{fake.bot_user_id}> <@U1>"))
    await until(lambda: fake.posted(dm["id"]))
    await room.slash(fake.slash_command(dm, "U1", "group bob and carol @here <#C1|trip>"))
    await until(lambda: len(fake.posted(dm["id"])) == 2)
    await room.slash(fake.slash_command(dm, "U1", "group @nobody"))
    await until(lambda: len(fake.posted(dm["id"])) == 3)
    await facilitator.idle()
    first, second, third = fake.posted(dm["id"])
    assert first == second and "`group @alice @bob`" in first and "@mentions" in first
    assert third.startswith("I couldn't find @nobody.")
    assert fake.calls_of("conversations.open") == [] and fake_model.received == []
    # Talk that merely begins with the word is talk.
    await room.deliver(fake.event_message(dm, "U1", "group projects are hard, any tips?"))
    await until(lambda: len(fake.posted(dm["id"])) == 4)
    await facilitator.idle()
    assert "group projects" in fake_model.received[0].text


async def test_more_people_than_a_group_dm_holds_are_refused_in_words(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    fake = room.fake
    dm = people(fake)
    for n in range(4, 10):
        fake.user(f"U{n}", f"Person {n}")
    everyone = " ".join(f"<@U{n}>" for n in range(2, 10))  # 8 people, and the one who asks
    await room.deliver(fake.event_message(dm, "U1", f"group {everyone}"))
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    assert "at most 8 people" in fake.posted(dm["id"])[0]
    assert fake.calls_of("conversations.open") == []


async def test_a_slack_refusal_gets_the_cores_sorry_and_parley_goes_on(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake = room.fake
    dm = people(fake)
    await room.deliver(fake.event_message(dm, "U1", "group <@U2> <@U404>"))  # no such person
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    assert fake.posted(dm["id"]) == [texts.GROUP_FAILED]
    fake.fail_next("conversations.open", "user_not_visible")
    await room.slash(fake.slash_command(dm, "U1", "group <@U2|bob>"))
    await until(lambda: len(fake.posted(dm["id"])) == 2)
    await facilitator.idle()
    assert fake.posted(dm["id"])[-1] == texts.GROUP_FAILED
    assert not any(channel.get("is_mpim") for channel in fake.channels.values())
    await room.deliver(fake.event_message(dm, "U1", "still there?"))
    await until(lambda: len(fake.posted(dm["id"])) == 3)
    await facilitator.idle()
    assert fake.posted(dm["id"])[-1] == "Hello from the fake model."


async def test_without_the_mpim_write_scope_the_member_is_told_what_to_ask_for(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    fake = room.fake
    dm = people(fake)
    fake.scopes.remove("mpim:write")
    await room.deliver(fake.event_message(dm, "U1", "group <@U2>"))
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    assert "mpim:write" in fake.posted(dm["id"])[0] and "reinstall" in fake.posted(dm["id"])[0]


async def test_rate_limits_on_opening_a_group_are_waited_out(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    fake = room.fake
    dm = people(fake)
    fake.fail_next("conversations.open", "ratelimited", retry_after=1)
    started = asyncio.get_running_loop().time()
    await room.deliver(fake.event_message(dm, "U1", "group <@U2>"))
    await until(lambda: fake.posted(dm["id"]))
    await facilitator.idle()
    assert asyncio.get_running_loop().time() - started >= 1.0
    assert fake.posted(dm["id"])[0].startswith("I've started a group DM with <@U2>.")
    assert len(fake.posted(group_of(fake, "U1", "U2"))) == 1
