"""The store's roles, as the core's parts see it: `Services` carries each role on its own, so a
part names the one it uses (`services.ledger`, `services.members`) and a store may fill each alike.

`Store` is their union, for the composition root; the SQLite store and the PostgreSQL store
fill it, without inheriting from anything here. The roles of answers owed, and of the processes
that share them, are in owed_roles.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from facilitator.chat import ConversationRef, Member, Message, Mode, Profile
from facilitator.ports import ResumePoint
from facilitator.store.owed_roles import Owed, OwedAnswers, Process

__all__ = [  # the answers owed's roles are in owed_roles.py; named here with the others
    "AdapterMemory",
    "FeedbackLog",
    "Forgotten",
    "GroupState",
    "GroupStore",
    "HistoryItem",
    "Ledger",
    "MemberStore",
    "MessageStore",
    "Owed",
    "OwedAnswers",
    "PreviewLog",
    "PreviewTurn",
    "Process",
    "Store",
    "Usage",
]


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
class GroupState:
    """What a group's admins set, and what the AI already told it."""

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
    feedback: int = 0  # their reactions and replies to the AI's unprompted turns, as counted
    quiet: bool = False  # their `quiet me`


@dataclass(frozen=True, slots=True)
class Usage:
    day: date
    replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    images: int = 0


class MessageStore(Protocol):
    """The conversation as it was said: messages in, the recent window out."""

    async def add_message(self, message: Message) -> None:
        """Persist a message (a repeated platform id is ignored); returns once it is durable."""
        ...

    async def add_message_once(self, message: Message) -> bool:
        """As `add_message`, and tell whether it was new: False for a redelivery of a message
        this conversation already holds (across restarts too)."""
        ...

    async def add_ai_message(
        self,
        conversation: ConversationRef,
        message_id: str,
        text: str,
        reply_to: str | None,
        *,
        as_seen: bool = False,
    ) -> None:
        """The AI's own message, as it posted it; `as_seen`: as the platform's history shows it
        (perhaps mid-stream), never over what the AI stored itself."""
        ...

    async def is_ai_message(self, conversation: ConversationRef, message_id: str) -> bool: ...

    async def edit_message(self, conversation: ConversationRef, message_id: str, text: str) -> None: ...

    async def delete_message(self, conversation: ConversationRef, message_id: str) -> None: ...

    async def history(self, conversation: ConversationRef, limit: int) -> list[HistoryItem]:
        """The newest `limit` messages since the last reset, oldest first."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete the messages sent before `before` (the retention period); returns how many."""
        ...


class MemberStore(Protocol):
    """Who is in a conversation, and what each member set for themselves."""

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

    async def quiet(self, platform: str, user_id: str) -> bool:
        """Whether the member said `quiet me`: never answered unprompted, in any group there."""
        ...

    async def set_quiet(self, platform: str, user_id: str, quiet: bool) -> None: ...


class GroupStore(Protocol):
    """A group's own state: its mode, instructions, strictness, notices, and its context's start."""

    async def group_state(self, conversation: ConversationRef) -> GroupState: ...

    async def set_mode(self, conversation: ConversationRef, mode: Mode) -> None: ...

    async def set_instructions(self, conversation: ConversationRef, text: str) -> None: ...

    async def set_size_notice(self, conversation: ConversationRef, sent: bool) -> None: ...

    async def set_strict(self, conversation: ConversationRef, strict: bool) -> None: ...

    async def reset_context(self, conversation: ConversationRef) -> None: ...

    async def move_conversation(self, old: ConversationRef, new: ConversationRef) -> None:
        """Give a conversation a new id, keeping everything stored about it; if the new id
        already has a conversation, the old one's history and members join it."""
        ...


