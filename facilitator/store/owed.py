"""Answers owed, as the SQLite store keeps them: one row per message that addressed the AI,
written with the message, claimed by one owner under a lease, deleted once the answer (or the
decision not to give one) is delivered. Part of `SqliteStore`, which brings the connection.

Every claim is a single UPDATE ... RETURNING, so two owners can never both take a row; a
PostgreSQL store does the same with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, Member, Message
from facilitator.store.roles import Owed

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

_CLAIM = (
    "UPDATE owed_answers SET owner = ?, lease_until = ? WHERE id IN ("
    " SELECT o.id FROM owed_answers AS o JOIN conversations AS c ON c.id = o.conversation_id"
    " WHERE c.platform = ? AND o.lease_until < ? AND o.owner != ? ORDER BY o.since, o.id LIMIT ?)"
    " RETURNING id"
)
_OWED = (
    "SELECT o.id, o.since, o.posted, o.mentions_ai, o.replies_to_ai, o.message_id, c.chat_id,"
    " c.thread_id, c.is_direct,"
    " m.author_id, COALESCE(p.display_name, m.author_id), p.handle, m.text, m.sent_at, m.reply_to"
    " FROM owed_answers AS o JOIN conversations AS c ON c.id = o.conversation_id"
    " LEFT JOIN messages AS m ON m.conversation_id = o.conversation_id AND m.message_id = o.message_id"
    " LEFT JOIN members AS p ON p.platform = c.platform AND p.user_id = m.author_id"
    " WHERE o.id IN ({ids}) ORDER BY o.since, o.id"
)
CLAIMS_AT_ONCE = 500
# Queued right after the message's own insert, in the same transaction: `changes()` is that
# insert's, so a message stored before (a redelivery) owes nothing new; and the message must be
# there (a batch retried row by row may have refused it, leaving `changes()` of another row).
OWE_IF_NEW = (
    "INSERT INTO owed_answers (conversation_id, message_id, since, owner, lease_until, mentions_ai,"
    " replies_to_ai) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1"
    " AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND message_id = ?2)"
)


class SqliteOwed:
    single_process = True  # one process per SQLite file: whoever claimed before us is gone
    if TYPE_CHECKING:  # given by SqliteStore
        _db: Any  # an aiosqlite connection
        _writes: GroupCommit

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

    async def note_posted(self, owed_id: int, part_id: str) -> None:
        self._writes.add(
            "UPDATE owed_answers SET posted = posted || ? || char(10) WHERE id = ?", (part_id, owed_id)
        )
        await self._writes.commit()

    async def settle(self, owed_ids: tuple[int, ...]) -> None:
        for owed_id in owed_ids:
            self._writes.add("DELETE FROM owed_answers WHERE id = ?", (owed_id,))
        await self._writes.commit()

    async def claim_owed(self, platform: str, owner: str, now: float, lease_until: float) -> list[Owed]:
        await self._writes.settled()
        async with self._writes.lock:
            claimed = list(
                await self._db.execute_fetchall(
                    _CLAIM, (owner, lease_until, platform, now, owner, CLAIMS_AT_ONCE)
                )
            )
            await self._db.commit()
        if not claimed:
            return []
        ids = [int(row[0]) for row in claimed]
        rows = await self._all(_OWED.format(ids=",".join("?" * len(ids))), tuple(ids))
        owed = []
        for (
            owed_id,
            since,
            posted,
            mentioned,
            replied,
            message_id,
            chat_id,
            thread_id,
            is_direct,
            author_id,
            name,
            handle,
            text,
            sent_at,
            reply_to,
        ) in rows:
            where = ConversationRef(platform, chat_id, thread_id or None, is_direct=bool(is_direct))
            author = Member(platform, str(author_id or ""), str(name or author_id or ""), handle)
            sent = datetime.fromisoformat(sent_at) if sent_at else datetime.fromtimestamp(since, UTC)
            message = Message(
                str(message_id),
                where,
                author,
                str(text or ""),
                sent,
                reply_to,
                mentions_ai=bool(mentioned),
                replies_to_ai=bool(replied),
            )
            parts = tuple(part for part in str(posted).split("\n") if part)
            owed.append(Owed(int(owed_id), message, float(since), parts))
        return owed

    async def renew_claims(self, owner: str, lease_until: float) -> None:
        self._writes.add("UPDATE owed_answers SET lease_until = ? WHERE owner = ?", (lease_until, owner))
        await self._writes.commit()

    async def release_claims(self, owner: str) -> None:
        self._writes.add("UPDATE owed_answers SET lease_until = 0 WHERE owner = ?", (owner,))
        await self._writes.commit()
