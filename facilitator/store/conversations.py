"""Conversations and their messages, as the store keeps them on either engine (SQLite's and
PostgreSQL's SQL alike): the part every store is built on, with its caches and the group-committed
writer. The engine's module (sqlite.py, postgres.py) brings the connection, the schema and the
few statements that differ (an answer owed beside its message, the claims on answers owed).

Writes are group-committed: every write joins the batch being gathered, and one writer task
applies each batch in a single transaction, so a busy group costs one commit per batch, not
one per message, and `add_message` still returns only once its message is durable. Reads wait
for the writes queued before them, so the core always reads what it wrote.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, Member, Message, Mode, utcnow
from facilitator.store.feedback import PRUNE_BEFORE
from facilitator.store.group_commit import Connection, GroupCommit
from facilitator.store.previews import BLANK_DELETED, PRUNE_SAID_BEFORE
from facilitator.store.roles import GroupState, HistoryItem
from facilitator.store.values import ConversationRow, clean_text, iso

logger = logging.getLogger(__name__)

AI_AUTHOR = ""  # no platform user id is empty; `from_ai` is what marks the AI's messages

INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at,"
    " reply_to, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (conversation_id, message_id) DO NOTHING"
)


# What the AI said, as it finished saying it, stands over what another process read of it on
# the platform meanwhile (a thread's history, fetched while the answer was still streaming).
_AI_MESSAGE = (
    INSERT_MESSAGE.removesuffix("DO NOTHING")
    + "DO UPDATE SET author_id = excluded.author_id, from_ai = 1, text = excluded.text"
)
_SEEN_AI_MESSAGE = INSERT_MESSAGE


class StoreError(RuntimeError):
    """The database cannot be used as it is (too new, unreadable); the text says what to do."""


_NOTHING: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
PRUNE_BATCH = 2000  # messages deleted per transaction when the retention period passes


def _describe(attachments: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Stored attachments as the model is told of them (kind and name, never the URL), and the
    references of the images among them, for a vision model."""
    if not attachments:
        return (), ()
    try:
        items = [item for item in json.loads(attachments) if isinstance(item, dict)]
    except (ValueError, TypeError):
        return (), ()
    described = tuple(
        " ".join(part for part in (item.get("kind") or "file", item.get("name") or "") if part)
        for item in items
    )
    images = tuple(
        str(item["url"]) for item in items if item.get("kind") == "image" and isinstance(item.get("url"), str)
    )
    return described, images


