"""`group @bob @carol` from a DM on Discord: a private thread with them and Parley in the channel
the operator names, through the whole stack (the real discord.py client against the loopback
fake, the real core and SQLite store, the loopback model server). The DM stays private."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.events import DiscordIdentity, group_command, translate
from adapters.discord.groups import resolve
from facilitator.core import Facilitator
from facilitator.events import CommandReceived, MessageReceived
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord, Perm
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.discord import ANN, BOB, GENERAL, GUILD, DiscordDriver, answers, mention

GROUPS = 1_410_000_000_000_000_021
CAROL, DAN = 1_420_000_000_000_000_003, 1_420_000_000_000_000_004
PRIVATE_THREAD = 12
CANARY = "locker code CANARY-7731"


@pytest.fixture
def world(fake: FakeDiscord) -> FakeDiscord:
    """The test server with a channel for new groups, Carol (shown as "Caro") and Dan, who is
    in no server Parley shares."""
    fake.text_channel(GUILD, GROUPS, "groups")
    fake.member(GUILD, fake.user(CAROL, "carol", "Carol King"), nick="Caro")
    fake.user(DAN, "dan")
    return fake


@asynccontextmanager
async def running_with(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore, **options: Any
) -> AsyncIterator[tuple[Facilitator, DiscordAdapter]]:
    """Parley with these adapter options (the channel for new groups)."""
    async with DiscordDriver(fake, fake_model, store, **options).running() as started:
        yield started.core, started.adapter


def private_threads(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [c for c in fake.channels.values() if c["type"] == PRIVATE_THREAD]


async def said_in_dm(fake: FakeDiscord, dm: dict[str, Any], text: str, count: int) -> list[str]:
    """`text` from Ann in her DM; returns the DM's answers once there are `count`."""
    await fake.dispatch_message(dm, ANN, text)
    return list(
        await until(lambda: len(answers(fake, int(dm["id"]))) >= count and answers(fake, int(dm["id"])))
    )


