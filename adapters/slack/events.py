"""Raw Slack Events API bodies and slash commands into the shared events: a pure function.

Which conversation: a channel, a group DM or a DM, or a thread inside one (a thread is a
conversation of its own). Is it for the AI: an `app_mention`, a `<@bot>` in the text, or
anything in a DM. Bot messages and most subtypes (joins, topic changes...) are not talk, and the
app's own messages, edits and reactions are no events. A body not of the documented shape (ids
and timestamps not in Slack's forms, texts that are no strings) is one log line and no event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.common.events import (
    Json,
    Malformed,
    attachment_kind,
    count_of,
    id_of,
    mapping_of,
    mappings_of,
    moment_of,
    name_of,
    optional_mapping,
    shown,
    text_of,
)
from adapters.slack.render import plain_text
from facilitator.chat import Attachment, ConversationRef, Member, Message
from facilitator.events import (
    CommandReceived,
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    ReactionAdded,
)

logger = logging.getLogger(__name__)

PLATFORM = "slack"
# Slack's forms: users U…/W…, conversations C…/G…/D…, message timestamps "1764072000.000100".
USER_ID, CHANNEL_ID, TS = r"[UW][A-Z0-9]{1,30}", r"[CDG][A-Z0-9]{1,30}", r"[0-9]{1,10}\.[0-9]{1,6}"
# Subtypes that are still someone talking; the rest (joins, topics, pins...) are not.
TALK_SUBTYPES = {None, "me_message", "file_share", "thread_broadcast"}
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# `group @a @b` typed in a DM is the group command (adapters/slack/groups.py); a message that only
# begins with the word ("group projects...") is talk.
GROUP_COMMAND = re.compile(r"\s*group\s+(?:<@|@)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    """Who the app is in this workspace (from auth.test)."""

    user_id: str  # the bot user, U...
    bot_id: str = ""  # B..., as bot messages carry it


def is_ts(value: object) -> bool:
    """A message ts ("1764072000.000100"); a slash command's trigger id is not one, and never
    names a thread."""
    return isinstance(value, str) and re.fullmatch(TS, value) is not None


def ts_key(value: str) -> tuple[int, int]:
    """The ts as (seconds, microseconds), for ordering exactly (a float would blur the
    microseconds of some); (0, 0) for what is not a ts."""
    if not is_ts(value):
        return (0, 0)
    seconds, _, fraction = value.partition(".")
    return (int(seconds), int(fraction.ljust(6, "0")))


def later(value: object, than: str) -> bool:
    return isinstance(value, str) and is_ts(value) and ts_key(value) > ts_key(than)


def conversation_of(
    channel: str, channel_type: str | None, thread_ts: str | None, ts: str | None
) -> ConversationRef:
    """A reply in a thread belongs to the thread; a thread's first message to its channel."""
    thread = thread_ts if thread_ts and thread_ts != ts else None
    return ConversationRef(
        PLATFORM, channel, thread, is_direct=channel_type == "im" or channel.startswith("D")
    )


def member_of(user_id: str, profile: Json | None = None, me: SlackIdentity | None = None) -> Member:
    """A member by id; the app's own bot user counts as a bot."""
    profile = optional_mapping(profile)
    handle = name_of(profile.get("display_name"))
    name = handle or name_of(profile.get("real_name")) or user_id
    return Member(PLATFORM, user_id, name, handle=handle, is_bot=me is not None and user_id == me.user_id)


def translate(body: Json, me: SlackIdentity) -> list[Event]:
    """The events in one Events API body; empty for what is not for the core (or malformed)."""
    event_id = body.get("event_id") if isinstance(body, Mapping) else None
    try:
        return _translate(mapping_of(body, "the body"), me)
    except Malformed as exc:
        logger.warning("skipped Slack event %s: %s", shown(event_id), exc)
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError, OSError) as exc:
        logger.warning("skipped Slack event %s: unchecked %s", shown(event_id), type(exc).__name__)
    return []


def _event_id(value: object) -> str:
    """The delivery's id, what redeliveries are known by; a missing or odd one is none ("")."""
    return value if isinstance(value, str) and re.fullmatch(r"Ev[A-Za-z0-9]{1,62}", value) else ""


def _translate(body: Json, me: SlackIdentity) -> list[Event]:
    if body.get("type") != "event_callback":
        return []
    event, event_id = mapping_of(body.get("event"), "event"), _event_id(body.get("event_id"))
    kind = event.get("type")
    if not isinstance(kind, str):
        return []
    if kind in {"message", "app_mention"}:
        return _message_events(event, me, event_id, mention=kind == "app_mention")
    item = optional_mapping(event.get("item"))
    if kind == "reaction_added" and item.get("type") == "message":
        user = id_of(event.get("user"), "user", USER_ID)
        if user == me.user_id:
            return []  # its own reaction
        where = conversation_of(id_of(item.get("channel"), "item.channel", CHANNEL_ID), None, None, None)
        reaction = name_of(event.get("reaction"))
        if reaction is None:
            raise Malformed("reaction is no emoji name")
        ts = id_of(item.get("ts"), "item.ts", TS)
        return [ReactionAdded(where, ts, member_of(user, me=me), f":{reaction}:", event_id)]
    if kind in {"member_joined_channel", "member_left_channel"}:
        channel = id_of(event.get("channel"), "channel", CHANNEL_ID)
        where = conversation_of(channel, _channel_type(event), None, None)
        change = MemberJoined if kind == "member_joined_channel" else MemberLeft
        return [change(where, member_of(id_of(event.get("user"), "user", USER_ID), me=me), event_id)]
    return []


