"""Raw Telegram updates (the Bot API's JSON) into the shared events: a pure function.

It answers nonebot2's two questions for every update: which conversation (a chat, or a forum
topic inside a supergroup) and is it for the AI (a mention of the bot's @username, a reply to
one of its messages, `/parley` or `/parley@botname`, and `/group`). The `/start <token>` that
a startgroup link posts in a group is the adapter's own business (`groups`); which command names
count is `commands`. Anything it does not understand becomes no event at all, never an exception
the bot has to survive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.common.events import Json
from adapters.telegram.commands import COMMAND, OWN_COMMANDS, PRIVATE_HELP, SHARED_COMMANDS
from facilitator.chat import Attachment, ConversationRef, Member, Message
from facilitator.events import (
    CommandReceived,
    ConversationMoved,
    Event,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessageReceived,
    ReactionAdded,
)

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ATTACHMENT_KINDS = {
    "photo": "image",
    "document": "file",
    "video": "video",
    "animation": "video",
    "audio": "audio",
    "voice": "audio",
    "video_note": "video",
    "sticker": "sticker",
}


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """Who the bot is, from getMe: what a mention or a command must name."""

    user_id: str
    username: str  # without the @


def translate(update: Json, bot: TelegramIdentity) -> list[Event]:
    """The events in one update; an empty list for what is not for the core (or malformed)."""
    try:
        return _translate(update, bot)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        logger.warning("skipped a malformed update %s: %s", update.get("update_id"), exc)
        return []


def _translate(update: Json, bot: TelegramIdentity) -> list[Event]:
    event_id = str(update["update_id"])
    if "message" in update:
        return _message_events(update["message"], bot, event_id)
    if "edited_message" in update:
        edited = update["edited_message"]
        text = edited.get("text") or edited.get("caption") or ""
        return [
            MessageEdited(
                conversation_of(edited), str(edited["message_id"]), text, author_of(edited), event_id
            )
        ]
    if "message_reaction" in update:
        return _reaction_events(update["message_reaction"], event_id)
    return []  # channel posts, inline queries, polls, chat member changes...: not a group's talk


def conversation_of(message: Json) -> ConversationRef:
    chat = message["chat"]
    # A forum topic is a conversation of its own; other threads (replies) are not.
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    return ConversationRef(
        PLATFORM,
        str(chat["id"]),
        str(thread) if thread is not None else None,
        is_direct=chat.get("type") == "private",
    )


def member_of(user: Json) -> Member:
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    return Member(
        PLATFORM,
        str(user["id"]),
        name or user.get("username") or str(user["id"]),
        handle=user.get("username"),
        is_bot=bool(user.get("is_bot")),
    )


def author_of(message: Json) -> Member:
    """The sender; an anonymous admin or a linked channel posts as a chat, not a user."""
    sender_chat = message.get("sender_chat")
    if sender_chat is not None:
        return Member(
            PLATFORM,
            f"chat{sender_chat['id']}",
            sender_chat.get("title") or "Anonymous",
            handle=sender_chat.get("username"),
            is_bot=False,
            is_admin=sender_chat["id"] == message["chat"]["id"],
        )
    return member_of(message["from"])


def _message_events(message: Json, bot: TelegramIdentity, event_id: str) -> list[Event]:
    conversation = conversation_of(message)
    if "migrate_to_chat_id" in message:  # the group became a supergroup with a new id
        new = ConversationRef(PLATFORM, str(message["migrate_to_chat_id"]))
        return [ConversationMoved(conversation, new, event_id)]
    if "new_chat_members" in message:
        return [MemberJoined(conversation, member_of(user), event_id) for user in message["new_chat_members"]]
    if "left_chat_member" in message:
        return [MemberLeft(conversation, member_of(message["left_chat_member"]), event_id)]
    text, entities = _text_of(message)
    attachments = _attachments_of(message)
    if not text and not attachments:
        return []  # other service messages: pinned, topic created, migrate_from...
    author = author_of(message)
    command = _command(text, entities, bot, conversation.is_direct)
    if command is not None:
        return [CommandReceived(conversation, author, command, str(message["message_id"]), event_id)]
    reply = message.get("reply_to_message")
    if reply is not None and "forum_topic_created" in reply:
        reply = None  # in a topic every message "replies" to the topic's first message
    return [
        MessageReceived(
            Message(
                id=str(message["message_id"]),
                conversation=conversation,
                author=author,
                text=text,
                sent_at=datetime.fromtimestamp(int(message["date"]), UTC),
                reply_to=str(reply["message_id"]) if reply is not None else None,
                mentions_ai=_mentions(text, entities, bot),
                replies_to_ai=reply is not None and str((reply.get("from") or {}).get("id")) == bot.user_id,
                attachments=attachments,
            ),
            event_id,
        )
    ]


def _text_of(message: Json) -> tuple[str, list[Json]]:
    if isinstance(message.get("text"), str):
        return message["text"], list(message.get("entities") or [])
    if isinstance(message.get("caption"), str):
        return message["caption"], list(message.get("caption_entities") or [])
    return "", []


def _attachments_of(message: Json) -> tuple[Attachment, ...]:
    found = []
    for field, kind in ATTACHMENT_KINDS.items():
        item = message.get(field)
        if not item:
            continue
        if isinstance(item, list):  # photos come as sizes: the largest is the photo
            item = item[-1]
        found.append(
            Attachment(
                kind=kind,
                url=f"tg-file:{item.get('file_id')}",  # never a URL with the bot token in it
                name=item.get("file_name") or item.get("emoji"),
                mime_type=item.get("mime_type"),
                size=item.get("file_size"),
            )
        )
    return tuple(found)


def entity_text(text: str, entity: Json) -> str:
    """Telegram counts entity offsets in UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
    return encoded[start : start + length].decode("utf-16-le", errors="replace")


