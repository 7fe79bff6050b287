"""What Parley may see on Telegram: privacy mode.

A bot with privacy mode on (BotFather's default) receives in a group only the messages that
mention it, reply to it or are commands, so `auto` cannot follow the conversation; an admin of
the group receives every message all the same. getMe says which (`can_read_all_group_messages`)
and getChatAdministrators whether the bot is an admin; the adapter asks both, and `blind_spots` here
says so in words for the group, with the two ways to fix it. No I/O here.
"""

from __future__ import annotations


def blind_spots(username: str) -> str:
    """Why `auto` cannot follow a group with privacy mode on, and the two ways to fix it."""
    bot = f"@{username}" if username else "the bot"
    return (
        "Note: Telegram's privacy mode is on for me, so in this group I only see messages that "
        "mention me, reply to me or start with /parley, and `auto` cannot follow the conversation. "
        "To fix it, a group admin can make me an admin here; or my owner can open @BotFather, "
        f"send /setprivacy, choose {bot} and pick Disable, then remove me from this group and "
        "add me again."
    )
