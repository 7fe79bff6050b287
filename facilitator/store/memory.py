"""What adapters keep across restarts: small values by key (a gateway session), and where each
conversation's stored history ends, for a catch-up after downtime."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, utcnow
from facilitator.ports import ResumePoint
from facilitator.store.values import iso

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

RESUME_POINTS = 1000  # the most recently active conversations caught up after downtime


class StoredAdapterMemory:
    if TYPE_CHECKING:  # given by StoredConversations
        _writes: GroupCommit

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

    async def recall(self, platform: str, key: str) -> str | None:
        found = await self._all(
            "SELECT value FROM adapter_memory WHERE platform = ? AND key = ?", (platform, key)
        )
        return str(found[0][0]) if found else None

    async def keep(self, platform: str, key: str, value: str) -> None:
        self._writes.upsert(
            "INSERT INTO adapter_memory (platform, key, value, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (platform, key),
            (platform, key, value, iso(utcnow())),
        )
        await self._writes.commit()

    async def resume_points(self, platform: str, active_since: datetime) -> list[ResumePoint]:
        # Each conversation's newest message by its seq (the index on conversation_id holds it).
        rows = await self._all(
            "SELECT c.chat_id, c.thread_id, c.is_direct, m.message_id, m.sent_at"
            " FROM conversations AS c JOIN messages AS m ON m.seq ="
            "  (SELECT MAX(seq) FROM messages WHERE conversation_id = c.id)"
            " WHERE c.platform = ? AND m.sent_at >= ? ORDER BY m.sent_at DESC LIMIT ?",
            (platform, iso(active_since), RESUME_POINTS),
        )
        return [
            ResumePoint(
                ConversationRef(platform, str(chat), str(thread) or None, is_direct=bool(direct)),
                str(message_id),
                datetime.fromisoformat(sent_at),
            )
            for chat, thread, direct, message_id, sent_at in rows
        ]
