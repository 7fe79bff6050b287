"""The `/parley` application command: one group whose subcommands carry the shared commands
(`/parley mode off` is the core's `mode off`), and the kind of conversation a channel is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from adapters.discord.events import ChannelKind, translate_interaction
from facilitator.model import CommandReceived

OnCommand = Callable[[discord.Interaction, str], Awaitable[None]]

SUBCOMMANDS = (  # name, description, whether it takes text
    ("help", "What Parley can do here", False),
    ("mode", "mention, auto or off (admins change it)", True),
    ("instructions", "This server's instructions for Parley (admins change them)", True),
    ("profile", "How Parley knows you: name, handle or photo", True),
    ("usage", "Your answers and tokens today", False),
    ("forget", "Delete what Parley stores about you", False),
    ("reset", "A fresh start for this conversation", False),
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

    def add(name: str, description: str, takes_text: bool) -> None:
        if takes_text:

            @group.command(name=name, description=description)
            @app_commands.describe(text="what follows the command")
            async def with_text(interaction: discord.Interaction, text: str = "") -> None:
                await on_command(interaction, f"{name} {text}".strip())

        else:

            @group.command(name=name, description=description)
            async def plain(interaction: discord.Interaction) -> None:
                await on_command(interaction, name)

    for name, description, takes_text in SUBCOMMANDS:
        add(name, description, takes_text)
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