class StoredConversations:
    if TYPE_CHECKING:  # given by StoredMembers

        def _note_member(self, member: Member) -> None: ...

        def _note_presence(
            self, conversation_id: int, user_id: str, seen_at: str, always: bool = False
        ) -> None: ...

    def __init__(self, db: Connection) -> None:
        self._db: Any = db
        self._conversations: dict[tuple[str, str, str], ConversationRow] = {}
        self._members_seen: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._ai_ids: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._presence: OrderedDict[tuple[int, str], float] = OrderedDict()
        self._writes = GroupCommit(db)
        self._creating: dict[tuple[str, str, str], asyncio.Future[ConversationRow]] = {}
        self._readiness: dict[tuple[str, str], float] = {}  # each group's, learnt from its feedback

        self._watchers: list[Callable[[str], None]] = []
        self._telling: set[asyncio.Task[None]] = set()

    def watch(self, watcher: Callable[[str], None]) -> None:
        """Be told of every change announced (a group's row, the kill switch, an answer handed
        over): its topic, once durable; "*" when anything may have changed."""
        self._watchers.append(watcher)

    def _changed(self, topic: str) -> None:
        """Word of a change, to give once the writes queued so far are durable. Alone on its
        database (SQLite), a process tells only itself; PostgreSQL's store tells every process."""
        task = asyncio.ensure_future(self._tell_when_durable(topic))
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)

    async def _tell_when_durable(self, topic: str) -> None:
        await self._writes.settled()
        self._tell(topic)

    def _tell(self, topic: str) -> None:
        for watcher in self._watchers:
            try:
                watcher(topic)
            except Exception:
                logger.exception("a watcher of %s failed", topic.partition(":")[0])

    # --- conversations ----------------------------------------------------------------------

    async def _conversation(self, ref: ConversationRef) -> ConversationRow:
        key = ref.key()
        row = self._conversations.get(key)
        if row is not None:
            return row
        creating = self._creating.get(key)
        if creating is not None:
            return await asyncio.shield(creating)
        future: asyncio.Future[ConversationRow] = asyncio.get_running_loop().create_future()
        self._creating[key] = future
        try:
            found = await self._find_conversation(key)  # most conversations exist already
            if found is None:
                self._writes.add(
                    "INSERT INTO conversations (platform, chat_id, thread_id, is_direct, created_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, thread_id) DO NOTHING",
                    (*key, int(ref.is_direct), iso(utcnow())),
                )
                await self._writes.commit()
                found = await self._find_conversation(key)
            if found is None:
                raise StoreError(f"conversation {key} was not created")
            self._conversations[key] = found
            future.set_result(found)
            return found
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            del self._creating[key]

    async def _find_conversation(self, key: tuple[str, str, str]) -> ConversationRow | None:
        found = await self._one(
            "SELECT id, mode, instructions, size_notice_sent, context_from, strict FROM conversations"
            " WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            key,
        )
        if found is None:
            return None
        conv_id, mode, instructions, notice, context_from, strict = found
        return ConversationRow(
            id=int(conv_id),
            settings=GroupState(Mode(mode) if mode else None, instructions, bool(notice), bool(strict)),
            context_from=int(context_from),
        )

    # --- messages ---------------------------------------------------------------------------

    async def add_message(self, message: Message) -> None:
        self._writes.add(INSERT_MESSAGE, await self._message_row(message))
        await self._writes.commit()

    async def add_message_once(self, message: Message) -> bool:
        outcome = self._writes.add_checked(INSERT_MESSAGE, await self._message_row(message))
        await self._writes.commit()
        return outcome.changed

    async def _message_row(self, message: Message) -> tuple[Any, ...]:
        row = await self._conversation(message.conversation)
        author = message.author
        self._note_member(author)
        sent_at = iso(message.sent_at)
        self._note_presence(row.id, author.user_id, sent_at)
        attachments = json.dumps([asdict(a) for a in message.attachments]) if message.attachments else None
        text = clean_text(message.text)
        return (row.id, message.id, author.user_id, 0, text, sent_at, message.reply_to, attachments)

    async def add_ai_message(
        self,
        conversation: ConversationRef,
        message_id: str,
        text: str,
        reply_to: str | None,
        *,
        as_seen: bool = False,
    ) -> None:
        row = await self._conversation(conversation)
        self._remember_ai_id(row.id, message_id)
        self._writes.add(
            _SEEN_AI_MESSAGE if as_seen else _AI_MESSAGE,
            (row.id, message_id, AI_AUTHOR, 1, clean_text(text), iso(utcnow()), reply_to, None),
        )
        await self._writes.commit()

    def _remember_ai_id(self, conversation_id: int, message_id: str) -> None:
        self._ai_ids[(conversation_id, message_id)] = None
        if len(self._ai_ids) > 10_000:
            self._ai_ids.popitem(last=False)

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Rows of a read, in one trip to the database thread, after the writes queued before it."""
        await self._writes.settled()
        return list(await self._db.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        found = await self._all(sql, params)
        return tuple(found[0]) if found else None

    async def is_ai_message(self, conversation: ConversationRef, message_id: str) -> bool:
        row = await self._conversation(conversation)
        if (row.id, message_id) in self._ai_ids:
            return True
        found = await self._one(
            "SELECT from_ai FROM messages WHERE conversation_id = ? AND message_id = ?",
            (row.id, message_id),
        )
        return bool(found and found[0])

    async def edit_message(self, conversation: ConversationRef, message_id: str, text: str) -> None:
        row = await self._conversation(conversation)
        self._writes.add(
            "UPDATE messages SET text = ?, edited_at = ? WHERE conversation_id = ? AND message_id = ?",
            (clean_text(text), iso(utcnow()), row.id, message_id),
        )
        await self._writes.commit()

    async def delete_message(self, conversation: ConversationRef, message_id: str) -> None:
        row = await self._conversation(conversation)
        self._writes.add(
            "UPDATE messages SET deleted = 1, text = '' WHERE conversation_id = ? AND message_id = ?",
            (row.id, message_id),
        )
        self._writes.add(BLANK_DELETED, (row.id, message_id))  # what preview mode quoted of it
        await self._writes.commit()

    async def history(self, conversation: ConversationRef, limit: int) -> list[HistoryItem]:
        row = await self._conversation(conversation)
        rows = await self._all(
            "SELECT m.seq, m.message_id, m.from_ai, m.text,"
            " COALESCE(p.own_name, p.display_name, m.author_id), COALESCE(p.own_handle, p.handle),"
            " m.reply_to, m.attachments, m.author_id, m.sent_at"
            " FROM messages AS m LEFT JOIN members AS p"
            "  ON p.platform = ? AND p.user_id = m.author_id"
            " WHERE m.conversation_id = ? AND m.seq > ? AND m.deleted = 0"
            " ORDER BY m.seq DESC LIMIT ?",
            (conversation.platform, row.id, row.context_from, limit),
        )
        items = []
        for (
            seq,
            message_id,
            from_ai,
            text,
            speaker,
            handle,
            reply_to,
            attachments,
            author_id,
            sent_at,
        ) in reversed(rows):
            described, images = _describe(attachments) if attachments else _NOTHING
            items.append(
                HistoryItem(
                    seq,
                    message_id,
                    speaker,
                    handle,
                    text,
                    bool(from_ai),
                    reply_to,
                    described,
                    images,
                    author_id,
                    sent_at,
                )
            )
        return items

    async def prune(self, before: datetime) -> int:
        """Old messages go in batches, oldest first, so no write waits long behind them."""
        cutoff = iso(before)
        removed = 0
        while True:
            await self._writes.settled()
            async with self._writes.lock:
                cursor = await self._db.execute(
                    "DELETE FROM messages WHERE seq IN"
                    " (SELECT seq FROM messages WHERE sent_at < ? ORDER BY seq LIMIT ?)",
                    (cutoff, PRUNE_BATCH),
                )
                await self._db.execute("DELETE FROM deliveries WHERE seen_at < ?", (cutoff,))
                await self._db.execute(PRUNE_SAID_BEFORE, (before.timestamp(),))
                for sql in PRUNE_BEFORE:  # the feedback on unprompted turns, and who gave it
                    await self._db.execute(sql, (before.timestamp(),))
                await self._db.commit()
            removed += cursor.rowcount
            if cursor.rowcount < PRUNE_BATCH:
                break
            await asyncio.sleep(0)
        if removed:
            logger.info("retention: deleted %d messages sent before %s", removed, cutoff)
        return int(removed)
