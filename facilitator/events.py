"""The events every adapter turns its platform's deliveries into, for the core to handle."""

from __future__ import annotations

from dataclasses import dataclass

from facilitator.chat import ConversationRef, Member, Message


@dataclass(frozen=True, slots=True)
class MessageReceived:
    message: Message
    event_id: str = ""
    earlier: bool = False  # fetched history (a thread's earlier messages): stored, never answered
    by_ai: bool = False  # fetched history only: the AI's own message, as the platform shows it

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
