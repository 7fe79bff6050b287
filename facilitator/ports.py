"""The seams of the core: what it needs from a platform, a store and a model.

Each is a `typing.Protocol`, so the SQLite store, a future PostgreSQL store, every platform
adapter and the test fakes fill them without inheriting from anything here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from facilitator.model import (
    Action,
    ConversationRef,
    Delivered,
    Event,
    Member,
    Message,
    Mode,
    Profile,
)


class Adapter(Protocol):
    """A platform as the core sees it: somewhere to carry out actions and to count members."""

    platform: str

    async def perform(self, action: Action) -> Delivered | None:
        """Carry out one action; for sends and streams, report what was posted."""
        ...

    async def count_members(self, conversation: ConversationRef) -> int | None:
        """Humans in the conversation, or None when the platform cannot tell."""
        ...

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """The bytes of an image this platform referred to: an attachment's `url` or a member's
        `avatar_url` as the adapter produced them, downloaded with the platform's own
        authentication. Raises MediaError for a reference that is not this platform's (a link
        a member typed is never fetched: the bot's token must not travel there), for anything
        larger than `max_bytes`, or when the download fails."""
        ...

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        """Why the AI cannot read every message of this conversation, in words for its members
        with the fix (Telegram's privacy mode), or None when it sees them all."""
        ...


class EventSink(Protocol):
    """The core as an adapter sees it: where events go, and a way to wait for the answers."""

    async def handle(self, event: Event, adapter: Adapter) -> None: ...

    async def idle(self) -> None: ...


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One stored message as the context builder needs it (names already resolved)."""

    seq: int
    message_id: str
    speaker: str
    handle: str | None
    text: str
    from_ai: bool
    reply_to: str | None = None  # the platform id of the message it answers
    attachments: tuple[str, ...] = ()  # short descriptions: "image cat.jpg"
    images: tuple[str, ...] = ()  # the platform's references of its image attachments
    author_id: str = ""
    sent_at: str = ""  # ISO 8601, as stored (parsed only by those who need the time)


@dataclass(frozen=True, slots=True)
class GroupSettings:
    mode: Mode | None = None  # None: the operator's default
    instructions: str = ""
    size_notice_sent: bool = False
    strict: bool = False  # strict content mode, set by the group's admins


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What `forget` removed, to tell the member."""

    messages: int = 0  # theirs, and in their direct chats the AI's answers too
    groups: int = 0  # conversations that no longer list them
    usage_days: int = 0
    profile: bool = False
    direct_chats: int = 0  # cleared whole: the AI's answers and their own instructions too


@dataclass(frozen=True, slots=True)
class Usage:
    day: date
    replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    images: int = 0


class Store(Protocol):
    async def add_message(self, message: Message) -> None:
        """Persist a message (a repeated platform id is ignored); returns once it is durable."""
        ...

    async def add_message_once(self, message: Message) -> bool:
        """As `add_message`, and tell whether it was new: False for a redelivery of a message
        this conversation already holds (across restarts too)."""
        ...

    async def add_ai_message(
        self, conversation: ConversationRef, message_id: str, text: str, reply_to: str | None
    ) -> None: ...

    async def first_delivery(self, platform: str, key: str) -> bool:
        """Note a delivery (a command) by its key; False when it was handled before."""
        ...

    async def is_ai_message(self, conversation: ConversationRef, message_id: str) -> bool: ...

    async def edit_message(self, conversation: ConversationRef, message_id: str, text: str) -> None: ...

    async def delete_message(self, conversation: ConversationRef, message_id: str) -> None: ...

    async def history(self, conversation: ConversationRef, limit: int) -> list[HistoryItem]:
        """The newest `limit` messages since the last reset, oldest first."""
        ...

    async def remember_member(self, conversation: ConversationRef, member: Member) -> None: ...

    async def forget_membership(self, conversation: ConversationRef, member: Member) -> None: ...

    async def update_member(self, member: Member) -> None:
        """The platform's current name, handle and picture for a member (their own overrides stay)."""
        ...

    async def members(self, conversation: ConversationRef, limit: int) -> list[Profile]:
        """Humans known in the conversation, most recently active first."""
        ...

    async def profile(self, platform: str, user_id: str) -> Profile | None: ...

    async def set_profile_field(self, platform: str, user_id: str, field: str, value: str | None) -> None: ...

    async def forget_member(self, platform: str, user_id: str) -> Forgotten:
        """Delete what is stored about a member: their messages, their direct chats with the AI
        (its answers and their own instructions there too), their profile and their usage."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete the messages sent before `before` (the retention period); returns how many."""
        ...

    async def group_settings(self, conversation: ConversationRef) -> GroupSettings: ...

    async def set_mode(self, conversation: ConversationRef, mode: Mode) -> None: ...

    async def set_instructions(self, conversation: ConversationRef, text: str) -> None: ...

    async def set_size_notice(self, conversation: ConversationRef, sent: bool) -> None: ...

    async def set_strict(self, conversation: ConversationRef, strict: bool) -> None: ...

    async def reset_context(self, conversation: ConversationRef) -> None: ...

    async def move_conversation(self, old: ConversationRef, new: ConversationRef) -> None:
        """Give a conversation a new id, keeping everything stored about it; if the new id
        already has a conversation, the old one's history and members join it."""
        ...

    async def record_usage(
        self,
        platform: str,
        user_id: str | tuple[str, ...],
        prompt_tokens: int,
        completion_tokens: int,
        images: int = 0,
        replies: int = 1,
    ) -> None:
        """Count a model call against accounts: a member (`user_id`), a group's totals
        (`group:<chat>`), a group's unprompted turns (`auto:<chat>`); several at once."""
        ...

    async def usage(self, platform: str, user_id: str, day: date) -> Usage: ...

    async def tokens_spent(self, day: date) -> int:
        """Every token of that day (UTC), for the operator's daily spend cap."""
        ...

    async def usage_rows(self, since: date) -> list[tuple[str, str, str, Usage]]:
        """Every account's usage since `since`, as (day, platform, account, usage)."""
        ...

    async def note_room_event(self, conversation: ConversationRef, kind: str, at: float) -> None:
        """Note what the AI did unprompted (`decision`, `intervention`) at `at` (epoch seconds)."""
        ...

    async def room_events(self, conversation: ConversationRef, since: float) -> list[tuple[str, float]]:
        """The events noted since `since`, oldest first, as (kind, at)."""
        ...

    async def switched_off(self) -> set[str]:
        """Where the operator switched the AI off: `platform:id` (a chat, server or workspace)
        and `platform:*`."""
        ...

    async def switch(self, target: str, off: bool) -> bool:
        """Switch the AI off (or on again) for `platform:id`; False when it already was."""
        ...

    async def close(self) -> None: ...


class MediaError(Exception):
    """An image could not be had: not this platform's, too large, or the download failed."""


class ModelError(Exception):
    """The model could not answer; `kind` says why in words the core can act on."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # "rate_limited", "timeout", "unavailable", "rejected"
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ChatImage:
    """An image the model is shown: a data: URL of a downscaled JPEG, and whose or what it is."""

    url: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str  # "system", "user", "assistant"
    content: str
    images: tuple[ChatImage, ...] = ()  # shown after the text, each after its label


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call instead of (or besides) writing text."""

    name: str
    description: str
    parameters: Mapping[str, object]  # JSON Schema of the arguments


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: str  # JSON text as the model wrote it: validated by whoever acts on it


@dataclass
class StreamStats:
    """Filled in by the model client as a reply streams: usage, and the tools the model called."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: list[ToolCall] = field(default_factory=list)


class ModelClient(Protocol):
    model: str

    def stream(
        self,
        turns: Sequence[ChatTurn],
        stats: StreamStats | None = None,
        tools: Sequence[Tool] = (),
        force_tool: str | None = None,
        model: str | None = None,
    ) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives; the calls of `tools` the model makes are in
        `stats.tool_calls` once the stream ends (`force_tool` makes one of them mandatory).
        `model` overrides the configured one (a member's tier). Raises ModelError."""
        ...

    async def generate_image(self, prompt: str) -> bytes:
        """A new image (PNG or JPEG bytes) from a description; ModelError when it cannot."""
        ...

    async def flagged(self, text: str) -> bool:
        """Whether the provider's moderation endpoint flags `text`; ModelError when it fails."""
        ...
