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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import discord

from adapters.common.events import (
    Json,
    Malformed,
    attachment_kind,
    count_of,
    flag_of,
    id_of,
    iso_moment_of,
    list_of,
    mapping_of,
    mappings_of,
    name_of,
    optional_id,
    optional_mapping,
    shown,
    text_of,
)
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
SNOWFLAKE = r"[1-9][0-9]{0,19}"  # a Discord id: a 64-bit integer, sent as its decimal digits
AVATAR_HASH = re.compile(r"(a_)?[0-9a-f]{1,64}")
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


def snowflake(value: object, what: str) -> str:
    return id_of(value, what, SNOWFLAKE)


def _ids(value: object) -> tuple[str, ...]:
    """The snowflakes in an optional list (roles, mentioned roles); anything else is dropped."""
    found = (optional_id(item, SNOWFLAKE) for item in value) if isinstance(value, list) else ()
    return tuple(item for item in found if item is not None)


def conversation_of(channel_id: object, kind: ChannelKind, guild_id: object = None) -> ConversationRef:
    """The channel or thread; its server is the space an operator can switch off or give a tier.
    A server id that is there but no snowflake is malformed: dropping it would slip past the
    operator's switch."""
    space = snowflake(guild_id, "guild_id") if guild_id is not None else None
    return ConversationRef(PLATFORM, snowflake(channel_id, "channel_id"), is_direct=kind == "dm", space=space)


def member_of(
    user: Json, member: Json | None = None, *, webhook: bool = False, me: DiscordIdentity | None = None
) -> Member:
    """A user (with their server membership, when known); the bot itself counts as a bot."""
    user, member = mapping_of(user, "user"), optional_mapping(member)
    user_id = snowflake(user.get("id"), "user.id")
    handle = name_of(user.get("username"))
    name = name_of(member.get("nick")) or name_of(user.get("global_name")) or handle or user_id
    avatar = user.get("avatar")
    known_avatar = isinstance(avatar, str) and AVATAR_HASH.fullmatch(avatar)
    return Member(
        PLATFORM,
        user_id,
        name,
        handle=handle,
        avatar_url=f"{AVATARS}/{user_id}/{avatar}.png" if known_avatar else None,
        is_bot=flag_of(user.get("bot")) or webhook or (me is not None and user_id == me.user_id),
        roles=_ids(member.get("roles")),
    )


