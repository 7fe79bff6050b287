"""Every command of the core's table on Telegram, as a member types it: `/name` in a private
chat and `/name@bot` in a group reach the core as that command and are answered, through the
real python-telegram-bot polling the loopback Bot API; and the menus setMyCommands publishes
are made from the table. A command added to the table is tested here with no edit."""

from __future__ import annotations

import pytest

from adapters.telegram.commands import COMMAND, OWN_COMMANDS
from facilitator.commands import COMMANDS, CommandSpec
from facilitator.core import Facilitator
from tests.fakes.telegram_api import FakeTelegram
from tests.support.driver import ALICE, TRIP
from tests.support.heard import Heard
from tests.support.telegram import TelegramDriver
from tests.support.waiting import until


async def typed(parley: TelegramDriver, heard: Heard, where: str, text: str, name: str) -> None:
    """Alice types `text` in `where`: the core hears the command `name` there, and answers."""
    sent = parley.messages_sent()
    await parley.say(where, ALICE, text)
    [command] = await until(lambda: heard.commands, what=f"the command {text!r} in the core")
    assert command.text == name
    assert command.conversation.chat_id == parley.conversation(where).chat_id
    await until(lambda: parley.messages_sent() > sent, what=f"an answer to {text!r}")
    await heard.idle()
    heard.events.clear()


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
async def test_every_command_works_by_its_own_name_in_private_and_named_for_the_bot_in_a_group(
    parley: TelegramDriver, telegram: FakeTelegram, facilitator: Facilitator, spec: CommandSpec
) -> None:
    heard = Heard(facilitator)
    async with parley.running(core=heard):
        await typed(parley, heard, parley.direct(ALICE), f"/{spec.name}", spec.name)
        await typed(parley, heard, TRIP, f"/{spec.name}@{telegram.username}", spec.name)
        await typed(parley, heard, TRIP, f"/{COMMAND}@{telegram.username} {spec.name}", spec.name)


async def test_the_menus_name_every_command_of_the_table(telegram: FakeTelegram, bot: object) -> None:
    menus = {
        (call.get("scope") or {}).get("type", "default"): call["commands"]
        for call in telegram.calls_of("setMyCommands")
    }
    for menu in menus.values():
        [parley] = [entry for entry in menu if entry["command"] == COMMAND]
        assert all(spec.name in parley["description"] for spec in COMMANDS)
    own = [entry["command"] for entry in menus["all_private_chats"] if entry["command"] != COMMAND]
    assert own == sorted(OWN_COMMANDS)
