"""The `/parley` application command: one group whose subcommands carry the shared commands
(`/parley mode off` is the core's `mode off`), and the kind of conversation a channel is. It is a
global command, so Discord offers it in DMs with the bot too (`/parley group @ann bob` there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from adapters.discord.events import ChannelKind, translate_interaction
from facilitator.events import CommandReceived

OnCommand = Callable[[discord.Interaction, str], Awaitable[None]]

TEXT = "what follows the command"
SUBCOMMANDS = (  # name, description, what its text is (None: it takes none)
    ("help", "What Parley can do here", None),
    ("mode", "mention, auto or off (admins change it)", TEXT),
    ("instructions", "This server's instructions for Parley (admins change them)", TEXT),
    ("profile", "How Parley knows you: name, handle or photo", TEXT),
    ("usage", "Your answers and tokens today", None),
    ("forget", "Delete what Parley stores about you", None),
    ("reset", "A fresh start for this conversation", None),
    (
        "group",
        "From your DM with Parley: a private thread with the people you name",
        "@name or username, ...",
    ),
)


def channel_kind(channel: Any) -> ChannelKind:
    if isinstance(channel, discord.Thread):
        return "thread"
    if isinstance(channel, discord.DMChannel):
        return "dm"
    if isinstance(channel, discord.GroupChannel):
        return "group_dm"
    return "guild"


def parley_group(on_command: OnCommand) -> app_commands.Group:
    """The `/parley` group; each subcommand hands `on_command` its text ("mode off")."""
    group = app_commands.Group(name="parley", description="Talk to Parley and change how it takes part")

    def add(name: str, description: str, text_is: str | None) -> None:
        if text_is is not None:

            @group.command(name=name, description=description)
            @app_commands.describe(text=text_is)
            async def with_text(interaction: discord.Interaction, text: str = "") -> None:
                await on_command(interaction, f"{name} {text}".strip())

        else:

            @group.command(name=name, description=description)
            async def plain(interaction: discord.Interaction) -> None:
                await on_command(interaction, name)

    for name, description, text_is in SUBCOMMANDS:
        add(name, description, text_is)
    return group


def command_of(interaction: discord.Interaction, text: str, is_admin: bool) -> CommandReceived | None:
    """The shared command an interaction carries; its `message_id` is the interaction's id, so
    the core's answer "in reply to" it goes back through the interaction."""
    user = interaction.user
    command = translate_interaction(
        {
            "id": str(interaction.id),
            "type": 2,
            "channel_id": str(interaction.channel_id),
            "user": {"id": str(user.id), "username": user.name, "global_name": user.global_name},
            "data": {"name": "parley", "options": []},
        },
        channel_kind(interaction.channel),
    )
    if command is None:
        return None
    return replace(
        command,
        text=text,
        author=replace(command.author, is_admin=is_admin),
        message_id=command.event_id,
    )