def translate(kind_of_event: str, data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    """The events in one dispatch (`t`, `d`); empty for what is not for the core or malformed."""
    event_id = shown(data.get("id")) if isinstance(data, Mapping) else "?"
    try:
        return _translate(kind_of_event, mapping_of(data, "the dispatch"), me, channel)
    except Malformed as exc:
        logger.warning("skipped %s %s: %s", kind_of_event, event_id, exc)
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        logger.warning("skipped %s %s: unchecked %s", kind_of_event, event_id, type(exc).__name__)
    return []


def _own(user: object, me: DiscordIdentity) -> bool:
    return isinstance(user, Mapping) and optional_id(user.get("id"), SNOWFLAKE) == me.user_id


def _translate(kind: str, data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    if _own(data.get("author"), me):
        return []  # its own messages and edits come back on the gateway; the core knows them already
    if kind == "MESSAGE_CREATE":
        return _message(data, me, channel)
    if kind == "GUILD_MEMBER_UPDATE":  # a new nickname, name or picture: known before they speak
        return [ProfileChanged(member_of(mapping_of(data.get("user"), "user"), data, me=me))]
    if kind not in {"MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK", "MESSAGE_REACTION_ADD"}:
        return []
    if "channel_id" not in data:
        return []
    where = conversation_of(data["channel_id"], channel, data.get("guild_id"))
    if kind == "MESSAGE_UPDATE":
        if not isinstance(data.get("content"), str):
            return []  # an embed resolved, a pin...: the text did not change
        return [MessageEdited(where, snowflake(data.get("id"), "id"), data["content"])]
    if kind == "MESSAGE_DELETE":
        return [MessageDeleted(where, snowflake(data.get("id"), "id"))]
    if kind == "MESSAGE_DELETE_BULK":
        return [MessageDeleted(where, snowflake(each, "ids")) for each in list_of(data.get("ids"), "ids")]
    return _reaction(data, where, me)


def _reaction(data: Json, where: ConversationRef, me: DiscordIdentity) -> list[Event]:
    emoji = mapping_of(data.get("emoji"), "emoji")
    name = name_of(emoji.get("name"))
    if name is None:
        raise Malformed("emoji.name is no name")
    emoji_text = f":{name}:" if emoji.get("id") is not None else name
    member = optional_mapping(data.get("member"))
    user = member.get("user")
    reactor = member_of(user if isinstance(user, Mapping) else {"id": data.get("user_id")}, member, me=me)
    if reactor.user_id == me.user_id:
        return []  # its own reaction
    return [ReactionAdded(where, snowflake(data.get("message_id"), "message_id"), reactor, emoji_text)]


def _attachments(data: Json) -> tuple[Attachment, ...]:
    """The files of a message; one without a URL is none Parley could fetch, and is left out."""
    found = []
    for item in mappings_of(data.get("attachments")):
        url, mime_type = name_of(item.get("url")), name_of(item.get("content_type"))
        if url is not None:
            found.append(
                Attachment(
                    kind=attachment_kind(mime_type),
                    name=name_of(item.get("filename")),
                    mime_type=mime_type,
                    size=count_of(item.get("size")),
                    url=url,
                )
            )
    return tuple(found)


def _message(data: Json, me: DiscordIdentity, channel: ChannelKind) -> list[Event]:
    kind = data.get("type", 0)
    if type(kind) is not int or kind not in (0, 19):  # joins, pins, boosts...: not talk
        return []
    text = text_of(data.get("content"), "content", absent="")
    attachments = _attachments(data)
    if not text and not attachments:
        return []
    author = member_of(
        mapping_of(data.get("author"), "author"), data.get("member"), webhook=bool(data.get("webhook_id"))
    )
    message_id = snowflake(data.get("id"), "id")
    reference = optional_mapping(data.get("message_reference"))
    replied = optional_mapping(data.get("referenced_message"))
    mentioned_me = any(_own(user, me) for user in mappings_of(data.get("mentions")))
    mentioned = mentioned_me or any(role in me.role_ids for role in _ids(data.get("mention_roles")))
    where = conversation_of(data.get("channel_id"), channel, data.get("guild_id"))
    if channel == "dm":
        command = group_command(text)
    else:
        command = group_command(text, me.user_id) if mentioned_me else None
    if command is not None and not attachments:
        return [CommandReceived(where, author, command, message_id, event_id=message_id)]
    return [
        MessageReceived(
            Message(
                id=message_id,
                conversation=where,
                author=author,
                text=text,
                sent_at=iso_moment_of(data.get("timestamp"), "timestamp"),
                reply_to=optional_id(reference.get("message_id"), SNOWFLAKE),
                mentions_ai=mentioned,
                replies_to_ai=_own(replied.get("author"), me),
                attachments=attachments,
            ),
            event_id=message_id,
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
    """`/parley mode off` as the shared command text: the subcommand, then its options' values
    (strings, numbers and booleans, as Discord's option types are)."""
    words = []
    for option in (mapping_of(item, "an option") for item in list_of(data.get("options"), "options")):
        if option.get("type") in (1, 2):  # a subcommand (group): its name, then its own options
            words.append(text_of(option.get("name"), "option name"))
            words.append(command_text(option))
        elif "value" in option:
            value = option["value"]
            if not isinstance(value, str | int | float):
                raise Malformed(f"an option's value is {type(value).__name__}")
            words.append(str(value))
    return " ".join(word for word in words if word).strip()


def translate_command(data: Json, channel: ChannelKind) -> CommandReceived | None:
    """An INTERACTION_CREATE for the `/parley` application command."""
    if not isinstance(data, Mapping):
        return None
    command = optional_mapping(data.get("data"))
    if data.get("type") != 2 or command.get("name") != "parley":
        return None
    try:
        member = optional_mapping(data.get("member"))
        user = member.get("user") if "user" in member else data.get("user")
        where = conversation_of(data.get("channel_id"), channel, data.get("guild_id"))
        author = member_of(mapping_of(user, "user"), member)
        return CommandReceived(where, author, command_text(command), event_id=snowflake(data.get("id"), "id"))
    except Malformed as exc:
        logger.warning("skipped interaction %s: %s", shown(data.get("id")), exc)
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        logger.warning("skipped interaction %s: unchecked %s", shown(data.get("id")), type(exc).__name__)
    return None
