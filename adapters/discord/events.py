"""Raw Discord gateway dispatches (MESSAGE_CREATE and friends) into the shared events: a pure
function over the JSON Discord sends.

Which conversation: the channel, a thread (a channel of its own) or a DM; the adapter says which
kind a channel is, since a message payload does not (`channel_kind`, of discord.py's channel
object). Is it for the AI: a real `<@bot>` mention
(a role mention only when the operator names the role), a reply to one of its messages, or
anything in a DM. `@everyone`/`@here` alone address nobody. Bots and webhooks never drive it.

One command travels as a message: `group @ann bob` in a DM (or `@Parley group ...` in a server,
which is told to ask from a DM) becomes the shared `group` command, since a DM has no easier way
to name people than typing them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import discord

from adapters.common.events import Json, attachment_kind
from facilitator.chat import Attachment, ConversationRef, Member, Message
from facilitator.events import (
    CommandReceived,
    Event,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    ProfileChanged,
    ReactionAdded,
)

logger = logging.getLogger(__name__)

PLATFORM = "discord"
AVATARS = "https://cdn.discordapp.com/avatars"
ChannelKind = Literal["guild", "thread", "dm", "group_dm"]


def channel_kind(channel: Any) -> ChannelKind:
    """The kind of conversation a discord.py channel object is."""
    if isinstance(channel, discord.Thread):
        return "thread"
    if isinstance(channel, discord.DMChannel):
        return "dm"
    if isinstance(channel, discord.GroupChannel):
        return "group_dm"
    return "guild"


_GROUP = re.compile(r"/?group(?=\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DiscordIdentity:
    user_id: str
    role_ids: tuple[str, ...] = ()  # roles whose mention addresses the AI (configured)


def conversation_of(channel_id: str, kind: ChannelKind, guild_id: object = None) -> ConversationRef:
    """The channel or thread; its server is the space an operator can switch off or give a tier."""
    space = str(guild_id) if guild_id else None
    return ConversationRef(PLATFORM, str(channel_id), is_direct=kind == "dm", space=space)


def member_of(user: Json, member: Json | None = None, *, webhook: bool = False) -> Member:
    member = member or {}
    user_id = str(user["id"])
    name = member.get("nick") or user.get("global_name") or user.get("username") or user_id
    avatar = user.get("avatar")
    return Member(
        PLATFORM,
        user_id,
        str(name),
        handle=user.get("username"),
        avatar_url=f"{AVATARS}/{user_id}/{avatar}.png" if avatar else None,
        is_bot=bool(user.get("bot")) or webhook,
        roles=tuple(str(role) for role in member.get("roles") or ()),
    )


def translate(kind_of_event: str, data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    """The events in one dispatch (`t`, `d`); empty for what is not for the core or malformed."""
    try:
        return _translate(kind_of_event, data, me, channel)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        logger.warning("skipped a malformed %s dispatch: %s", kind_of_event, exc)
        return []


def _translate(kind: str, data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    if str((data.get("author") or {}).get("id")) == me.user_id:
        return []  # its own messages and edits come back on the gateway; the core knows them already
    if kind == "MESSAGE_CREATE":
        return _message(data, me, channel)
    if kind == "GUILD_MEMBER_UPDATE":  # a new nickname, name or picture: known before they speak
        return [ProfileChanged(member_of(data["user"], data))]
    where = (
        conversation_of(data["channel_id"], channel, data.get("guild_id")) if "channel_id" in data else None
    )
    if kind == "MESSAGE_UPDATE" and where is not None and isinstance(data.get("content"), str):
        return [MessageEdited(where, str(data["id"]), data["content"])]
    if kind == "MESSAGE_DELETE" and where is not None:
        return [MessageDeleted(where, str(data["id"]))]
    if kind == "MESSAGE_DELETE_BULK" and where is not None:
        return [MessageDeleted(where, str(message_id)) for message_id in data["ids"]]
    if kind == "MESSAGE_REACTION_ADD" and where is not None:
        emoji = data["emoji"]
        shown = emoji["name"] if not emoji.get("id") else f":{emoji['name']}:"
        user = (data.get("member") or {}).get("user") or {"id": data["user_id"]}
        return [ReactionAdded(where, str(data["message_id"]), member_of(user, data.get("member")), shown)]
    return []


def _message(data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    if data.get("type", 0) not in (0, 19):  # joins, pins, boosts...: not talk
        return []
    content = data.get("content")
    text = content if isinstance(content, str) else ""
    attachments = tuple(
        Attachment(
            kind=attachment_kind(item.get("content_type")),
            name=item.get("filename"),
            mime_type=item.get("content_type"),
            size=item.get("size"),
            url=item.get("url"),
        )
        for item in data.get("attachments") or []
        if isinstance(item, dict)
    )
    if not text and not attachments:
        return []
    author = member_of(data["author"], data.get("member"), webhook=bool(data.get("webhook_id")))
    reference = data.get("message_reference") or {}
    replied = data.get("referenced_message") or {}
    mentioned_me = any(str(user.get("id")) == me.user_id for user in data.get("mentions") or [])
    mentioned = mentioned_me or any(str(role) in me.role_ids for role in data.get("mention_roles") or [])
    where = conversation_of(data["channel_id"], channel, data.get("guild_id"))
    if channel == "dm":
        command = group_command(text)
    else:
        command = group_command(text, me.user_id) if mentioned_me else None
    if command is not None and not attachments:
        return [CommandReceived(where, author, command, str(data["id"]), event_id=str(data["id"]))]
    return [
        MessageReceived(
            Message(
                id=str(data["id"]),
                conversation=where,
                author=author,
                text=text,
                sent_at=datetime.fromisoformat(str(data["timestamp"])),
                reply_to=str(reference["message_id"]) if reference.get("message_id") else None,
                mentions_ai=mentioned,
                replies_to_ai=str((replied.get("author") or {}).get("id")) == me.user_id,
                attachments=attachments,
            ),
            event_id=str(data["id"]),
        )
    ]


def group_command(text: str, bot_id: str | None = None) -> str | None:
    """The `group` command a message carries: in a DM, a line that starts with `group`; in a
    server (`bot_id` given), one that starts with a mention of the bot, then `group`. A question
    ("group chats, are they good?") or several lines are talk, not the command."""
    text = text.strip()
    if bot_id is not None:
        unmentioned = re.sub(rf"^(?:<@!?{re.escape(bot_id)}>\s*)+", "", text)
        if unmentioned == text:
            return None
        text = unmentioned
    if not _GROUP.match(text) or "?" in text or "\n" in text:
        return None
    return text


def command_text(data: Json) -> str:
    """`/parley mode off` as the shared command text: the subcommand, then its options' values."""
    words = []
    for option in data.get("options") or []:
        if option.get("type") in (1, 2):  # a subcommand (group): its name, then its own options
            words.append(str(option["name"]))
            words.append(command_text(option))
        elif "value" in option:
            words.append(str(option["value"]))
    return " ".join(word for word in words if word).strip()


def translate_command(data: Json, channel: ChannelKind) -> CommandReceived | None:
    """An INTERACTION_CREATE for the `/parley` application command."""
    try:
        if data.get("type") != 2 or (data.get("data") or {}).get("name") != "parley":
            return None
        member = data.get("member")
        user = (member or {}).get("user") or data["user"]
        where = conversation_of(data["channel_id"], channel, data.get("guild_id"))
        return CommandReceived(
            where, member_of(user, member), command_text(data["data"]), event_id=str(data["id"])
        )
    except (KeyError, TypeError) as exc:
        logger.warning("skipped a malformed interaction: %s", exc)
        return None
