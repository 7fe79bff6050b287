"""Every command of the core's table on Slack, as a member types it: `/parley <name>` in a
channel and in a DM reaches the core as that command and is answered, through the real Bolt
app behind Parley's HTTP server and the loopback Web API. A command added to the table is tested
here with no edit, and the manifest that declares `/parley` must name it."""

from __future__ import annotations

import pytest

from adapters.slack.commands import COMMAND, menu
from facilitator.commands import COMMANDS, CommandSpec
from facilitator.core import Facilitator
from tests.fakes.slack_manifest import slash_command
from tests.support.driver import ALICE, TRIP
from tests.support.heard import Heard
from tests.support.slack import SlackDriver
from tests.support.waiting import until


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
async def test_every_command_is_reachable_as_parley_and_its_name(
    parley: SlackDriver, facilitator: Facilitator, spec: CommandSpec
) -> None:
    heard = Heard(facilitator)
    async with parley.running(core=heard):
        for where in (TRIP, parley.direct(ALICE)):
            answer = await parley.command(where, ALICE, spec.name)
            [command] = await until(lambda: heard.commands, what=f"/parley {spec.name} in the core")
            assert (
                command.text == spec.name
                and command.conversation.chat_id == parley.conversation(where).chat_id
            )
            assert answer
            await heard.idle()
            heard.events.clear()


def test_the_manifest_declares_parley_with_every_command_of_the_table() -> None:
    """A manifest is set up by hand once: it must say what the table says (a new command is then
    a new word in docs/slack-manifest.yml, which this test names)."""
    declared = slash_command(COMMAND)
    assert {key: declared[key] for key in menu()} == menu()
    assert [name.strip() for name in declared["usage_hint"].split("|")] == [spec.name for spec in COMMANDS]
    assert declared["should_escape"] is True  # `group <@U123|ann>`: people as ids, not names