async def test_group_from_a_dm_opens_a_private_thread_and_the_dm_stays_private(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake = world
    dm = fake.dm_channel(ANN)
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        await said_in_dm(fake, dm, f"remember my {CANARY}", 1)
        await core.idle()
        replies = await said_in_dm(fake, dm, f"group <@{BOB}> <@{CAROL}>", 2)
        [thread] = private_threads(fake)
        thread_id = int(thread["id"])
        assert f"<#{thread_id}>" in replies[-1]
        await until(lambda: fake.channel_messages(thread_id))
        await fake.dispatch_message(
            thread_id, BOB, f"{mention(fake)} what shall we cook tonight?", mentions=[fake.bot_user]
        )
        await until(lambda: len(fake.channel_messages(thread_id)) >= 2, within=10)
        await core.idle()
    assert thread["parent_id"] == str(GROUPS) and thread["name"] == "Annie's group"
    assert thread["thread_metadata"]["invitable"] is True
    assert fake.thread_members[thread_id] == {fake.bot_id, ANN, BOB, CAROL}
    greeting = fake.channel_messages(thread_id)[0]
    assert f"<@{ANN}>" in greeting and f"<@{BOB}>" in greeting and f"<@{CAROL}>" in greeting
    assert "CANARY" not in greeting
    assert "Done" in replies[-1] and "bob and Caro" in replies[-1]
    [in_dm, in_thread] = fake_model.received
    assert CANARY in in_dm.text
    assert "what shall we cook tonight?" in in_thread.text
    assert "CANARY" not in in_thread.text and "remember my" not in in_thread.text
    assert [c["path"] for c in fake.calls_of("POST", "/channels/{channel_id}/threads")] == [
        f"/channels/{GROUPS}/threads"
    ]


async def test_names_are_found_among_the_servers_members_and_strangers_are_named(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake = world
    dm = fake.dm_channel(ANN)
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        replies = await said_in_dm(fake, dm, f"group @BOB, caro <@{DAN}> <@{fake.bot_id}> bob zed", 1)
        await core.idle()
    [thread] = private_threads(fake)
    assert fake.thread_members[int(thread["id"])] == {fake.bot_id, ANN, BOB, CAROL}
    assert "bob and Caro" in replies[0]
    assert f"`<@{DAN}>` and `zed`" in replies[0]  # not in the server, nobody of that name
    assert fake_model.received == []  # a command, not talk


async def test_nothing_valid_is_answered_with_how_to_name_people(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake = world
    dm = fake.dm_channel(ANN)
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        replies = await said_in_dm(fake, dm, "group zed annie", 1)  # annie: Ann herself
        await core.idle()
    assert "`zed`" in replies[0] and "username" in replies[0]
    assert private_threads(fake) == [] and fake_model.received == []


async def test_without_a_group_channel_the_dm_says_the_operator_has_not_set_one(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world
    dm = fake.dm_channel(ANN)
    caplog.set_level(logging.INFO, logger="adapters.discord.groups")
    async with running_with(fake, fake_model, store) as (core, _):
        replies = await said_in_dm(fake, dm, f"group <@{BOB}>", 1)
        await core.idle()
    assert "has not set a channel" in replies[0]
    assert private_threads(fake) == []
    assert any("group_channel_id is not set" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("refusal", "named"),
    [
        ("deny", "Create Private Threads"),
        ("POST /channels/{channel_id}/threads", "Create Private Threads"),
        ("PUT /channels/{channel_id}/thread-members/{user_id}", "Send Messages in Threads"),
    ],
)
async def test_a_missing_permission_is_named_in_the_dm_and_the_bot_goes_on(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore, refusal: str, named: str
) -> None:
    fake = world
    if refusal == "deny":  # the server took the permission away in the channel's settings
        everyone = fake.guilds[GUILD]["roles"][0]
        bot_role = next(role for role in fake.guilds[GUILD]["roles"] if role["managed"])
        deny = Perm.CREATE_PRIVATE_THREADS
        fake.channels[GROUPS]["permission_overwrites"] = [
            fake.overwrite(everyone, deny=deny),
            fake.overwrite(bot_role, deny=deny),
        ]
    else:  # Discord refuses it although the cached permissions allow it
        fake.fail_next(refusal, status=403, code=50013, message="Missing Permissions")
    dm = fake.dm_channel(ANN)
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        replies = await said_in_dm(fake, dm, f"group <@{BOB}>", 1)
        await core.idle()
        await said_in_dm(fake, dm, "still there?", 2)
        await core.idle()
    replies = answers(fake, int(dm["id"]))
    assert named in replies[0] and "Permissions" in replies[0]
    assert replies[1].strip() == "Hello from the fake model."


async def test_group_in_a_server_channel_is_pointed_privately_to_the_dm(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake = world
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        await fake.dispatch_interaction(
            GUILD, GENERAL, ANN, subcommand="group", options={"text": f"<@{BOB}>"}
        )
        await until(lambda: fake.interaction_responses)
        await fake.dispatch_message(GENERAL, ANN, f"{mention(fake)} group <@{BOB}>", mentions=[fake.bot_user])
        dm = fake.dm_channel(ANN)
        await until(lambda: answers(fake, int(dm["id"])))
        await core.idle()
    [response] = fake.interaction_responses
    assert response["ephemeral"] and "direct chat" in response["data"]["content"]
    assert "direct chat" in answers(fake, int(dm["id"]))[0]
    assert answers(fake, GENERAL) == [] and private_threads(fake) == []
    assert fake_model.received == []


async def test_the_parley_group_command_works_in_a_dm(
    world: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake = world
    dm = fake.dm_channel(ANN)
    async with running_with(fake, fake_model, store, group_channel_id=str(GROUPS)) as (core, _):
        await fake.dispatch_interaction(None, dm, ANN, subcommand="group", options={"text": "bob carol"})
        await until(lambda: [f for f in fake.followups if f["method"] == "PATCH"])
        await core.idle()
        await asyncio.sleep(0.1)
    [thread] = private_threads(fake)
    [deferred] = fake.interaction_responses
    assert deferred["type"] == 5  # "Parley is thinking...", then the answer in its place
    [answer] = [f for f in fake.followups if f["method"] == "PATCH"]
    assert answer["message_id"] == "@original" and f"<#{thread['id']}>" in answer["data"]["content"]
    assert fake.thread_members[int(thread["id"])] == {fake.bot_id, ANN, BOB, CAROL}
    assert not [f for f in fake.followups if f["method"] == "POST"]  # no stray "Done."


# --- pure parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    global_name: str | None = None
    nick: str | None = None

    @property
    def display_name(self) -> str:
        return self.nick or self.global_name or self.name


def test_resolving_names_mentions_and_doubts() -> None:
    ann, bob = Person(1, "ann", "Ann"), Person(2, "bob", "Robert", nick="Bobby")
    sam1, sam2 = Person(3, "sam.one", "Sam"), Person(4, "sam.two", "Sam")
    bot = Person(9, "parley", "Parley")
    members = [ann, bob, sam1, sam2, bot]
    found = resolve(
        ["<@2>", "BOBBY", "robert,", "@Sam.One", "sam", "<@!9>", "<@1>", "<@77>", "x"], members, {9, 1}
    )
    assert found.found == (bob, sam1)
    assert found.unknown == ("sam", "<@77>", "x")  # two Sams; a stranger; nobody


def test_group_as_a_message_is_a_command_in_a_dm_and_after_a_mention_elsewhere() -> None:
    assert group_command("group <@2> bob") == "group <@2> bob"
    assert group_command("  Group bob") == "Group bob"
    assert group_command("group chats, are they any good?") is None
    assert group_command("grouping things") is None
    assert group_command("group bob\nand more") is None
    assert group_command("<@9> group bob", "9") == "group bob"
    assert group_command("group bob", "9") is None  # in a server, only when addressed
    me = DiscordIdentity("9")
    message = {
        "id": "5",
        "channel_id": "7",
        "author": {"id": "1", "username": "ann"},
        "content": "group <@2>",
        "timestamp": "2025-01-01T00:00:00+00:00",
    }
    [command] = translate("MESSAGE_CREATE", message, me, "dm")
    assert isinstance(command, CommandReceived)
    assert command.text == "group <@2>" and command.message_id == "5" and command.conversation.is_direct
    [talk] = translate("MESSAGE_CREATE", message, me, "guild")
    assert isinstance(talk, MessageReceived)
