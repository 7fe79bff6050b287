"""The shared model: what every adapter turns platform events into, and what the core answers with.

Everything here is a frozen dataclass so that an event can be handed between tasks without
anyone changing it underneath. Platform ids are strings on every platform (Discord snowflakes,
Telegram integers and Slack timestamps alike), so no adapter ever loses precision.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    return datetime.now(UTC)


class Mode(StrEnum):
    """When the AI speaks in a group; `auto` is accepted now and decided by a later policy."""

    MENTION = "mention"
    AUTO = "auto"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """The unit of context: a chat, or a thread/topic inside it, on one platform."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    is_direct: bool = field(default=False, compare=False)
    # The server or workspace the chat belongs to (a Discord guild, a Slack team), where the
    # platform has one: an operator can switch the AI off for all of it.
    space: str | None = field(default=None, compare=False)

    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.chat_id, self.thread_id or "")


@dataclass(frozen=True, slots=True)
class Member:
    """A participant as the platform describes them right now."""

    platform: str
    user_id: str
    display_name: str
    handle: str | None = None
    avatar_url: str | None = None
    is_bot: bool = False
    is_admin: bool = False
    roles: tuple[str, ...] = ()  # the platform's role ids (Discord), for the operator's tiers


@dataclass(frozen=True, slots=True)
class Profile:
    """How the AI knows a member: the platform's view with the member's own overrides on top."""

    platform: str
    user_id: str
    name: str
    handle: str | None = None
    photo_url: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "image", "file", "audio", "video", ...
    url: str | None = None
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A message as stored and as shown to the model; `id` is the platform's own message id."""

    id: str
    conversation: ConversationRef
    author: Member
    text: str
    sent_at: datetime = field(default_factory=utcnow)
    reply_to: str | None = None
    mentions_ai: bool = False
    replies_to_ai: bool = False
    attachments: tuple[Attachment, ...] = ()


# --- events in -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageReceived:
    message: Message
    event_id: str = ""
    earlier: bool = False  # fetched history (a thread's earlier messages): stored, never answered

    @property
    def conversation(self) -> ConversationRef:
        return self.message.conversation


@dataclass(frozen=True, slots=True)
class MessageEdited:
    conversation: ConversationRef
    message_id: str
    text: str
    editor: Member | None = None
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    conversation: ConversationRef
    message_id: str
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class MemberJoined:
    conversation: ConversationRef
    member: Member
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class MemberLeft:
    conversation: ConversationRef
    member: Member
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    conversation: ConversationRef
    message_id: str
    member: Member
    emoji: str
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class ProfileChanged:
    """A member changed their name or picture on the platform (wherever they are)."""

    member: Member
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class ConversationMoved:
    """The platform gave a conversation a new id (a Telegram group that became a supergroup):
    its history, settings and members follow it."""

    old: ConversationRef
    new: ConversationRef
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class CommandReceived:
    """A command such as `/parley mode off`; `text` is what follows the command's own name."""

    conversation: ConversationRef
    author: Member
    text: str
    message_id: str | None = None
    event_id: str = ""


Event = (
    MessageReceived
    | MessageEdited
    | MessageDeleted
    | MemberJoined
    | MemberLeft
    | ReactionAdded
    | CommandReceived
    | ConversationMoved
    | ProfileChanged
)


# --- actions out -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendMessage:
    conversation: ConversationRef
    text: str
    reply_to: str | None = None
    private_to: Member | None = None  # visible to this member only, where the platform allows
    # What the message is, when an adapter may do more than post it: "size_limit" (Discord can
    # offer a thread, a smaller group, instead).
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """A reply that grows: the adapter consumes `chunks` and shows them at its platform's pace."""

    conversation: ConversationRef
    chunks: AsyncIterable[str]
    reply_to: str | None = None
    answering: Member | None = None  # whom the reply answers (Slack's streaming wants to know)


@dataclass(frozen=True, slots=True)
class EditMessage:
    conversation: ConversationRef
    message_id: str
    text: str


@dataclass(frozen=True, slots=True)
class React:
    conversation: ConversationRef
    message_id: str
    emoji: str


@dataclass(frozen=True, slots=True)
class ShowTyping:
    conversation: ConversationRef


@dataclass(frozen=True, slots=True)
class SendImage:
    """An image the AI made, posted as a file with an optional caption (plain text)."""

    conversation: ConversationRef
    data: bytes
    name: str = "image.png"
    mime_type: str = "image/png"
    caption: str = ""
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class StartGroup:
    """From a direct chat: a new group conversation with the people named and the AI, where the
    platform allows (a Slack group DM, a private Discord thread, a Telegram link to a new group).
    The direct chat and its history stay where they are; the new group starts with nothing.
    `invitees` are the words the member wrote (`<@U123>`, `@bob`): the adapter resolves them."""

    conversation: ConversationRef  # the direct chat it was asked in
    requester: Member
    invitees: tuple[str, ...]


Action = SendMessage | StreamMessage | EditMessage | React | ShowTyping | SendImage | StartGroup


@dataclass(frozen=True, slots=True)
class Delivered:
    """What an adapter reports back: the platform ids and texts of the messages it posted."""

    parts: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.parts)
