"""The room's feedback on auto mode: which of the AI's messages it posted unprompted (each part
with its turn, the first part's id), what members said of them (one row per member and turn:
when, which signal, who), and each group's readiness learnt from it.

Everything is kept per group (platform and chat), not per thread: a 👎 in a Slack thread is the
channel's, and a reaction's event does not always say which thread its message is in. Message
ids are unique within a chat on every platform. A member's rows go with `forget`
(`FORGET_MEMBER`), and with the retention period (`PRUNE_BEFORE`); the readiness is the
group's and stays (`auto reset` clears both).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, utcnow
from facilitator.store.values import iso

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

READINESS = 1.0  # a group that has said nothing yet: the operator's caps as set
CACHED = 10_000  # groups whose readiness is kept in memory

_NOTE_UNPROMPTED = (
    "INSERT INTO unprompted_messages (platform, chat_id, message_id, turn, at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_NOTE_FEEDBACK = (
    "INSERT INTO room_feedback (platform, chat_id, turn, member_id, signal, at) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_SET_READINESS = (
    "INSERT INTO room_readiness (platform, chat_id, readiness, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (platform, chat_id) DO UPDATE SET readiness = excluded.readiness,"
    " updated_at = excluded.updated_at"
)
# Run by `forget` (members.py) with (platform, user_id), in its transaction; returns the rows.
FORGET_MEMBER = "DELETE FROM room_feedback WHERE platform = ? AND member_id = ?"
# Run by `prune` (conversations.py) with the cut-off in epoch seconds, one statement each.
PRUNE_BEFORE = (
    "DELETE FROM room_feedback WHERE at < ?",
    "DELETE FROM unprompted_messages WHERE at < ?",
)
# Run when a chat gets a new id (groups.py, a Telegram group become a supergroup), each with
# the parameters named (`new`, `platform`, `old`: chat ids): its readiness (the old one's wins)
# and feedback follow it; message ids start again there, so the old unprompted ids are of no use.
FOLLOW_MOVE = (
    (
        "DELETE FROM room_readiness WHERE platform = ? AND chat_id = ? AND EXISTS"
        " (SELECT 1 FROM room_readiness AS r WHERE r.platform = ? AND r.chat_id = ?)",
        ("platform", "new", "platform", "old"),
    ),
    ("UPDATE room_readiness SET chat_id = ? WHERE platform = ? AND chat_id = ?", ("new", "platform", "old")),
    (
        "UPDATE room_feedback SET chat_id = ? WHERE platform = ? AND chat_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM room_feedback AS held WHERE held.platform = room_feedback.platform"
        " AND held.chat_id = ? AND held.turn = room_feedback.turn"
        " AND held.member_id = room_feedback.member_id)",
        ("new", "platform", "old", "new"),
    ),
    ("DELETE FROM room_feedback WHERE platform = ? AND chat_id = ?", ("platform", "old")),
    ("DELETE FROM unprompted_messages WHERE platform = ? AND chat_id = ?", ("platform", "old")),
)


def _group(conversation: ConversationRef) -> tuple[str, str]:
    return (conversation.platform, conversation.chat_id)


def _readiness_topic(group: tuple[str, str]) -> str:
    """Word that a group's readiness changed, for the processes caching it."""
    return f"readiness:{group[0]}:{group[1]}"


class StoredFeedback:
    if TYPE_CHECKING:  # given by StoredConversations
        _db: Any  # the engine's connection (group_commit.Connection)
        _writes: GroupCommit
        _readiness: dict[tuple[str, str], float]

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

        def _changed(self, topic: str) -> None: ...

    async def note_unprompted(self, conversation: ConversationRef, message_ids: tuple[str, ...]) -> None:
        if not message_ids:
            return
        now = time.time()
        for message_id in message_ids:
            self._writes.add(_NOTE_UNPROMPTED, (*_group(conversation), message_id, message_ids[0], now))
        await self._writes.commit()

    async def unprompted_turn(self, conversation: ConversationRef, message_id: str) -> str | None:
        found = await self._all(
            "SELECT turn FROM unprompted_messages WHERE platform = ? AND chat_id = ? AND message_id = ?",
            (*_group(conversation), message_id),
        )
        return str(found[0][0]) if found else None

    async def note_feedback(
        self, conversation: ConversationRef, turn: str, member_id: str, signal: str, at: float
    ) -> bool:
        outcome = self._writes.add_checked(
            _NOTE_FEEDBACK, (*_group(conversation), turn, member_id, signal, at)
        )
        await self._writes.commit()
        return outcome.changed

    async def readiness(self, conversation: ConversationRef) -> float:
        key = _group(conversation)
        cached = self._readiness.get(key)
        if cached is not None:
            return cached
        found = await self._all(
            "SELECT readiness FROM room_readiness WHERE platform = ? AND chat_id = ?", key
        )
        value = float(found[0][0]) if found else READINESS
        self._keep_readiness(key, value)
        return value

    async def set_readiness(self, conversation: ConversationRef, readiness: float) -> None:
        key = _group(conversation)
        self._writes.upsert(_SET_READINESS, key, (*key, readiness, iso(utcnow())))
        self._changed(_readiness_topic(key))
        await self._writes.commit()
        self._keep_readiness(key, readiness)

    def _keep_readiness(self, key: tuple[str, str], value: float) -> None:
        if len(self._readiness) >= CACHED and key not in self._readiness:
            self._readiness.clear()  # rarely full: read again as groups speak
        self._readiness[key] = value

    async def _feedback_follows(self, old: ConversationRef, new: ConversationRef) -> None:
        """A chat's new id (groups.py `move_conversation`, in its transaction, the lock held)."""
        if _group(old) == _group(new):
            return
        named = {"new": new.chat_id, "platform": old.platform, "old": old.chat_id}
        for sql, names in FOLLOW_MOVE:
            await self._db.execute(sql, tuple(named[name] for name in names))
        for group in (_group(old), _group(new)):
            self._readiness.pop(group, None)
            self._changed(_readiness_topic(group))

    async def feedback_counts(self, conversation: ConversationRef, since: float) -> dict[str, int]:
        rows = await self._all(
            "SELECT signal, COUNT(*) FROM room_feedback WHERE platform = ? AND chat_id = ? AND at >= ?"
            " GROUP BY signal",
            (*_group(conversation), since),
        )
        return {str(signal): int(count) for signal, count in rows}

    async def reset_feedback(self, conversation: ConversationRef) -> None:
        key = _group(conversation)
        self._writes.add("DELETE FROM room_feedback WHERE platform = ? AND chat_id = ?", key)
        self._writes.add("DELETE FROM room_readiness WHERE platform = ? AND chat_id = ?", key)
        self._changed(_readiness_topic(key))
        await self._writes.commit()
        self._keep_readiness(key, READINESS)
