"""What Parley may see and do on Discord: the permissions its invite asks for, the privileged
intents the developer portal grants, and what keeps messages of a channel from it.

Without the Message Content intent Parley still runs, but Discord hands it the text only of
messages that mention it (and of DMs); without View Channel or Read Message History in a
channel it misses that channel, or what was said there before. `blind_spots` says so in words
for the channel's members, with the fix.
"""

from __future__ import annotations

from typing import Any

import discord

# Send, read history, add reactions, create and write in threads (private ones for `group`),
# post files, use commands.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
)
MESSAGE_CONTENT, SERVER_MEMBERS = "MESSAGE CONTENT", "SERVER MEMBERS"

NO_CONTENT = (
    "I only see the messages here that mention me: Discord does not give me the text of the "
    "others. Whoever runs me can change that in the Discord Developer Portal: under "
    "Bot, turn on MESSAGE CONTENT INTENT, then restart me."
)


def missing_intents(flags: discord.ApplicationFlags) -> tuple[str, ...]:
    """The privileged intents Parley asks for that the developer portal has not turned on."""
    missing = []
    if not (flags.gateway_message_content or flags.gateway_message_content_limited):
        missing.append(MESSAGE_CONTENT)
    if not (flags.gateway_guild_members or flags.gateway_guild_members_limited):
        missing.append(SERVER_MEMBERS)
    return tuple(missing)


def blind_spots(channel: Any, reads_content: bool) -> str | None:
    """Why Parley cannot read every message of `channel` (a guild channel or thread), with the
    fix; None when it can, and for DMs (Discord hands over all of a DM)."""
    guild: discord.Guild | None = getattr(channel, "guild", None)
    if guild is None:
        return None
    found = [] if reads_content else [NO_CONTENT]
    me = guild.me
    if me is not None:
        allowed = channel.permissions_for(me)
        role = f"my role ({guild.self_role.name})" if guild.self_role is not None else "my role"
        where = "in this channel's settings, under Permissions"
        if not allowed.view_channel:
            found.append(
                f"I cannot see this channel. A server admin can fix that {where}: "
                f"give {role} View Channel and Read Message History."
            )
        elif not allowed.read_message_history:
            found.append(
                "I cannot read this channel's message history, so I miss what was said before "
                f"and cannot react to it. A server admin can fix that {where}: "
                f"give {role} Read Message History."
            )
    return " ".join(found) or None