def _channel_type(event: Json) -> str | None:
    kind = event.get("channel_type")
    return kind if isinstance(kind, str) else None


def _thread_ts(message: Json) -> str | None:
    """The thread a message is in: absent, or a ts (an odd one would put it in the wrong place)."""
    thread_ts = message.get("thread_ts")
    return None if thread_ts is None else id_of(thread_ts, "thread_ts", TS)


def _message_events(event: Json, me: SlackIdentity, event_id: str, *, mention: bool) -> list[Event]:
    subtype = event.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        return []  # no talk, whatever it is
    channel = id_of(event.get("channel"), "channel", CHANNEL_ID)
    if subtype == "message_changed":
        new = mapping_of(event.get("message"), "message")
        if _from_a_bot(new, me):
            return []
        ts = id_of(new.get("ts"), "message.ts", TS)
        where = conversation_of(channel, _channel_type(event), _thread_ts(new), ts)
        return [
            MessageEdited(where, ts, text_of(new.get("text"), "message.text", absent=""), event_id=event_id)
        ]
    if subtype == "message_deleted":
        deleted = id_of(event.get("deleted_ts"), "deleted_ts", TS)
        old = optional_mapping(event.get("previous_message"))
        where = conversation_of(channel, _channel_type(event), _thread_ts(old), deleted)
        return [MessageDeleted(where, deleted, event_id)]
    if subtype not in TALK_SUBTYPES or _from_a_bot(event, me):
        return []
    text = text_of(event.get("text"), "text", absent="")
    attachments = attachments_of(event.get("files"))
    if not text and not attachments:
        return []
    ts = id_of(event.get("ts"), "ts", TS)
    author = member_of(id_of(event.get("user"), "user", USER_ID), me=me)
    where = conversation_of(channel, _channel_type(event), _thread_ts(event), ts)
    if where.is_direct and subtype is None and not mention and GROUP_COMMAND.match(text):
        return [CommandReceived(where, author, text.strip(), ts, event_id)]
    mentioned = mention or me.user_id in USER_MENTION.findall(text)
    return [
        MessageReceived(
            Message(
                id=ts,
                conversation=where,
                author=author,
                text=text,
                sent_at=moment_of(float(ts), "ts"),
                reply_to=where.thread_id,
                mentions_ai=mentioned,
                replies_to_ai=event.get("parent_user_id") == me.user_id,
                attachments=attachments,
            ),
            event_id,
        )
    ]


def attachments_of(files: Any) -> tuple[Attachment, ...]:
    """A message's `files`, each referred to as `slack-file:<id>` (the adapter's fetch_image);
    a file without an id of Slack's form is none Parley could fetch, and is left out."""
    found = []
    for file in mappings_of(files):
        file_id, mime_type = file.get("id"), name_of(file.get("mimetype"))
        if isinstance(file_id, str) and re.fullmatch(r"F[A-Z0-9]{1,30}", file_id):
            found.append(
                Attachment(
                    kind=attachment_kind(mime_type),
                    name=name_of(file.get("name")),
                    mime_type=mime_type,
                    size=count_of(file.get("size")),
                    url=f"slack-file:{file_id}",
                )
            )
    return tuple(found)


def _from_a_bot(message: Json, me: SlackIdentity) -> bool:
    """Bots and integrations, this app's own messages first of all, never drive the AI."""
    return (
        bool(message.get("bot_id"))
        or message.get("subtype") == "bot_message"
        or message.get("user") == me.user_id
    )


def translate_command(form: Json) -> CommandReceived | None:
    """A slash command (`/parley mode off`): its text and who asked, where."""
    try:
        form = mapping_of(form, "the form")
        channel = id_of(form.get("channel_id"), "channel_id", CHANNEL_ID)
        user = id_of(form.get("user_id"), "user_id", USER_ID)
        text = text_of(form.get("text"), "text", absent="").strip()
    except Malformed as exc:
        trigger = form.get("trigger_id") if isinstance(form, Mapping) else None
        logger.warning("skipped slash command %s: %s", shown(trigger), exc)
        return None
    where = conversation_of(channel, "im" if channel.startswith("D") else None, None, None)
    handle = name_of(form.get("user_name"))
    author = Member(PLATFORM, user, handle or user, handle=handle)
    if text and text.split(maxsplit=1)[0].lower() != "group":
        # The command escapes users, channels and links (docs/slack-manifest.yml) for `group`;
        # everywhere else it is read as the member sees it: `@bob`, `#general`, `&`.
        text = plain_text(text)
    trigger = form.get("trigger_id")  # "13345224609.738474920.8088930838d88f008e0"
    if not isinstance(trigger, str) or not re.fullmatch(r"[0-9]{1,20}\.[0-9]{1,20}\.[0-9a-f]{1,64}", trigger):
        trigger = ""  # no delivery id to know a redelivery by
    return CommandReceived(where, author, text, event_id=trigger)
