"""The SQLite store, through aiosqlite: the only module that knows SQL runs on SQLite.

Writes are group-committed: every write joins the batch being gathered, and one writer task
applies each batch in a single transaction, so a busy group costs one commit per batch, not
one per message, and `add_message` still returns only once its message is durable. Reads wait
for the writes queued before them, so the core always reads what it wrote.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from facilitator.chat import ConversationRef, Member, Message, Mode, Profile, utcnow
from facilitator.store.group_commit import GroupCommit
from facilitator.store.ledger import SqliteLedger
from facilitator.store.migrations import LATEST, MIGRATIONS
from facilitator.store.roles import Forgotten, GroupState, HistoryItem

logger = logging.getLogger(__name__)

MAX_STORED_TEXT = 100_000
# When a member was last seen orders the members the model is told about; to the minute is
# enough, and it spares a busy group a write per message.
PRESENCE_EVERY_SECONDS = 60.0
PRESENCE_REMEMBERED = 100_000
AI_AUTHOR = ""  # no platform user id is empty; `from_ai` is what marks the AI's messages

_INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at,"
    " reply_to, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (conversation_id, message_id) DO NOTHING"
)
_UPSERT_MEMBER = (
    "INSERT INTO members (platform, user_id, display_name, handle, avatar_url, is_bot, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id) DO UPDATE SET"
    " display_name = excluded.display_name, handle = excluded.handle,"
    " avatar_url = excluded.avatar_url, is_bot = excluded.is_bot, updated_at = excluded.updated_at"
)
_UPSERT_PRESENCE = (
    "INSERT INTO conversation_members (conversation_id, user_id, last_seen) VALUES (?, ?, ?)"
    " ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_seen = excluded.last_seen"
)
_PROFILE_COLUMNS = {"name": "own_name", "handle": "own_handle", "photo": "own_photo"}


class StoreError(RuntimeError):
    """The database cannot be used as it is (too new, unreadable); the text says what to do."""


def clean_text(text: str, limit: int = MAX_STORED_TEXT) -> str:
    """Text SQLite can store: no lone surrogates, bounded length."""
    if len(text) > limit:
        text = text[:limit]
    if text.isascii():  # most text, known at no cost
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


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


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


@dataclass
class _ConversationRow:
    id: int
    settings: GroupState
    context_from: int


class SqliteStore(SqliteLedger):
    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path
        self._conversations: dict[tuple[str, str, str], _ConversationRow] = {}
        self._members_seen: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._ai_ids: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._presence: OrderedDict[tuple[int, str], float] = OrderedDict()
        self._writes = GroupCommit(db)
        self.applied_migrations: list[int] = []
        self._creating: dict[tuple[str, str, str], asyncio.Future[_ConversationRow]] = {}

    # --- opening and migrating --------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> SqliteStore:
        location = str(path)
        if location != ":memory:":
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(location)
        except Exception as exc:
            raise StoreError(f"cannot open the database {location!r}: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA busy_timeout = 5000")
            store = cls(db, location)
            version = await store.schema_version()
        except Exception as exc:
            await db.close()
            raise StoreError(f"cannot use the database {location!r}: {exc}") from exc
        if version > LATEST:
            await db.close()
            raise StoreError(
                f"the database {location!r} has schema version {version}, newer than this "
                f"Parley knows ({LATEST}): upgrade Parley"
            )
        if migrate:
            try:
                store.applied_migrations = await store.migrate()
            except Exception as exc:
                await db.close()
                raise StoreError(f"cannot migrate the database {location!r}: {exc}") from exc
        elif version < LATEST:
            await db.close()
            raise StoreError(f"the database {location!r} needs migrating: run `parley migrate`")
        return store

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply the steps this database lacks, each in its own transaction."""
        applied = []
        async with self._writes.lock:
            current = await self.schema_version()
            for version, script in MIGRATIONS:
                if version <= current:
                    continue
                await self._db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
                applied.append(version)
                logger.info("database migrated to version %d", version)
        return applied

    async def close(self) -> None:
        await self._writes.close()
        await self._db.close()

    # --- conversations ----------------------------------------------------------------------

    async def _conversation(self, ref: ConversationRef) -> _ConversationRow:
        key = ref.key()
        row = self._conversations.get(key)
        if row is not None:
            return row
        creating = self._creating.get(key)
        if creating is not None:
            return await asyncio.shield(creating)
        future: asyncio.Future[_ConversationRow] = asyncio.get_running_loop().create_future()
        self._creating[key] = future
        try:
            found = await self._find_conversation(key)  # most conversations exist already
            if found is None:
                self._writes.add(
                    "INSERT INTO conversations (platform, chat_id, thread_id, is_direct, created_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, thread_id) DO NOTHING",
                    (*key, int(ref.is_direct), _iso(utcnow())),
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

    async def _find_conversation(self, key: tuple[str, str, str]) -> _ConversationRow | None:
        found = await self._one(
            "SELECT id, mode, instructions, size_notice_sent, context_from, strict FROM conversations"
            " WHERE platform = ? AND chat_id = ? AND thread_id = ?",
            key,
        )
        if found is None:
            return None
        conv_id, mode, instructions, notice, context_from, strict = found
        return _ConversationRow(
            id=int(conv_id),
            settings=GroupState(Mode(mode) if mode else None, instructions, bool(notice), bool(strict)),
            context_from=int(context_from),
        )

    async def group_state(self, conversation: ConversationRef) -> GroupState:
        return (await self._conversation(conversation)).settings

    async def _update_conversation(self, conversation: ConversationRef, **changes: Any) -> None:
        row = await self._conversation(conversation)
        row.settings = replace(row.settings, **changes)  # a setting's column bears its name
        for name, value in changes.items():
            stored = value.value if isinstance(value, Mode) else value
            self._writes.add(f"UPDATE conversations SET {name} = ? WHERE id = ?", (stored, row.id))
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
        await self._writes.settled()
        async with self._db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?", (row.id,)
        ) as cursor:
            found = await cursor.fetchone()
        row.context_from = int(found[0]) if found else 0
        self._writes.add("UPDATE conversations SET context_from = ? WHERE id = ?", (row.context_from, row.id))
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
                    for table in ("messages", "conversation_members"):
                        await self._db.execute(
                            f"UPDATE OR IGNORE {table} SET conversation_id = ? WHERE conversation_id = ?",
                            (target.id, source.id),
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
                await self._db.commit()
            except Exception:
                await self._db.rollback()
                raise
        self._conversations.pop(old.key(), None)
        self._conversations.pop(new.key(), None)
        self._presence.clear()  # keyed by row ids and message ids that may now be gone
        self._ai_ids.clear()

    # --- messages ---------------------------------------------------------------------------

    def _note_member(self, member: Member) -> None:
        key = (member.platform, member.user_id)
        facts = (clean_text(member.display_name, 200), member.handle, member.avatar_url, int(member.is_bot))
        if self._members_seen.get(key) != facts:
            self._members_seen[key] = facts
            self._writes.upsert(_UPSERT_MEMBER, key, (*key, *facts, _iso(utcnow())))

    def _note_presence(self, conversation_id: int, user_id: str, seen_at: str, always: bool = False) -> None:
        key = (conversation_id, user_id)
        now = time.monotonic()
        last = self._presence.get(key)
        if not always and last is not None and now - last < PRESENCE_EVERY_SECONDS:
            return
        self._presence[key] = now
        self._presence.move_to_end(key)
        if len(self._presence) > PRESENCE_REMEMBERED:
            self._presence.popitem(last=False)
        self._writes.upsert(_UPSERT_PRESENCE, key, (conversation_id, user_id, seen_at))

    async def add_message(self, message: Message) -> None:
        self._writes.add(_INSERT_MESSAGE, await self._message_row(message))
        await self._writes.commit()

    async def add_message_once(self, message: Message) -> bool:
        outcome = self._writes.add_checked(_INSERT_MESSAGE, await self._message_row(message))
        await self._writes.commit()
        return outcome.changed

    async def _message_row(self, message: Message) -> tuple[Any, ...]:
        row = await self._conversation(message.conversation)
        author = message.author
        self._note_member(author)
        sent_at = _iso(message.sent_at)
        self._note_presence(row.id, author.user_id, sent_at)
        attachments = json.dumps([asdict(a) for a in message.attachments]) if message.attachments else None
        text = clean_text(message.text)
        return (row.id, message.id, author.user_id, 0, text, sent_at, message.reply_to, attachments)

    async def first_delivery(self, platform: str, key: str) -> bool:
        outcome = self._writes.add_checked(
            "INSERT INTO deliveries (platform, key, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, key, _iso(utcnow())),
        )
        await self._writes.commit()
        return outcome.changed

    async def add_ai_message(
        self, conversation: ConversationRef, message_id: str, text: str, reply_to: str | None
    ) -> None:
        row = await self._conversation(conversation)
        self._remember_ai_id(row.id, message_id)
        self._writes.add(
            _INSERT_MESSAGE,
            (row.id, message_id, AI_AUTHOR, 1, clean_text(text), _iso(utcnow()), reply_to, None),
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
            (clean_text(text), _iso(utcnow()), row.id, message_id),
        )
        await self._writes.commit()

    async def delete_message(self, conversation: ConversationRef, message_id: str) -> None:
        row = await self._conversation(conversation)
        self._writes.add(
            "UPDATE messages SET deleted = 1, text = '' WHERE conversation_id = ? AND message_id = ?",
            (row.id, message_id),
        )
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

    # --- members and profiles ---------------------------------------------------------------

    async def remember_member(self, conversation: ConversationRef, member: Member) -> None:
        row = await self._conversation(conversation)
        self._note_member(member)
        self._note_presence(row.id, member.user_id, _iso(utcnow()), always=True)
        await self._writes.commit()

    async def update_member(self, member: Member) -> None:
        self._note_member(member)
        await self._writes.commit()

    async def forget_membership(self, conversation: ConversationRef, member: Member) -> None:
        row = await self._conversation(conversation)
        self._presence.pop((row.id, member.user_id), None)
        self._writes.add(
            "DELETE FROM conversation_members WHERE conversation_id = ? AND user_id = ?",
            (row.id, member.user_id),
        )
        await self._writes.commit()

    async def members(self, conversation: ConversationRef, limit: int) -> list[Profile]:
        row = await self._conversation(conversation)
        rows = await self._all(
            "SELECT c.user_id, COALESCE(p.own_name, p.display_name), COALESCE(p.own_handle, p.handle),"
            " COALESCE(p.own_photo, p.avatar_url)"
            " FROM conversation_members AS c JOIN members AS p"
            "  ON p.platform = ? AND p.user_id = c.user_id"
            " WHERE c.conversation_id = ? AND p.is_bot = 0 ORDER BY c.last_seen DESC LIMIT ?",
            (conversation.platform, row.id, limit),
        )
        return [Profile(conversation.platform, uid, name, handle, photo) for uid, name, handle, photo in rows]

    async def profile(self, platform: str, user_id: str) -> Profile | None:
        found = await self._one(
            "SELECT COALESCE(own_name, display_name), COALESCE(own_handle, handle),"
            " COALESCE(own_photo, avatar_url) FROM members WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if found is None:
            return None
        return Profile(platform, user_id, found[0], found[1], found[2])

    async def set_profile_field(self, platform: str, user_id: str, field: str, value: str | None) -> None:
        column = _PROFILE_COLUMNS[field]
        if value is not None:
            value = clean_text(value, 200)
        self._writes.add(
            f"UPDATE members SET {column} = ? WHERE platform = ? AND user_id = ?",
            (value, platform, user_id),
        )
        await self._writes.commit()

    async def forget_member(self, platform: str, user_id: str) -> Forgotten:
        await self._writes.settled()
        async with self._writes.lock:
            # Their direct chats with the AI: everything in them is theirs, the AI's answers too.
            direct = [
                int(conv_id)
                for (conv_id,) in await self._db.execute_fetchall(
                    "SELECT DISTINCT c.id FROM conversations AS c"
                    " JOIN messages AS m ON m.conversation_id = c.id"
                    " WHERE c.platform = ? AND c.is_direct = 1 AND m.author_id = ? AND m.from_ai = 0",
                    (platform, user_id),
                )
            ]
            removed = 0
            for conv_id in direct:
                cursor = await self._db.execute("DELETE FROM messages WHERE conversation_id = ?", (conv_id,))
                removed += cursor.rowcount
                await self._db.execute("UPDATE conversations SET instructions = '' WHERE id = ?", (conv_id,))
            cursor = await self._db.execute(
                "DELETE FROM messages WHERE author_id = ? AND from_ai = 0 AND conversation_id IN"
                " (SELECT id FROM conversations WHERE platform = ?)",
                (user_id, platform),
            )
            removed += cursor.rowcount
            cursor = await self._db.execute(
                "DELETE FROM conversation_members WHERE user_id = ? AND conversation_id IN"
                " (SELECT id FROM conversations WHERE platform = ? AND is_direct = 0)",
                (user_id, platform),
            )
            groups = cursor.rowcount
            await self._db.execute(
                "DELETE FROM conversation_members WHERE user_id = ? AND conversation_id IN"
                " (SELECT id FROM conversations WHERE platform = ?)",
                (user_id, platform),
            )
            cursor = await self._db.execute(
                "DELETE FROM members WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            profile = cursor.rowcount > 0
            cursor = await self._db.execute(
                "DELETE FROM usage WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            usage_days = cursor.rowcount
            await self._db.commit()
        self._members_seen.pop((platform, user_id), None)
        for row in self._conversations.values():  # cached settings of the cleared chats
            if row.id in direct:
                row.settings = replace(row.settings, instructions="")
        logger.info("forgot member %s on %s (%d messages)", user_id, platform, removed)
        return Forgotten(int(removed), int(groups), int(usage_days), profile, len(direct))

    async def prune(self, before: datetime) -> int:
        """Old messages go in batches, oldest first, so no write waits long behind them."""
        cutoff = _iso(before)
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
                await self._db.commit()
            removed += cursor.rowcount
            if cursor.rowcount < PRUNE_BATCH:
                break
            await asyncio.sleep(0)
        if removed:
            logger.info("retention: deleted %d messages sent before %s", removed, cutoff)
        return removed