class Ledger(Protocol):
    """What is counted rather than said: deliveries, usage, the kill switch, auto mode's turns."""

    async def first_delivery(self, platform: str, key: str) -> bool:
        """Note a delivery (a command) by its key; False when it was handled before."""
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

    async def count_reply(self, platform: str, limits: tuple[tuple[str, int], ...]) -> str | None:
        """Count one answer today against each (account, limit) if every one is under its limit,
        atomically (two processes answering the same member at once never pass it together):
        None once counted; else the account at its limit, and nothing is counted."""
        ...

    async def refund_replies(self, platform: str, accounts: tuple[str, ...]) -> None:
        """An answer reserved and not given after all: it no longer counts."""
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


class AdapterMemory(Protocol):
    """What adapters keep across restarts through the core: small values by key (a gateway
    session), and where each conversation's stored history ends (to catch up after downtime)."""

    async def recall(self, platform: str, key: str) -> str | None: ...

    async def keep(self, platform: str, key: str, value: str) -> None: ...

    async def resume_points(self, platform: str, active_since: datetime) -> list[ResumePoint]: ...


@dataclass(frozen=True, slots=True)
class PreviewTurn:
    """A decision the AI made in `preview` mode, and what it would have done unprompted: at
    `at` (epoch seconds), about message `message_id` (by `author_id`, said at `said_at`, its
    text's first characters `excerpt`), `action` ("reply", "react", "silent", or "held": a
    reply moderation held back) with `detail` (the reply it wrote, "" when it wrote none yet,
    or the emoji), and the decision call's tokens."""

    at: float
    message_id: str
    author_id: str
    said_at: float
    excerpt: str
    action: str
    detail: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    author: str = ""  # the author's name as known now (read back, never stored)


class PreviewLog(Protocol):
    """What `preview` mode would have done, per conversation: the latest turns are kept, and
    `forget` and the retention period delete them as they delete the messages they quote."""

    async def add_preview(self, conversation: ConversationRef, turn: PreviewTurn) -> None:
        """Record a turn; only the latest ones of the conversation are kept."""
        ...

    async def previews(self, conversation: ConversationRef) -> list[PreviewTurn]:
        """The turns kept for the conversation, oldest first, with their authors' names."""
        ...


class FeedbackLog(Protocol):
    """The room's feedback on auto mode, per group (a chat, whatever thread it came from): the
    AI's messages posted unprompted, what members said of them (one signal per member and
    turn), and the readiness learnt from it."""

    async def note_unprompted(self, conversation: ConversationRef, message_ids: tuple[str, ...]) -> None:
        """The parts of one unprompted turn, as posted (the first part's id names the turn)."""
        ...

    async def unprompted_turn(self, conversation: ConversationRef, message_id: str) -> str | None:
        """The turn a message of the AI's belongs to, if it posted it unprompted; else None."""
        ...

    async def note_feedback(
        self, conversation: ConversationRef, turn: str, member_id: str, signal: str, at: float
    ) -> bool:
        """Log a signal (`facilitator.auto.feedback.Signal`) at `at` (epoch seconds); False when
        this member already counted for this turn (nothing is logged)."""
        ...

    async def readiness(self, conversation: ConversationRef) -> float:
        """The group's readiness (1.0 until feedback moved it)."""
        ...

    async def set_readiness(self, conversation: ConversationRef, readiness: float) -> None: ...

    async def feedback_counts(self, conversation: ConversationRef, since: float) -> dict[str, int]:
        """How many of each signal the group gave since `since`: counts, never who."""
        ...

    async def reset_feedback(self, conversation: ConversationRef) -> None:
        """`auto reset`: readiness back to 1.0, and the group's log cleared."""
        ...


class Store(
    MessageStore,
    MemberStore,
    GroupStore,
    Ledger,
    OwedAnswers,
    AdapterMemory,
    PreviewLog,
    FeedbackLog,
    Protocol,
):
    """Every role at once, with the schema's state and the connection's end: what `bot/` opens
    and hands to the core."""

    applied_migrations: list[int]  # the schema steps this opening applied

    def watch(self, watcher: Callable[[str], None]) -> None:
        """Be told of each change any process announces: `conversation:<id>` (a group's row),
        `readiness:<platform>:<chat>`, `switch` (the kill switch), `owed:<conversation key as
        JSON>` (an answer handed over), or "*" (anything, after the database was away)."""
        ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...
