"""Privacy canaries on Telegram, end to end: the real python-telegram-bot polling the loopback Bot
API fake, the real core and SQLite store, the real openai client and its loopback server, which
records every request. What a member says or sets in their private chat with the bot, or says in
one group, must never be in what the model reads for another conversation; and what Parley tells
one member (the first-use notice, an exhausted quota) reaches them privately, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from facilitator.core import Facilitator
from facilitator.quotas import Quotas, Tier
from facilitator.store.sqlite import SqliteStore
from tests.adapters.telegram.helpers import GROUP_ID, bot_texts, mention, parley_running, until
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegram

OTHER_GROUP = -1005678
ALICE, BOB = 11, 12
ONE_REPLY_A_DAY = Quotas(tiers={"free": Tier("free", replies_per_day=1)}, default_tier="free")
CANT_WRITE_PRIVATELY = "I can't write to you privately yet"


@asynccontextmanager
async def parley(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore, **options: Any
) -> AsyncIterator[Facilitator]:
    async with parley_running(telegram, fake_model, store, **options) as (core, _):
        yield core


async def say(telegram: FakeTelegram, chat: dict[str, Any], user: dict[str, Any], text: str) -> None:
    """`user` writes `text` in `chat` and waits for one more message from the bot there."""
    before = len(bot_texts(telegram, chat["id"]))
    telegram.push_message(chat, user, text)
    await until(lambda: len(bot_texts(telegram, chat["id"])) > before)


async def test_what_a_member_tells_the_bot_privately_never_reaches_a_group_they_then_address(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "TG-PRIVATE-CANARY-3f9a"
    alice = telegram.user(ALICE, "Alice")
    private, group = telegram.private_chat(alice), telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley(telegram, fake_model, store) as core:
        await say(telegram, private, alice, f"Between us: my locker code is {canary}.")
        await core.idle()
        await say(telegram, group, alice, f"{mention(telegram)} what should we pack?")
        await say(telegram, group, alice, f"{mention(telegram)} and what is my locker code?")
        await core.idle()
    in_private, *in_group = fake_model.received
    assert canary in in_private.text
    assert len(in_group) == 2 and "what should we pack?" in in_group[0].text
    assert all(canary not in request.everything for request in in_group)


async def test_instructions_set_in_the_private_chat_are_followed_there_and_in_no_group(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "TG-INSTRUCTIONS-CANARY-81c2"
    alice = telegram.user(ALICE, "Alice")
    private, group = telegram.private_chat(alice), telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley(telegram, fake_model, store) as core:
        await say(telegram, private, alice, f"/parley instructions Sign every answer with {canary}")
        await say(telegram, group, alice, f"{mention(telegram)} any plans for today?")
        await say(telegram, private, alice, "and in private, any plans?")
        await core.idle()
    assert "direct chat only" in bot_texts(telegram, ALICE)[0]  # the command's answer, privately
    in_group, in_private = fake_model.received
    assert canary in in_private.text
    assert canary not in in_group.everything and canary not in "".join(bot_texts(telegram, GROUP_ID))


async def test_what_is_said_in_one_group_never_reaches_another_group_of_the_same_member(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    canary = "TG-GROUP-CANARY-c07e"
    alice = telegram.user(ALICE, "Alice")
    trip = telegram.group(GROUP_ID, "Trip", supergroup=True)
    work = telegram.group(OTHER_GROUP, "Work", supergroup=True)
    async with parley(telegram, fake_model, store) as core:
        await say(telegram, trip, alice, f"{mention(telegram)} the cabin door code is {canary}, ok?")
        await core.idle()
        await say(telegram, work, alice, f"{mention(telegram)} what do you know about me?")
        await core.idle()
    in_trip, in_work = fake_model.received
    assert canary in in_trip.text
    assert "what do you know about me?" in in_work.text and canary not in in_work.everything


async def test_the_first_use_notice_comes_once_in_the_private_chat_not_in_the_group(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    alice = telegram.user(ALICE, "Alice")
    telegram.private_chat(alice)  # Alice pressed Start once: the bot may write to her
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley(telegram, fake_model, store, first_use_notice=True) as core:
        await say(telegram, group, alice, f"{mention(telegram)} hello!")
        await until(lambda: bot_texts(telegram, ALICE))
        await say(telegram, group, alice, f"{mention(telegram)} hello again!")
        await core.idle()
    [notice] = bot_texts(telegram, ALICE)
    assert notice.startswith("Hi, I'm Parley, an AI.") and "this group's recent messages" in notice
    assert bot_texts(telegram, GROUP_ID) == ["Hello from the fake model."] * 2


async def test_without_a_private_chat_the_group_is_told_once_to_open_one_not_the_notice(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    alice = telegram.user(ALICE, "Alice")  # she never started a chat with the bot
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley(telegram, fake_model, store, first_use_notice=True) as core:
        telegram.push_message(group, alice, f"{mention(telegram)} hello!")
        await until(lambda: len(bot_texts(telegram, GROUP_ID)) == 2)
        await say(telegram, group, alice, f"{mention(telegram)} hello again!")
        await core.idle()
    in_group = bot_texts(telegram, GROUP_ID)
    assert in_group.count("Hello from the fake model.") == 2
    [note] = [text for text in in_group if CANT_WRITE_PRIVATELY in text]
    assert f"t.me/{telegram.username}" in note
    assert not any("Hi, I'm Parley" in text for text in in_group)  # the notice stays unsaid
    tried = [call for call in telegram.calls_of("sendMessage") if str(call["chat_id"]) == str(ALICE)]
    assert len(tried) == 1  # tried privately first, and once


async def test_over_the_quota_the_group_hears_nothing_and_the_member_is_told_privately_once(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    alice, bob = telegram.user(ALICE, "Alice"), telegram.user(BOB, "Bob")
    telegram.private_chat(alice)
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley(telegram, fake_model, store, quotas=ONE_REPLY_A_DAY) as core:
        await say(telegram, group, alice, f"{mention(telegram)} first question")
        await core.idle()
        telegram.push_message(group, alice, f"{mention(telegram)} second question")
        await until(lambda: bot_texts(telegram, ALICE))
        telegram.push_message(group, alice, f"{mention(telegram)} third question")
        await say(telegram, group, bob, f"{mention(telegram)} Bob's first question")
        await core.idle()
    [notice] = bot_texts(telegram, ALICE)
    assert notice.startswith("You've used today's answers on your plan")
    assert bot_texts(telegram, GROUP_ID) == ["Hello from the fake model."] * 2  # Alice's first, Bob's
    assert len(fake_model.received) == 2 and "Bob's first question" in fake_model.received[1].text
