"""A group's own state: its mode, instructions, strictness and notices (cached with its row,
and dropped from every process's cache when one changes it), where its context starts, and a
conversation moved to a new id."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, Mode
from facilitator.store.roles import GroupState
from facilitator.store.values import ConversationRow, clean_text

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit


# A conversation that joins another: each table's rows move, but for one the other holds already.
_JOINED = (("messages", "message_id"), ("conversation_members", "user_id"), ("preview_turns", "id"))


class StoredGroups:
    if TYPE_CHECKING:  # given by StoredConversations
        _db: Any  # the engine's connection (group_commit.Connection)
        _writes: GroupCommit
        _conversations: dict[tuple[str, str, str], ConversationRow]
        _presence: OrderedDict[tuple[int, str], float]
        _ai_ids: OrderedDict[tuple[int, str], None]

        async def _conversation(self, ref: ConversationRef) -> ConversationRow: ...

        async def _find_conversation(self, key: tuple[str, str, str]) -> ConversationRow | None: ...

        async def _feedback_follows(self, old: ConversationRef, new: ConversationRef) -> None: ...

        async def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None: ...

        def _changed(self, topic: str) -> None: ...

    async def group_state(self, conversation: ConversationRef) -> GroupState:
        return (await self._conversation(conversation)).settings

    async def _update_conversation(self, conversation: ConversationRef, **changes: Any) -> None:
        row = await self._conversation(conversation)
        row.settings = replace(row.settings, **changes)  # a setting's column bears its name
        for name, value in changes.items():
            stored = value.value if isinstance(value, Mode) else value
            self._writes.add(f"UPDATE conversations SET {name} = ? WHERE id = ?", (stored, row.id))
        self._changed(f"conversation:{row.id}")
        await self._writes.commit()

    async def set_mode(self, conversation: ConversationRef, mode: Mode) -> None:
        await self._update_conversation(conversation, mode=mode)

    async def set_instructions(self, conversation: ConversationRef, text: str) -> None:
        await self._update_conversation(conversation, instructions=clean_text(text, 4000))

    async def set_size_notice(self, conversation: ConversationRef, sent: bool) -> None:
        await self._update_conversation(conversation, size_notice_sent=sent)

    async def set_strict(self, conversation: ConversationRef, strict: bool) -> None:
        await self._update_conversation(conversation, strict=strict)

    async def reset_context(self, conversation: ConversationRef) -> None:
        row = await self._conversation(conversation)
        found = await self._one(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?", (row.id,)
        )
        row.context_from = int(found[0]) if found else 0
        self._writes.add("UPDATE conversations SET context_from = ? WHERE id = ?", (row.context_from, row.id))
        self._changed(f"conversation:{row.id}")
        await self._writes.commit()

    async def move_conversation(self, old: ConversationRef, new: ConversationRef) -> None:
        # Through the cache: a message of the old conversation still being stored is waited for.
        source = await self._conversation(old)
        target = await self._find_conversation(new.key())
        await self._writes.settled()
        async with self._writes.lock:
            try:
                # Message ids start again in the new chat: the old ones are kept under marked ids,
                # so a new message never passes for a redelivery of an old one.
                await self._db.execute(
                    "UPDATE messages SET message_id = 'moved:' || message_id WHERE conversation_id = ?",
                    (source.id,),
                )
                if target is None:
                    await self._db.execute(
                        "UPDATE conversations SET chat_id = ?, thread_id = ?, is_direct = ? WHERE id = ?",
                        (new.chat_id, new.thread_id or "", int(new.is_direct), source.id),
                    )
                else:  # the new id spoke first: the old history and members join it
                    for table, key in _JOINED:  # what the new id holds already stays as it is
                        await self._db.execute(
                            f"UPDATE {table} SET conversation_id = ? WHERE conversation_id = ? AND NOT EXISTS"
                            f" (SELECT 1 FROM {table} AS held WHERE held.conversation_id = ?"
                            f" AND held.{key} = {table}.{key})",
                            (target.id, source.id, target.id),
                        )
                        await self._db.execute(f"DELETE FROM {table} WHERE conversation_id = ?", (source.id,))
                    await self._db.execute(
                        "UPDATE conversations SET mode = COALESCE(mode, ?), instructions = CASE"
                        " WHEN instructions = '' THEN ? ELSE instructions END WHERE id = ?",
                        (
                            source.settings.mode.value if source.settings.mode else None,
                            source.settings.instructions,
                            target.id,
                        ),
                    )
                    await self._db.execute("DELETE FROM conversations WHERE id = ?", (source.id,))
                await self._feedback_follows(old, new)  # the group's readiness (store/feedback.py)
                for changed in {source.id} | ({target.id} if target else set()):
                    self._changed(f"conversation:{changed}")
                await self._db.commit()
            except Exception:
                await self._db.rollback()
                raise
        self._conversations.pop(old.key(), None)
        self._conversations.pop(new.key(), None)
        self._presence.clear()  # keyed by row ids and message ids that may now be gone
        self._ai_ids.clear()
        await self._writes.settled()  # word of the change goes out
