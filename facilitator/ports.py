"""The seams of the core: what it needs from a platform and from a model (the store's roles are
in facilitator/store/roles.py).

Each is a `typing.Protocol`, so every platform adapter, the model client and the test fakes fill
them without inheriting from anything here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from facilitator.actions import Action, Delivered
from facilitator.chat import ConversationRef
from facilitator.events import Event


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


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where a conversation's stored history ends, for an adapter catching up after downtime:
    it asks its platform for what was said after `last_message_id` (a platform id)."""

    conversation: ConversationRef
    last_message_id: str
    last_at: datetime


class EventSink(Protocol):
    """The core as an adapter sees it: where events go, a way to wait for the answers, and a
    little durable memory of the adapter's own (a gateway session to resume, where to catch up)."""

    async def handle(self, event: Event, adapter: Adapter) -> None:
        """Take one event; returns once what it carries is durable (acknowledge it only then).
        Raises StoreUnavailable when it could not be stored: acknowledge nothing then."""
        ...

    async def idle(self) -> None: ...

    async def recall(self, platform: str, key: str) -> str | None:
        """A value this platform's adapter kept with `keep` (across restarts), or None."""
        ...

    async def keep(self, platform: str, key: str, value: str) -> None:
        """Keep a small value for this platform's adapter; durable once this returns."""
        ...

    async def resume_points(self, platform: str, active_since: datetime) -> list[ResumePoint]:
        """This platform's conversations with a message stored since `active_since`, each with
        its newest stored message, most recently active first."""
        ...

    async def playing(self, role: str) -> bool:
        """Whether this process plays `role` (e.g. "telegram:polling"), which one process at a
        time may play among those sharing a database; asked again before each round of it."""
        ...


class StoreUnavailable(RuntimeError):
    """An event could not be made durable (the database refused the write, or is closing): the
    adapter must not acknowledge it, so that the platform delivers it again."""


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
