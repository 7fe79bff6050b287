"""Raw Telegram updates (the Bot API's JSON) into the shared events: a pure function.

It answers nonebot2's two questions for every update: which conversation (a chat, or a forum
topic inside a supergroup) and is it for the AI (a mention of the bot's @username, a reply to
one of its messages, `/parley` or `/parley@botname`, and `/group`). The `/start <token>` that
a startgroup link posts in a group is the adapter's own business (`groups`); which command names
count is `commands`. Anything it does not understand becomes no event at all, never an exception
the bot has to survive; an update not of the documented shape (ids that are no ints, a date no
datetime holds...) is one log line. The bot's own messages, edits and reactions are no events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.common.events import (
    Json,
    Malformed,
    count_of,
    flag_of,
    id_of,
    list_of,
    mapping_of,
    mappings_of,
    moment_of,
    name_of,
    optional_mapping,
    shown,
    text_of,
)
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
# Telegram's ids are integers of at most 52 significant bits; update ids are positive.
TELEGRAM_ID = r"-?[0-9]{1,16}"
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
    update_id = update.get("update_id") if isinstance(update, Mapping) else None
    try:
        return _translate(mapping_of(update, "the update"), bot)
    except Malformed as exc:
        logger.warning("skipped Telegram update %s: %s", shown(update_id), exc)
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:  # a check missed
        logger.warning("skipped Telegram update %s: unchecked %s", shown(update_id), type(exc).__name__)
    return []


def telegram_id(value: object, what: str) -> str:
    """An id as Telegram writes them: a JSON integer (a bool is none), as text."""
    if type(value) is not int:
        raise Malformed(f"{what} is {'a bool' if isinstance(value, bool) else 'no integer'}")
    return id_of(value, what, TELEGRAM_ID)


def _translate(update: Json, bot: TelegramIdentity) -> list[Event]:
    event_id = telegram_id(update.get("update_id"), "update_id")
    if "message" in update:
        return _message_events(mapping_of(update["message"], "message"), bot, event_id)
    if "edited_message" in update:
        edited = mapping_of(update["edited_message"], "edited_message")
        author = author_of(edited, bot)
        if author.user_id == bot.user_id:
            return []  # its own edit (a streamed answer growing): the core knows it already
        text, _ = _text_of(edited)
        message_id = telegram_id(edited.get("message_id"), "edited_message.message_id")
        return [MessageEdited(conversation_of(edited), message_id, text, author, event_id)]
    if "message_reaction" in update:
        return _reaction_events(mapping_of(update["message_reaction"], "message_reaction"), bot, event_id)
    return []  # channel posts, inline queries, polls, chat member changes...: not a group's talk


def conversation_of(message: Json) -> ConversationRef:
    chat = mapping_of(message.get("chat"), "chat")
    # A forum topic is a conversation of its own; other threads (replies) are not.
    topic = flag_of(message.get("is_topic_message"))
    thread = telegram_id(message.get("message_thread_id"), "message_thread_id") if topic else None
    return ConversationRef(
        PLATFORM, telegram_id(chat.get("id"), "chat.id"), thread, is_direct=chat.get("type") == "private"
    )


def member_of(user: Json, bot: TelegramIdentity | None = None) -> Member:
    """A user; the bot itself counts as a bot whatever the payload says."""
    user = mapping_of(user, "user")
    user_id = telegram_id(user.get("id"), "user.id")
    names = (name_of(user.get("first_name")), name_of(user.get("last_name")))
    handle = name_of(user.get("username"))
    return Member(
        PLATFORM,
        user_id,
        " ".join(part for part in names if part) or handle or user_id,
        handle=handle,
        is_bot=flag_of(user.get("is_bot")) or (bot is not None and user_id == bot.user_id),
    )


def author_of(message: Json, bot: TelegramIdentity | None = None) -> Member:
    """The sender; an anonymous admin or a linked channel posts as a chat, not a user."""
    sender_chat = message.get("sender_chat")
    if sender_chat is not None:
        sender_chat = mapping_of(sender_chat, "sender_chat")
        chat_id = telegram_id(sender_chat.get("id"), "sender_chat.id")
        return Member(
            PLATFORM,
            f"chat{chat_id}",
            name_of(sender_chat.get("title")) or "Anonymous",
            handle=name_of(sender_chat.get("username")),
            is_bot=False,
            is_admin=chat_id == conversation_of(message).chat_id,
        )
    return member_of(mapping_of(message.get("from"), "from"), bot)


def _message_events(message: Json, bot: TelegramIdentity, event_id: str) -> list[Event]:
    conversation = conversation_of(message)
    if "migrate_to_chat_id" in message:  # the group became a supergroup with a new id
        new = ConversationRef(PLATFORM, telegram_id(message["migrate_to_chat_id"], "migrate_to_chat_id"))
        return [ConversationMoved(conversation, new, event_id)]
    if "new_chat_members" in message:
        joined = list_of(message["new_chat_members"], "new_chat_members")
        return [MemberJoined(conversation, member_of(user, bot), event_id) for user in joined]
    if "left_chat_member" in message:
        return [MemberLeft(conversation, member_of(message["left_chat_member"], bot), event_id)]
    text, entities = _text_of(message)
    attachments = _attachments_of(message)
    if not text and not attachments:
        return []  # other service messages: pinned, topic created, migrate_from...
    author = author_of(message, bot)
    if author.user_id == bot.user_id:
        return []  # its own message coming back: the core stored it when it sent it
    message_id = telegram_id(message.get("message_id"), "message_id")
    command = _command(text, entities, bot, conversation.is_direct)
    if command is not None:
        return [CommandReceived(conversation, author, command, message_id, event_id)]
    reply = _replied(message)
    return [
        MessageReceived(
            Message(
                id=message_id,
                conversation=conversation,
                author=author,
                text=text,
                sent_at=moment_of(message.get("date"), "date"),
                reply_to=reply[0] if reply else None,
                mentions_ai=_mentions(text, entities, bot),
                replies_to_ai=reply is not None and reply[1] == bot.user_id,
                attachments=attachments,
            ),
            event_id,
        )
    ]


def _replied(message: Json) -> tuple[str, str | None] | None:
    """The message replied to and its sender's id; None when there is none (or it is unreadable)."""
    reply = optional_mapping(message.get("reply_to_message"))
    if not reply or "forum_topic_created" in reply:
        return None  # in a topic every message "replies" to the topic's first message
    try:
        sender = reply.get("from")
        sender_id = telegram_id(sender.get("id"), "id") if isinstance(sender, Mapping) else None
        return telegram_id(reply.get("message_id"), "reply_to_message.message_id"), sender_id
    except Malformed:
        return None


