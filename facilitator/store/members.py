"""Who is in a conversation and how each member is known: the platform's facts, their own
profile overrides, when they were last seen there, and `forget`."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, Member, Profile, utcnow
from facilitator.store.feedback import FORGET_MEMBER
from facilitator.store.previews import FORGET_AUTHOR
from facilitator.store.roles import Forgotten
from facilitator.store.values import ConversationRow, clean_text, iso

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

logger = logging.getLogger(__name__)

# When a member was last seen orders the members the model is told about; to the minute is
# enough, and it spares a busy group a write per message.
PRESENCE_EVERY_SECONDS = 60.0
PRESENCE_REMEMBERED = 100_000

# A member known only by their id (an event stored before their profile was looked up, as
# Slack's are) keeps the name, handle and picture already known of them.
_BARE = "excluded.display_name = excluded.user_id"
_UPSERT_MEMBER = (
    "INSERT INTO members (platform, user_id, display_name, handle, avatar_url, is_bot, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id) DO UPDATE SET"
    f" display_name = CASE WHEN {_BARE} THEN members.display_name ELSE excluded.display_name END,"
    f" handle = CASE WHEN {_BARE} THEN members.handle ELSE excluded.handle END,"
    f" avatar_url = CASE WHEN {_BARE} THEN members.avatar_url ELSE excluded.avatar_url END,"
    " is_bot = excluded.is_bot, updated_at = excluded.updated_at"
)
_UPSERT_PRESENCE = (
    "INSERT INTO conversation_members (conversation_id, user_id, last_seen) VALUES (?, ?, ?)"
    " ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_seen = excluded.last_seen"
)
_PROFILE_COLUMNS = {"name": "own_name", "handle": "own_handle", "photo": "own_photo"}


class StoredMembers:
    if TYPE_CHECKING:  # given by StoredConversations
        _db: Any  # the engine's connection (group_commit.Connection)
        _writes: GroupCommit
        _members_seen: dict[tuple[str, str], tuple[Any, ...]]
        _presence: OrderedDict[tuple[int, str], float]
        _conversations: dict[tuple[str, str, str], ConversationRow]

        async def _conversation(self, ref: ConversationRef) -> ConversationRow: ...

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

        async def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None: ...

        def _changed(self, topic: str) -> None: ...

    def _note_member(self, member: Member) -> None:
        key = (member.platform, member.user_id)
        if member.display_name == member.user_id and key in self._members_seen:
            return  # known only by id: what is known of them (perhaps queued in this batch) stands
        handle = clean_text(member.handle, 200) if member.handle else member.handle
        facts = (clean_text(member.display_name, 200), handle, member.avatar_url, int(member.is_bot))
        if self._members_seen.get(key) != facts:
            self._members_seen[key] = facts
            self._writes.upsert(_UPSERT_MEMBER, key, (*key, *facts, iso(utcnow())))

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

    # --- members and profiles ---------------------------------------------------------------

    async def remember_member(self, conversation: ConversationRef, member: Member) -> None:
        row = await self._conversation(conversation)
        self._note_member(member)
        self._note_presence(row.id, member.user_id, iso(utcnow()), always=True)
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
                self._changed(f"conversation:{conv_id}")
            cursor = await self._db.execute(
                "DELETE FROM messages WHERE author_id = ? AND from_ai = 0 AND conversation_id IN"
                " (SELECT id FROM conversations WHERE platform = ?)",
                (user_id, platform),
            )
            removed += cursor.rowcount
            await self._db.execute(FORGET_AUTHOR, (user_id, platform))  # what preview mode quoted
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
            feedback = (await self._db.execute(FORGET_MEMBER, (platform, user_id))).rowcount
            quiet = await self._db.execute_fetchall(
                "SELECT 1 FROM members WHERE platform = ? AND user_id = ? AND quiet = 1", (platform, user_id)
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
        await self._writes.settled()  # word of the cleared chats goes out
        logger.info("forgot member %s on %s (%d messages)", user_id, platform, removed)
        return Forgotten(
            int(removed), int(groups), int(usage_days), profile, len(direct), int(feedback), bool(quiet)
        )

    # --- `quiet me` -------------------------------------------------------------------------

    async def quiet(self, platform: str, user_id: str) -> bool:
        found = await self._one(
            "SELECT quiet FROM members WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return bool(found and found[0])

    async def set_quiet(self, platform: str, user_id: str, quiet: bool) -> None:
        # A member not stored yet is stored by id alone (the next event brings their name).
        self._writes.add(
            "INSERT INTO members (platform, user_id, display_name, updated_at, quiet) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, user_id) DO UPDATE SET quiet = excluded.quiet",
            (platform, user_id, user_id, iso(utcnow()), int(quiet)),
        )
        await self._writes.commit()
