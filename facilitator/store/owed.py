"""Answers owed, as the store keeps them: one row per message that addressed the AI, written
with the message, claimed by one owner under a lease, deleted once the answer (or the decision
not to give one) is delivered.

The claim itself is the engine's (`_claim`): one UPDATE ... RETURNING on SQLite, with `FOR
UPDATE SKIP LOCKED` on PostgreSQL, so two owners can never both take a row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, Member, Message
from facilitator.store.roles import Owed
from facilitator.store.values import ConversationRow

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

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


class StoredOwed:
    single_process: bool  # the engine's: True where no second process can share the database
    if TYPE_CHECKING:  # given by StoredConversations
        _db: Any  # the engine's connection (group_commit.Connection)
        _writes: GroupCommit

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

        async def _conversation(self, ref: ConversationRef) -> ConversationRow: ...

        def _changed(self, topic: str) -> None: ...

        async def _claim(
            self, platform: str, owner: str, now: float, lease_until: float, limit: int, within: int | None
        ) -> list[int]:
            """The engine's claim in one statement (of one conversation's rows when `within` is
            its id), never of a conversation another owner holds: the ids now `owner`'s."""
            ...

    async def note_posted(self, owed_id: int, part_id: str) -> None:
        self._writes.add(
            "UPDATE owed_answers SET posted = posted || ? WHERE id = ?", (part_id + "\n", owed_id)
        )
        await self._writes.commit()

    async def settle(self, owed_ids: tuple[int, ...]) -> None:
        for owed_id in owed_ids:
            self._writes.add("DELETE FROM owed_answers WHERE id = ?", (owed_id,))
        await self._writes.commit()

    async def claim_owed(
        self,
        platform: str,
        owner: str,
        now: float,
        lease_until: float,
        conversation: ConversationRef | None = None,
    ) -> list[Owed]:
        within = None if conversation is None else (await self._conversation(conversation)).id
        ids = await self._claim(platform, owner, now, lease_until, CLAIMS_AT_ONCE, within)
        if not ids:
            return []
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

    async def hand_over(self, conversation: ConversationRef, owed_ids: tuple[int, ...]) -> None:
        for owed_id in owed_ids:  # anyone's to claim, the holder of the conversation first
            self._writes.add("UPDATE owed_answers SET owner = '', lease_until = 0 WHERE id = ?", (owed_id,))
        self._changed("owed:" + json.dumps(conversation.key()))
        await self._writes.commit()

    async def renew_claims(self, owner: str, lease_until: float) -> None:
        self._writes.add("UPDATE owed_answers SET lease_until = ? WHERE owner = ?", (lease_until, owner))
        self._writes.add(
            "UPDATE conversation_leases SET lease_until = ? WHERE owner = ?", (lease_until, owner)
        )
        await self._writes.commit()

    async def release_claims(self, owner: str) -> None:
        self._writes.add("UPDATE owed_answers SET lease_until = 0 WHERE owner = ?", (owner,))
        self._writes.add("DELETE FROM conversation_leases WHERE owner = ?", (owner,))
        await self._writes.commit()
