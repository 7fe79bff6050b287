"""Raw Slack Events API bodies and slash commands into the shared events: a pure function.

Which conversation: a channel, a group DM or a DM, or a thread inside one (a thread is a
conversation of its own). Is it for the AI: an `app_mention`, a `<@bot>` in the text, or
anything in a DM. Bot messages and most subtypes (joins, topic changes...) are not talk.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.common.events import Json, attachment_kind
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


def conversation_of(
    channel: str, channel_type: str | None, thread_ts: str | None, ts: str | None
) -> ConversationRef:
    """A reply in a thread belongs to the thread; a thread's first message to its channel."""
    thread = thread_ts if thread_ts and thread_ts != ts else None
    return ConversationRef(
        PLATFORM, channel, thread, is_direct=channel_type == "im" or channel.startswith("D")
    )


def member_of(user_id: str, profile: Json | None = None) -> Member:
    profile = profile or {}
    name = profile.get("display_name") or profile.get("real_name") or user_id
    return Member(PLATFORM, user_id, name, handle=profile.get("display_name") or None)


def translate(body: Json, me: SlackIdentity) -> list[Event]:
    """The events in one Events API body; empty for what is not for the core (or malformed)."""
    try:
        return _translate(body, me)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        logger.warning("skipped a malformed Slack event %s: %s", body.get("event_id"), exc)
        return []


def _translate(body: Json, me: SlackIdentity) -> list[Event]:
    if body.get("type") != "event_callback":
        return []
    event, event_id = body["event"], str(body.get("event_id", ""))
    kind = event.get("type")
    if kind in {"message", "app_mention"}:
        return _message_events(event, me, event_id, mention=kind == "app_mention")
    if kind == "reaction_added" and (event.get("item") or {}).get("type") == "message":
        item = event["item"]
        where = ConversationRef(PLATFORM, item["channel"])
        return [
            ReactionAdded(
                where, str(item["ts"]), member_of(event["user"]), f":{event['reaction']}:", event_id
            )
        ]
    if kind in {"member_joined_channel", "member_left_channel"}:
        where = conversation_of(event["channel"], event.get("channel_type"), None, None)
        change = MemberJoined if kind == "member_joined_channel" else MemberLeft
        return [change(where, member_of(event["user"]), event_id)]
    return []


def _message_events(event: Json, me: SlackIdentity, event_id: str, *, mention: bool) -> list[Event]:
    subtype = event.get("subtype")
    channel = event["channel"]
    if subtype == "message_changed":
        new = event["message"]
        if _from_a_bot(new, me):
            return []
        where = conversation_of(channel, event.get("channel_type"), new.get("thread_ts"), new.get("ts"))
        return [MessageEdited(where, str(new["ts"]), str(new.get("text") or ""), event_id=event_id)]
    if subtype == "message_deleted":
        old = event.get("previous_message") or {}
        where = conversation_of(channel, event.get("channel_type"), old.get("thread_ts"), event["deleted_ts"])
        return [MessageDeleted(where, str(event["deleted_ts"]), event_id)]
    if subtype not in TALK_SUBTYPES or _from_a_bot(event, me):
        return []
    text = event.get("text")
    if not isinstance(text, str):
        text = ""
    attachments = attachments_of(event.get("files"))
    if not text and not attachments:
        return []
    ts = str(event["ts"])
    where = conversation_of(channel, event.get("channel_type"), event.get("thread_ts"), ts)
    if where.is_direct and subtype is None and not mention and GROUP_COMMAND.match(text):
        return [CommandReceived(where, member_of(event["user"]), text.strip(), ts, event_id)]
    mentioned = mention or me.user_id in USER_MENTION.findall(text)
    return [
        MessageReceived(
            Message(
                id=ts,
                conversation=where,
                author=member_of(event["user"]),
                text=text,
                sent_at=datetime.fromtimestamp(float(ts), UTC),
                reply_to=where.thread_id,
                mentions_ai=mentioned,
                replies_to_ai=event.get("parent_user_id") == me.user_id,
                attachments=attachments,
            ),
            event_id,
        )
    ]


def attachments_of(files: Any) -> tuple[Attachment, ...]:
    """A message's `files`, each referred to as `slack-file:<id>` (the adapter's fetch_image)."""
    return tuple(
        Attachment(
            kind=attachment_kind(file.get("mimetype")),
            name=file.get("name"),
            mime_type=file.get("mimetype"),
            size=file.get("size"),
            url=f"slack-file:{file.get('id')}",
        )
        for file in files or []
        if isinstance(file, dict) and file.get("id")
    )


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
        channel, user = str(form["channel_id"]), str(form["user_id"])
    except KeyError:
        logger.warning("skipped a slash command without channel or user")
        return None
    where = conversation_of(channel, "im" if channel.startswith("D") else None, None, None)
    author = Member(PLATFORM, user, str(form.get("user_name") or user), handle=form.get("user_name"))
    text = str(form.get("text") or "").strip()
    if text and text.split(maxsplit=1)[0].lower() != "group":
        # The command escapes users, channels and links (docs/slack-manifest.yml) for `group`;
        # everywhere else it is read as the member sees it: `@bob`, `#general`, `&`.
        text = plain_text(text)
    return CommandReceived(where, author, text, event_id=str(form.get("trigger_id") or ""))