def _mentions(text: str, entities: list[Json], bot: TelegramIdentity) -> bool:
    for entity in entities:
        kind = entity.get("type")
        if kind == "mention" and entity_text(text, entity).lower() == f"@{bot.username.lower()}":
            return True
        if kind == "text_mention" and str((entity.get("user") or {}).get("id")) == bot.user_id:
            return True
    return False


def _command(text: str, entities: list[Json], bot: TelegramIdentity, private: bool) -> str | None:
    """What follows `/parley` (or `/parley@thisbot`), or None when the text is no command for us."""
    first = next((e for e in entities if e.get("type") == "bot_command" and e.get("offset") == 0), None)
    if first is None:
        return None
    word = entity_text(text, first)[1:]
    name, _, target = word.partition("@")
    if target and target.lower() != bot.username.lower():
        return None  # a command for another bot in the group
    rest = text[len(word) + 1 :].strip()
    if name.lower() == COMMAND:
        return rest
    if name.lower() in OWN_COMMANDS:
        return f"{name.lower()} {rest}".strip()
    # In a private chat no other bot listens, and `/usage@thisbot` names us: Parley's own
    # command names work as commands of their own there (`/instructions be brief`).
    if (private or target) and name.lower() in SHARED_COMMANDS:
        return f"{name.lower()} {rest}".strip()
    if private and name.lower() in PRIVATE_HELP:
        return "help"
    return None


def _reaction_events(reaction: Json, event_id: str) -> list[Event]:
    user = reaction.get("user")
    if user is None:  # anonymous reactions carry no member
        return []
    old = {r.get("emoji") for r in reaction.get("old_reaction") or [] if r.get("type") == "emoji"}
    added = [
        r["emoji"]
        for r in reaction.get("new_reaction") or []
        if r.get("type") == "emoji" and r["emoji"] not in old
    ]
    conversation = conversation_of(reaction)
    return [
        ReactionAdded(conversation, str(reaction["message_id"]), member_of(user), emoji, event_id)
        for emoji in added
    ]
