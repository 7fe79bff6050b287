"""Who a Slack member is: `users.info`, asked once per member however many events need it.

An event is stored before anyone's profile is looked up (Slack waits for its acknowledgement,
and a lookup can wait out a rate limit): a member already known is filled in from the cache, no
I/O; one not known yet goes to the core as the payload names them (their id), and their profile
is resolved afterwards, in a task of its own, which then tells the core `ProfileChanged` (the
store never lets a member known only by id undo a name it knows, whichever comes first). A
command resolves its author first (`lookup`): admin checks need the profile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from facilitator.chat import Member
from facilitator.events import (
    CommandReceived,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    ReactionAdded,
)

logger = logging.getLogger(__name__)


class Profiles:
    def __init__(
        self,
        client: AsyncWebClient,
        admins: tuple[str, ...],
        resolved: Callable[[Member], Awaitable[None]],
    ) -> None:
        self._client = client
        self._admins = frozenset(admins)
        self._resolved = resolved  # hands the core ProfileChanged(member)
        self._users: dict[str, dict[str, Any]] = {}  # user id -> users.info's `user`
        self._asking: dict[str, asyncio.Task[dict[str, Any] | None]] = {}  # one users.info per member
        self._resolving: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def put(self, user: dict[str, Any]) -> Member:
        """A profile Slack sent by itself (`user_change`): cached, and the member it makes."""
        self._users[str(user["id"])] = user
        return self._made(Member("slack", str(user["id"]), str(user["id"])), user)

    def now(self, member: Member) -> tuple[Member, bool]:
        """The member as far as known without asking Slack, and whether the profile was known."""
        user = self._users.get(member.user_id)
        if user is None:
            return replace(member, is_admin=member.is_admin or member.user_id in self._admins), False
        return self._made(member, user), True

    def fill(self, event: Event) -> tuple[Event, Member | None]:
        """`event` with its member from the cache; the member still to resolve, if any."""
        if isinstance(event, MessageReceived):
            author, known = self.now(event.message.author)
            filled: Event = replace(event, message=replace(event.message, author=author))
        elif isinstance(event, CommandReceived):
            author, known = self.now(event.author)
            filled = replace(event, author=author)
        elif isinstance(event, (MemberJoined, MemberLeft, ReactionAdded)):
            author, known = self.now(event.member)
            filled = replace(event, member=author)
        else:
            return event, None
        return filled, None if known else author

    def resolve_later(self, member: Member | None) -> None:
        """Look the member up in the background (once at a time per member), then tell the core."""
        if member is None or member.user_id in self._users or member.user_id in self._resolving:
            return
        self._resolving.add(member.user_id)
        task = asyncio.create_task(self._resolve(member), name=f"slack-profile-{member.user_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def lookup(self, member: Member) -> Member:
        """The member with their profile, asking Slack if it is not cached (shared with every
        other event waiting for the same member); as given when Slack has none."""
        user = await self._user(member.user_id)
        return self._made(member, user) if user is not None else self.now(member)[0]

    async def close(self, grace: float = 0.0) -> None:
        """Let resolutions under way finish for `grace` seconds, then stop them."""
        pending = set(self._tasks) | set(self._asking.values())
        if grace and pending:
            await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # --- asking Slack -----------------------------------------------------------------------

    async def _resolve(self, member: Member) -> None:
        try:
            user = await self._user(member.user_id)
            if user is not None:
                await self._resolved(self._made(member, user))
        except Exception:
            logger.exception("the profile of %s could not be handed to the core", member.user_id)
        finally:
            self._resolving.discard(member.user_id)

    async def _user(self, user_id: str) -> dict[str, Any] | None:
        user = self._users.get(user_id)
        if user is not None:
            return user
        asking = self._asking.get(user_id)
        if asking is None:
            asking = asyncio.create_task(self._ask(user_id), name=f"slack-users-info-{user_id}")
            self._asking[user_id] = asking
        return await asyncio.shield(asking)

    async def _ask(self, user_id: str) -> dict[str, Any] | None:
        try:
            answer = await self._client.users_info(user=user_id)
            user = dict(answer["user"])
        except Exception as exc:  # a missing profile leaves the member as the payload named them
            error = getattr(getattr(exc, "response", None), "get", lambda _: None)("error")
            logger.info("no profile for %s: %s", user_id, error or type(exc).__name__)
            return None
        finally:
            self._asking.pop(user_id, None)
        self._users[user_id] = user
        return user

    def _made(self, member: Member, user: dict[str, Any]) -> Member:
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or member.display_name
        )
        return replace(
            member,
            display_name=name,
            handle=user.get("name") or member.handle,
            avatar_url=profile.get("image_192") or profile.get("image_72"),
            is_bot=bool(user.get("is_bot")) or member.is_bot,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")) or member.user_id in self._admins,
        )
