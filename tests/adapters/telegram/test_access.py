"""What Parley may see on Telegram (adapters/telegram/access.py): privacy mode hides a group's
talk from a bot that is no admin there, and the group is told how to fix it, also when an admin
turns `auto` on. The real python-telegram-bot against the loopback fake."""

from __future__ import annotations

from adapters.telegram.adapter import TelegramAdapter
from facilitator.chat import ConversationRef
from tests.fakes.telegram_api import FakeTelegram
from tests.support.driver import ALICE, TRIP
from tests.support.telegram import GROUP_ID, TelegramDriver

GROUP = ConversationRef("telegram", str(GROUP_ID))


async def test_privacy_mode_in_a_group_is_explained_with_the_fix(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.can_read_all_group_messages = False  # changed in BotFather while the bot runs
    note = await bot.partial_view(GROUP)
    assert note is not None
    assert "privacy mode" in note and "@BotFather" in note and "/setprivacy" in note
    assert f"@{telegram.username}" in note and "Disable" in note
    assert "admin" in note and "add me again" in note


async def test_an_admin_bot_sees_everything_despite_privacy_mode(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.can_read_all_group_messages = False
    telegram.add_admin(group, telegram.me)
    assert await bot.partial_view(GROUP) is None


async def test_without_privacy_mode_or_in_a_private_chat_nothing_is_hidden(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    alice = telegram.user(11, "Alice")
    telegram.private_chat(alice)
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    assert await bot.partial_view(GROUP) is None  # the fake's default: privacy mode off
    telegram.can_read_all_group_messages = False
    assert await bot.partial_view(ConversationRef("telegram", "11", is_direct=True)) is None


async def test_auto_mode_in_a_group_hidden_by_privacy_mode_says_how_to_fix_it(
    parley: TelegramDriver, telegram: FakeTelegram
) -> None:
    telegram.can_read_all_group_messages = False  # BotFather's default
    telegram.add_admin(parley.chats[TRIP], parley.users[ALICE])
    async with parley.running():
        answer = await parley.command(TRIP, ALICE, "mode auto")
        await parley.core.idle()
    assert parley.posted(TRIP) == [answer]
    assert "privacy mode" in answer and "/setprivacy" in answer and "admin" in answer
