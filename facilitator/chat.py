"""Conversations, members and messages: the frozen dataclasses every platform's events are made of.

Everything here is a frozen dataclass so that a message can be handed between tasks without
anyone changing it underneath. Platform ids are strings on every platform (Discord snowflakes,
Telegram integers and Slack timestamps alike), so no adapter ever loses precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    return datetime.now(UTC)


class Mode(StrEnum):
    """When the AI speaks in a group: when addressed, also when it can help (reading the room), or
    never; `preview` reads the room as `auto` does but posts nothing unprompted, only notes what
    it would have done (for admins to try `auto` first)."""

    MENTION = "mention"
    AUTO = "auto"
    PREVIEW = "preview"
    OFF = "off"

    @property
    def reads_the_room(self) -> bool:
        """Whether every ordinary message is heard for a moment to join in (auto and preview)."""
        return self in (Mode.AUTO, Mode.PREVIEW)


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
