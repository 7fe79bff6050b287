"""Several processes on one database: which of them answers in a conversation (a lease on the
conversation, so that its answers stay in order), and which are alive. On SQLite, where one
process is alone, the same rows are kept and always granted.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, utcnow
from facilitator.store.roles import Process
from facilitator.store.values import ConversationRow, iso

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

# Taken when free, expired, or already ours; another owner's live lease stays.
_HOLD = (
    "INSERT INTO conversation_leases (conversation_id, owner, lease_until) VALUES (?, ?, ?)"
    " ON CONFLICT (conversation_id) DO UPDATE SET owner = excluded.owner,"
    " lease_until = excluded.lease_until"
    " WHERE conversation_leases.owner = excluded.owner OR conversation_leases.lease_until < ?"
)
_ALIVE = (
    "INSERT INTO processes (owner, host, pid, platforms, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (owner) DO UPDATE SET platforms = excluded.platforms, seen_at = excluded.seen_at"
)
FORGOTTEN_AFTER = 86400.0  # a process not seen for a day is no longer listed at all


def role_key(role: str) -> int:
    """A role's name as a 64-bit key (PostgreSQL's advisory locks), the same in every process."""
    return int.from_bytes(hashlib.sha256(f"parley:{role}".encode()).digest()[:8], "big", signed=True)


class StoredLanes:
    if TYPE_CHECKING:  # given by StoredConversations
        _writes: GroupCommit

        async def _conversation(self, ref: ConversationRef) -> ConversationRow: ...

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

    async def playing(self, role: str) -> bool:
        """Whether this process alone plays `role` (polls Telegram): on SQLite, always."""
        return True

    async def hold_conversation(
        self, conversation: ConversationRef, owner: str, now: float, lease_until: float
    ) -> bool:
        row = await self._conversation(conversation)
        outcome = self._writes.add_checked(_HOLD, (row.id, owner, lease_until, now))
        await self._writes.commit()
        return outcome.changed

    async def release_conversation(self, conversation: ConversationRef, owner: str) -> None:
        row = await self._conversation(conversation)
        self._writes.add(
            "DELETE FROM conversation_leases WHERE conversation_id = ? AND owner = ?", (row.id, owner)
        )
        await self._writes.commit()

    async def note_alive(self, process: Process) -> None:
        self._writes.upsert(
            _ALIVE,
            (process.owner,),
            (
                process.owner,
                process.host,
                process.pid,
                ",".join(process.platforms),
                process.started_at or iso(utcnow()),
                process.seen_at,
            ),
        )
        self._writes.add("DELETE FROM processes WHERE seen_at < ?", (process.seen_at - FORGOTTEN_AFTER,))
        await self._writes.commit()

    async def gone(self, owner: str) -> None:
        self._writes.add("DELETE FROM processes WHERE owner = ?", (owner,))
        await self._writes.commit()

    async def processes(self, seen_since: float) -> list[Process]:
        rows = await self._all(
            "SELECT owner, host, pid, platforms, started_at, seen_at FROM processes WHERE seen_at >= ?"
            " ORDER BY started_at",
            (seen_since,),
        )
        return [
            Process(
                str(owner),
                str(host),
                int(pid),
                tuple(p for p in str(platforms).split(",") if p),
                str(started),
                float(seen),
            )
            for owner, host, pid, platforms, started, seen in rows
        ]


def _names(platforms: object) -> tuple[str, ...]:
    return tuple(name for name in str(platforms).split(",") if name)
