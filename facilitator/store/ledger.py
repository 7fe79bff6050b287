"""What the store counts rather than converses: deliveries already handled (a redelivered
command, a notice given once), usage per account and day, the operator's kill switch, and what
auto mode did unprompted."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from facilitator.chat import ConversationRef, utcnow
from facilitator.store.roles import Usage
from facilitator.store.values import iso

if TYPE_CHECKING:
    from facilitator.store.group_commit import GroupCommit

_ADD_USAGE = (
    "INSERT INTO usage (platform, user_id, day, replies, prompt_tokens, completion_tokens, images)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id, day) DO UPDATE SET"
    " replies = usage.replies + excluded.replies,"
    " prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,"
    " completion_tokens = usage.completion_tokens + excluded.completion_tokens,"
    " images = usage.images + excluded.images"
)


# One more answer for an account, only while it is under its limit: checked and counted in one
# statement, so processes answering the same member at once never pass the limit together.
_RESERVE = (
    "INSERT INTO usage (platform, user_id, day, replies) VALUES (?, ?, ?, 1)"
    " ON CONFLICT (platform, user_id, day) DO UPDATE SET replies = usage.replies + 1"
    " WHERE usage.replies < ?"
)


class StoredLedger:
    if TYPE_CHECKING:  # given by StoredConversations
        _writes: GroupCommit

        async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]: ...

        async def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None: ...

        def _changed(self, topic: str) -> None: ...

    # --- deliveries -------------------------------------------------------------------------

    async def first_delivery(self, platform: str, key: str) -> bool:
        outcome = self._writes.add_checked(
            "INSERT INTO deliveries (platform, key, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, key, iso(utcnow())),
        )
        await self._writes.commit()
        return outcome.changed

    # --- usage ------------------------------------------------------------------------------

    async def record_usage(
        self,
        platform: str,
        user_id: str | tuple[str, ...],
        prompt_tokens: int,
        completion_tokens: int,
        images: int = 0,
        replies: int = 1,
    ) -> None:
        day = utcnow().date().isoformat()
        for account in (user_id,) if isinstance(user_id, str) else user_id:
            counted = (platform, account, day, replies, prompt_tokens, completion_tokens, images)
            self._writes.count(_ADD_USAGE, counted[:3], counted, counts_from=3)
        await self._writes.commit()  # one commit for every account the call counts against

    async def count_reply(self, platform: str, limits: tuple[tuple[str, int], ...]) -> str | None:
        day = utcnow().date().isoformat()
        taken: list[str] = []
        for account, limit in limits:
            outcome = self._writes.add_checked(_RESERVE, (platform, account, day, limit))
            await self._writes.commit()
            if not outcome.changed:
                await self.refund_replies(platform, tuple(taken))
                return account
            taken.append(account)
        return None

    async def refund_replies(self, platform: str, accounts: tuple[str, ...]) -> None:
        day = utcnow().date().isoformat()
        for account in accounts:
            self._writes.add(
                "UPDATE usage SET replies = replies - 1 WHERE platform = ? AND user_id = ? AND day = ?"
                " AND replies > 0",
                (platform, account, day),
            )
        await self._writes.commit()

    async def usage(self, platform: str, user_id: str, day: date) -> Usage:
        found = await self._one(
            "SELECT replies, prompt_tokens, completion_tokens, images FROM usage"
            " WHERE platform = ? AND user_id = ? AND day = ?",
            (platform, user_id, day.isoformat()),
        )
        if found is None:
            return Usage(day)
        return Usage(day, int(found[0]), int(found[1]), int(found[2]), int(found[3]))

    async def tokens_spent(self, day: date) -> int:
        found = await self._one(
            # A group's row totals its members' answers: counted once, through the members.
            "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage"
            " WHERE day = ? AND user_id NOT LIKE 'group:%'",
            (day.isoformat(),),
        )
        return int(found[0]) if found else 0

    async def usage_rows(self, since: date) -> list[tuple[str, str, str, Usage]]:
        rows = await self._all(
            "SELECT day, platform, user_id, replies, prompt_tokens, completion_tokens, images FROM usage"
            " WHERE day >= ? ORDER BY day, platform, user_id",
            (since.isoformat(),),
        )
        return [
            (
                str(day),
                str(platform),
                str(user),
                Usage(date.fromisoformat(day), int(r), int(p), int(c), int(i)),
            )
            for day, platform, user, r, p, c, i in rows
        ]

    # --- the operator's kill switch ------------------------------------------------------------

    async def switched_off(self) -> set[str]:
        rows = await self._all("SELECT platform, target FROM switched_off", ())
        return {f"{platform}:{target}" for platform, target in rows}

    async def switch(self, target: str, off: bool) -> bool:
        platform, _, where = target.partition(":")
        if off:
            outcome = self._writes.add_checked(
                "INSERT INTO switched_off (platform, target, since) VALUES (?, ?, ?)"
                " ON CONFLICT (platform, target) DO NOTHING",
                (platform, where, utcnow().isoformat(timespec="microseconds")),
            )
        else:
            outcome = self._writes.add_checked(
                "DELETE FROM switched_off WHERE platform = ? AND target = ?", (platform, where)
            )
        self._changed("switch")
        await self._writes.commit()
        return outcome.changed

    # --- auto mode --------------------------------------------------------------------------

    async def note_room_event(self, conversation: ConversationRef, kind: str, at: float) -> None:
        self._writes.add(
            "INSERT INTO room_events (platform, chat_id, thread_id, at, kind) VALUES (?, ?, ?, ?, ?)",
            (*conversation.key(), at, kind),
        )
        self._writes.add(  # a day is as far back as any cap looks
            "DELETE FROM room_events WHERE platform = ? AND chat_id = ? AND thread_id = ? AND at < ?",
            (*conversation.key(), at - 86400.0),
        )
        await self._writes.commit()

    async def room_events(self, conversation: ConversationRef, since: float) -> list[tuple[str, float]]:
        rows = await self._all(
            "SELECT kind, at FROM room_events WHERE platform = ? AND chat_id = ? AND thread_id = ?"
            " AND at >= ? ORDER BY at",
            (*conversation.key(), since),
        )
        return [(str(kind), float(at)) for kind, at in rows]
