"""What the core asks an adapter to do, and what the adapter reports back."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass

from facilitator.chat import ConversationRef, Member

# An answer's parts are recorded as they go out, so a restart never posts a part again: the
# adapter awaits this with each platform message id it creates (not for edits of one).
PartPosted = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SendMessage:
    conversation: ConversationRef
    text: str
    reply_to: str | None = None
    private_to: Member | None = None  # visible to this member only, where the platform allows
    # What the message is, when an adapter may do more than post it: "size_limit" (Discord can
    # offer a thread, a smaller group, instead).
    notice: str | None = None
    on_part: PartPosted | None = None  # told each new platform message id as it is posted
    # An answer to a command that the whole group should see (a settings change); any other is
    # the asker's alone where the platform showed the command to nobody else (a Slack slash
    # command), and posted as usual where everyone saw it.
    announce: bool = False


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """A reply that grows: the adapter consumes `chunks` and shows them at its platform's pace."""

    conversation: ConversationRef
    chunks: AsyncIterable[str]
    reply_to: str | None = None
    answering: Member | None = None  # whom the reply answers (Slack's streaming wants to know)
    on_part: PartPosted | None = None  # told each new platform message id as it is posted


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
