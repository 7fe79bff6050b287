"""Catching up from REST history when Discord would not resume the session (INVALID_SESSION,
or a session too old): what was said while Parley was away is fetched channel by channel and
handed to the core as if it had come on the gateway.

The conversations and where their stored history ends come from the core (`resume_points`),
taken at READY before any dispatch of the new session reaches the core (`gate`), or a live
message would look like the end of the history and hide the gap before it. Each channel (a
thread is a channel too) is read forward from there, oldest first, 100 at a time, one request
after another (discord.py's HTTP client waits out 429s), at most `LIMIT` messages in all. The
core dedupes by message id and decides what is recent enough to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from adapters.discord.events import PLATFORM
from facilitator.ports import EventSink, ResumePoint

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # conversations active this recently are caught up
PAGE = 100  # Discord's most per request
LIMIT = 5_000  # messages fetched in all, at most, per catch-up

Deliver = Callable[[str, dict[str, Any]], Awaitable[None]]  # (dispatch type, its data)


class CatchUp:
    """One catch-up per new session, begun at its READY, run in the background."""

    def __init__(self, http: discord.http.HTTPClient, core: EventSink, deliver: Deliver) -> None:
        self._http, self._core, self._deliver = http, core, deliver
        self._points: asyncio.Future[list[ResumePoint]] | None = None
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        """A new session: where each conversation's history ends, asked for now."""
        self.cancel()
        since = datetime.now(UTC) - LOOKBACK
        self._points = asyncio.ensure_future(self._core.resume_points(PLATFORM, since))
        self._task = asyncio.ensure_future(self._run(self._points))

    async def gate(self) -> None:
        """Wait until the resume points of the new session are read (a dispatch waits here)."""
        if self._points is not None and not self._points.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._points)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task = None

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, points: asyncio.Future[list[ResumePoint]]) -> None:
        try:
            found = await points
        except Exception:
            logger.exception("Discord: could not read where to catch up from")
            return
        budget, total = LIMIT, 0
        for point in found:
            if budget <= 0:
                logger.warning("Discord: catch-up stopped at %d messages; older gaps stay open", LIMIT)
                break
            try:
                fetched = await self._channel(point, budget)
            except (discord.Forbidden, discord.NotFound) as exc:
                logger.info("Discord: cannot catch up in %s (%s)", point.conversation.chat_id, exc.status)
                continue
            except discord.HTTPException as exc:
                logger.warning("Discord: catch-up in %s failed (%s)", point.conversation.chat_id, exc.status)
                continue
            budget -= fetched
            total += fetched
        logger.info("Discord: caught up %d message(s) in %d conversation(s)", total, len(found))

    async def _channel(self, point: ResumePoint, budget: int) -> int:
        """Everything after the point in one channel, oldest first; how many were fetched."""
        channel_id = point.conversation.chat_id
        channel = await self._http.get_channel(channel_id)
        guild_id = channel.get("guild_id")
        after: str | int = point.last_message_id
        fetched = 0
        while fetched < budget:
            page = await self._http.logs_from(channel_id, min(PAGE, budget - fetched), after=after)
            if not page:
                break
            page = sorted(page, key=lambda message: int(message["id"]))  # Discord sends newest first
            for message in page:
                data: dict[str, Any] = dict(message)
                if guild_id is not None:
                    data.setdefault("guild_id", guild_id)  # REST messages do not say their server
                await self._deliver("MESSAGE_CREATE", data)
            fetched += len(page)
            after = page[-1]["id"]
            if len(page) < PAGE:
                break
        if fetched:
            logger.info("Discord: caught up %d message(s) in %s", fetched, channel_id)
        return fetched