def _text_of(message: Json) -> tuple[str, list[Json]]:
    """The text (or caption) and its entities; a text or entity of the wrong shape is malformed."""
    for field, entities in (("text", "entities"), ("caption", "caption_entities")):
        if message.get(field) is not None:
            text = text_of(message[field], field)
            found = [mapping_of(entity, entities) for entity in list_of(message.get(entities), entities)]
            for entity in found:
                _span(entity)
            return text, found
    return "", []


def _span(entity: Json) -> tuple[int, int]:
    """An entity's offset and length, counted in UTF-16 code units."""
    offset, length = count_of(entity.get("offset")), count_of(entity.get("length"))
    if offset is None or length is None or max(offset, length) > 2**31:
        raise Malformed("an entity's offset or length is no count")
    return offset, length


def _attachments_of(message: Json) -> tuple[Attachment, ...]:
    found = []
    for field, kind in ATTACHMENT_KINDS.items():
        item = message.get(field)
        if isinstance(item, list) and item:  # photos come as sizes: the largest is the photo
            item = item[-1]
        if not isinstance(item, Mapping) or name_of(item.get("file_id")) is None:
            continue  # none, or one Parley could never fetch
        found.append(
            Attachment(
                kind=kind,
                url=f"tg-file:{item['file_id']}",  # never a URL with the bot token in it
                name=name_of(item.get("file_name")) or name_of(item.get("emoji")),
                mime_type=name_of(item.get("mime_type")),
                size=count_of(item.get("file_size")),
            )
        )
    return tuple(found)


def entity_text(text: str, entity: Json) -> str:
    """Telegram counts entity offsets in UTF-16 code units."""
    encoded = text.encode("utf-16-le", errors="surrogatepass")
    start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
    return encoded[start : start + length].decode("utf-16-le", errors="replace")


def _mentions(text: str, entities: list[Json], bot: TelegramIdentity) -> bool:
    for entity in entities:
        kind = entity.get("type")
        if kind == "mention" and entity_text(text, entity).lower() == f"@{bot.username.lower()}":
            return True
        user = optional_mapping(entity.get("user"))
        if kind == "text_mention" and type(user.get("id")) is int and str(user["id"]) == bot.user_id:
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


def _reaction_events(reaction: Json, bot: TelegramIdentity, event_id: str) -> list[Event]:
    if reaction.get("user") is None:  # anonymous reactions carry no member
        return []
    member = member_of(reaction["user"], bot)
    if member.user_id == bot.user_id:
        return []  # its own reaction

    def emoji(items: object, what: str) -> list[str]:
        found = [r.get("emoji") for r in mappings_of(list_of(items, what)) if r.get("type") == "emoji"]
        return [e for e in found if isinstance(e, str) and e.strip()]

    old = set(emoji(reaction.get("old_reaction"), "old_reaction"))
    added = [e for e in emoji(reaction.get("new_reaction"), "new_reaction") if e not in old]
    conversation = conversation_of(reaction)
    message_id = telegram_id(reaction.get("message_id"), "message_reaction.message_id")
    return [ReactionAdded(conversation, message_id, member, e, event_id) for e in added]
