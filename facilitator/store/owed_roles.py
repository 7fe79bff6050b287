"""The store's roles for answers owed, and for the processes that share them: an answer claimed
by one owner at a time, a conversation held by one process at a time, the processes alive,
and the roles one process plays (polling Telegram). Part of the store's roles (roles.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from facilitator.chat import ConversationRef, Message


@dataclass(frozen=True, slots=True)
class Owed:
    """An answer the AI owes: to `message` (as stored), since `since` (epoch seconds), with the
    platform ids of the parts already posted (an answer cut off by a crash has some)."""

    id: int
    message: Message
    since: float
    posted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Process:
    """A running `parley run`, as it last said: who (`owner`, unique per start), where, for which
    platforms, since when (ISO 8601) and when it was last seen (epoch seconds)."""

    owner: str
    host: str
    pid: int
    platforms: tuple[str, ...] = ()
    started_at: str = ""
    seen_at: float = 0.0


class OwedAnswers(Protocol):
    """Answers decided but not yet given, durable so that a restart (or, sharing one database,
    another process) gives them. Each is claimed by one owner at a time, for a lease it renews
    while it works; a claim whose lease ran out may be taken by anyone."""

    # True where no second process can share the store (SQLite): a start takes every claim.
    single_process: bool

    async def add_owed_message(
        self, message: Message, owner: str, now: float, lease_until: float
    ) -> int | None:
        """Store a message that addresses the AI together with its answer owed, claimed by
        `owner`, in one transaction; the debt's id, or None when the conversation held the
        message already (a redelivery: nothing new is owed)."""
        ...

    async def note_posted(self, owed_id: int, part_id: str) -> None:
        """A part of the answer went out, with this platform id: it is never posted again."""
        ...

    async def settle(self, owed_ids: tuple[int, ...]) -> None:
        """The answers were given (or a friendly error said instead): nothing is owed any more."""
        ...

    async def claim_owed(
        self,
        platform: str,
        owner: str,
        now: float,
        lease_until: float,
        conversation: ConversationRef | None = None,
    ) -> list[Owed]:
        """Claim this platform's owed answers whose lease ran out before `now` (their owner
        stopped or died, or handed them over), oldest first, of one `conversation` if given;
        never `owner`'s own, nor those of a conversation another owner holds."""
        ...

    async def hand_over(self, conversation: ConversationRef, owed_ids: tuple[int, ...]) -> None:
        """Give these up for the process holding the conversation (it is told, by `watch`'s
        topic `owed:<conversation key as JSON>`), or whoever claims them first."""
        ...

    async def hold_conversation(
        self, conversation: ConversationRef, owner: str, now: float, lease_until: float
    ) -> bool:
        """Become (or stay) the one answering in the conversation, until `lease_until` (renewed
        with the claims); False while another owner's lease runs."""
        ...

    async def release_conversation(self, conversation: ConversationRef, owner: str) -> None: ...

    async def playing(self, role: str) -> bool:
        """Whether this process plays `role`, which only one process may play at a time (polling
        Telegram): taken when free, kept while this process lives; always, alone on the store."""
        ...

    async def note_alive(self, process: Process) -> None:
        """This process is running (said as it renews its claims)."""
        ...

    async def gone(self, owner: str) -> None:
        """This process stopped cleanly."""
        ...

    async def processes(self, seen_since: float) -> list[Process]:
        """The processes seen since `seen_since` (epoch seconds), the oldest first."""
        ...

    async def renew_claims(self, owner: str, lease_until: float) -> None: ...

    async def release_claims(self, owner: str) -> None:
        """Give up every claim of `owner` at once (a clean stop), for the next one to take."""
        ...
