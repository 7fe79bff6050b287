"""The `/parley` application command, built from the core's table of commands: one group with a
subcommand per command of the table (`/parley mode off` is the core's `mode off`), each with a
`text` option when its usage takes an argument. A command added to the table is a subcommand at
the next start, with no edit here. It is a global command, so Discord offers it in DMs with the
bot too (`/parley group @ann bob` there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import discord
from discord import app_commands

from adapters.common.commands import argument, description, overview
from adapters.discord.events import channel_kind, translate_command
from facilitator.commands import COMMANDS, CommandSpec
from facilitator.events import CommandReceived

OnCommand = Callable[[discord.Interaction, str], Awaitable[None]]

COMMAND = "parley"
DESCRIPTION_LIMIT = 100  # Discord's, for a command's and an option's description


def menu(on_command: OnCommand) -> app_commands.Group:
    """The `/parley` group; each subcommand hands `on_command` its text ("mode off")."""
    group = app_commands.Group(name=COMMAND, description=overview()[:DESCRIPTION_LIMIT])
    for spec in COMMANDS:
        _add(group, spec, on_command)
    return group


def _add(group: app_commands.Group, spec: CommandSpec, on_command: OnCommand) -> None:
    name, text_is = spec.name, argument(spec)[:DESCRIPTION_LIMIT]
    summary = description(spec)[:DESCRIPTION_LIMIT]
    if text_is:

        @group.command(name=name, description=summary)
        @app_commands.describe(text=text_is)
        async def with_text(interaction: discord.Interaction, text: str = "") -> None:
            await on_command(interaction, f"{name} {text}".strip())

    else:

        @group.command(name=name, description=summary)
        async def plain(interaction: discord.Interaction) -> None:
            await on_command(interaction, name)


def command_of(interaction: discord.Interaction, text: str, is_admin: bool) -> CommandReceived | None:
    """The shared command an interaction carries; its `message_id` is the interaction's id, so
    the core's answer "in reply to" it goes back through the interaction."""
    user = interaction.user
    data: dict[str, object] = {
        "id": str(interaction.id),
        "type": 2,
        "channel_id": str(interaction.channel_id),
        "user": {"id": str(user.id), "username": user.name, "global_name": user.global_name},
        "data": {"name": COMMAND, "options": []},
    }
    if interaction.guild_id is not None:  # the server: its kill switch holds for commands too
        data["guild_id"] = str(interaction.guild_id)
    command = translate_command(data, channel_kind(interaction.channel))
    if command is None:
        return None
    return replace(
        command,
        text=text,
        author=replace(command.author, is_admin=is_admin),
        message_id=command.event_id,
    )
