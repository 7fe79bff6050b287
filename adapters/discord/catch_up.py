"""Catching up from REST history when Discord would not resume the session (INVALID_SESSION,
or a session too old): what was said while Parley was away is fetched channel by channel and
handed to the core as if it had come on the gateway.

The conversations and where their stored history ends come from the core (`resume_points`),
taken at READY before any dispatch of the new session reaches the core (`gate`), or a live
message would look like the end of the history and hide the gap before it. Channels where
nothing is stored yet but whose last message is newer than the old session (GUILD_CREATE says)
are read from then. Each channel (a thread is a channel too) is read forward, oldest first,
100 at a time, one request after another (discord.py's HTTP client waits out 429s), at most
`LIMIT` messages in all. The core dedupes by message id and decides what is recent enough to
answer.

With shards, each shard catches up after its own new session, and only in its own servers
(`mine`; direct messages are shard 0's, as Discord sends them only there): another shard, maybe
in another process, reads its own.
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
MARGIN = timedelta(minutes=2)  # before the old session was last known alive: in flight then
READY_WAIT = 30.0  # seconds to wait for the servers (GUILD_CREATE) before reading their channels

Deliver = Callable[[str, dict[str, Any]], Awaitable[None]]  # (dispatch type, its data)
Mine = Callable[[int | None], bool]  # whether a server (None: a DM) is this catch-up's to read
Ready = Callable[[], Awaitable[Any]]  # until the session's servers are known (GUILD_CREATE)


def everything(guild_id: int | None) -> bool:
    return True


class CatchUp:
    """One catch-up per new session, begun at its READY, run in the background."""

    def __init__(
        self,
        client: discord.Client,
        core: EventSink,
        deliver: Deliver,
        mine: Mine = everything,
        ready: Ready | None = None,
    ) -> None:
        self._client, self._core, self._deliver, self._mine = client, core, deliver, mine
        self._ready: Ready = ready or client.wait_until_ready
        self._points: asyncio.Future[list[ResumePoint]] | None = None
        self._task: asyncio.Task[None] | None = None

    def begin(self, away_since: datetime | None) -> None:
        """A new session: where each conversation's history ends, asked for now. `away_since`:
        when the session before was last known alive (None: there was none), for the channels
        with news where Parley has nothing stored yet."""
        self.cancel()
        since = datetime.now(UTC) - LOOKBACK
        self._points = asyncio.ensure_future(self._core.resume_points(PLATFORM, since))
        self._task = asyncio.ensure_future(self._run(self._points, away_since))

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

    async def _run(self, points: asyncio.Future[list[ResumePoint]], away_since: datetime | None) -> None:
        try:
            found = await points
        except Exception:
            logger.exception("Discord: could not read where to catch up from")
            return
        reads: list[tuple[str, str | int]] = [(p.conversation.chat_id, p.last_message_id) for p in found]
        if away_since is not None:
            reads += await self._with_news({chat for chat, _ in reads}, away_since - MARGIN)
        budget = LIMIT
        for channel_id, after in reads:
            if budget <= 0:
                logger.warning("Discord: catch-up stopped at %d messages; older gaps stay open", LIMIT)
                break
            try:
                budget -= await self._read(channel_id, after, budget)
            except (discord.Forbidden, discord.NotFound) as exc:
                logger.info("Discord: cannot catch up in %s (%s)", channel_id, exc.status)
            except discord.HTTPException as exc:
                logger.warning("Discord: catch-up in %s failed (%s)", channel_id, exc.status)
        logger.info("Discord: caught up %d message(s) in %d channel(s)", LIMIT - budget, len(reads))

    async def _with_news(self, known: set[str], since: datetime) -> list[tuple[str, str | int]]:
        """The channels and threads Parley may read with a message newer than `since` (their
        `last_message_id`, from GUILD_CREATE) and nothing stored: each to be read from `since`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready(), READY_WAIT)
        floor = discord.utils.time_snowflake(since)
        found: list[tuple[str, str | int]] = []
        for guild in self._client.guilds:
            if not self._mine(guild.id):
                continue
            channels: list[discord.TextChannel | discord.Thread] = [*guild.text_channels, *guild.threads]
            for channel in channels:
                last = channel.last_message_id
                if str(channel.id) in known or last is None or last <= floor:
                    continue
                if guild.me is not None and not channel.permissions_for(guild.me).read_message_history:
                    continue
                found.append((str(channel.id), floor))
        return found

    async def _read(self, channel_id: str, after: str | int, budget: int) -> int:
        """Everything after `after` in one channel, oldest first; how many were fetched."""
        http = self._client.http
        cached = self._client.get_channel(int(channel_id))
        guild = getattr(cached, "guild", None)
        guild_id = (
            str(guild.id) if guild is not None else (await http.get_channel(channel_id)).get("guild_id")
        )
        if not self._mine(int(str(guild_id)) if guild_id is not None else None):
            return 0  # another shard's server (or a DM, which is shard 0's): that shard reads it
        fetched = 0
        while fetched < budget:
            page = await http.logs_from(channel_id, min(PAGE, budget - fetched), after=after)
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
