"""Every command of the core's table on Discord, as a member types it: `/parley <name>` is a
subcommand of the `/parley` application command discord.py registers with the loopback fake,
with a `text` option when the command takes an argument, and the interaction reaches the core as
that command and is answered, in a server and in a DM. A command added to the table is tested
here with no edit (before, `/parley strict` did not exist on Discord)."""

from __future__ import annotations

import pytest

from adapters.common.commands import argument
from adapters.discord.commands import COMMAND
from facilitator.commands import COMMANDS, CommandSpec
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.support.discord import DiscordDriver
from tests.support.driver import ALICE, TRIP
from tests.support.heard import Heard
from tests.support.waiting import until


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
async def test_every_command_is_a_subcommand_of_parley_that_reaches_the_core(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore, facilitator: Facilitator, spec: CommandSpec
) -> None:
    parley = DiscordDriver(fake, fake_model, store)
    heard = Heard(facilitator)
    async with parley.running(core=heard):
        [parley_command] = [c for c in parley.fake.commands[None] if c["name"] == COMMAND]
        subcommands = {option["name"]: option for option in parley_command["options"]}
        assert subcommands[spec.name]["type"] == 1  # a subcommand
        takes = [option["name"] for option in subcommands[spec.name].get("options") or []]
        assert takes == (["text"] if argument(spec) else [])
        typed = [(TRIP, spec.name), (parley.direct(ALICE), spec.name)]
        if argument(spec):
            typed.append((TRIP, f"{spec.name} on"))  # the text option's value follows the name
        for where, text in typed:
            answer = await parley.command(where, ALICE, text)
            [command] = await until(lambda: heard.commands, what=f"/parley {text} in the core")
            assert command.text == text
            assert command.conversation.chat_id == parley.conversation(where).chat_id
            assert answer
            await heard.idle()
            heard.events.clear()
