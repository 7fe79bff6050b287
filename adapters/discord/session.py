"""Each gateway session, kept across restarts so that a new process RESUMEs it (Discord replays
what was said while Parley was away) instead of IDENTIFYing a new one (which loses it all).
How discord.py is made to RESUME a session it did not open is clients.py's part; what is kept,
and when, is this module's.

One point is kept per shard, under its own key (shards.session_key: "gateway" unsharded, as it
always was; "gateway:<shard id>" with shards), so each shard resumes its own session, and a
process running shards 0-1 never touches the sessions of another running 2-3.

The sequence kept is a low-water mark (`SessionKeeper`, one per shard): discord.py hands each
raw dispatch to the adapter as a task of its own, so they finish out of order; the point kept
only passes a dispatch once the core has handled it (core.handle returned), so a RESUME replays
what was in flight (the core dedupes messages by id) and never skips one.

After a RESUME in a new process discord.py knows no server: it learns them from the
GUILD_CREATEs that follow READY, and a RESUME brings none, so permissions (who is an admin,
what Parley may do in a channel) and member counts would all be wrong. `refill` reads each
server of the shard back as Discord would have sent it (the guild with its roles, its channels,
its active threads and the bot's own member) and feeds it to discord.py's own GUILD_CREATE
parser; the other members come as before (a member count asks Discord for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from adapters.discord.catch_up import CatchUp, Deliver
from adapters.discord.config import UNSHARDED_KEY, session_key, shard_of
from adapters.discord.events import PLATFORM
from facilitator.ports import EventSink

logger = logging.getLogger(__name__)

KEY = UNSHARDED_KEY  # under which the unsharded session is kept (core.keep / core.recall)
# Discord does not say for how long a dropped session stays resumable (minutes, in practice):
# past this, a new session is identified at once instead of a RESUME sure to be refused.
RESUMABLE_FOR = timedelta(minutes=10)
REFRESH_SECONDS = 60.0  # the kept point is rewritten this often while idle, so its age says "alive"
REFILL_WAIT = 30.0  # seconds an answer waits for the cache to be read back after a RESUME


@dataclass(frozen=True, slots=True)
class SessionPoint:
    """Where a gateway session stands: enough to RESUME it."""

    session_id: str
    seq: int
    resume_url: str
    at: datetime  # when this point was last known alive

    def to_json(self) -> str:
        return json.dumps(
            {
                "session_id": self.session_id,
                "seq": self.seq,
                "resume_gateway_url": self.resume_url,
                "at": self.at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SessionPoint | None:
        try:
            data = json.loads(text)
            at = datetime.fromisoformat(data["at"])
            return cls(str(data["session_id"]), int(data["seq"]), str(data["resume_gateway_url"]), at)
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True, slots=True)
class Ticket:
    """One dispatch under way, in the session it came in."""

    generation: int
    seq: int


class SessionKeeper:
    """The current session and its low-water mark, kept through the core as they advance.

    `begin(seq)` is called as a dispatch starts (discord.py starts the tasks in the order the
    frames came), `done(ticket)` once the core has handled it; the mark is the highest seq below
    which every dispatch begun is done. One writer keeps the newest point, so a burst costs a
    few writes, not one per dispatch. `key`: where this shard's point is kept."""

    def __init__(self, core: EventSink, key: str = KEY) -> None:
        self._core, self.key = core, key
        self._session: tuple[str, str] | None = None  # (session id, resume url)
        self._generation = 0
        self._open: set[int] = set()
        self._begun = 0
        self._kept: SessionPoint | None = None
        self._dirty = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    async def recall(self) -> SessionPoint | None:
        """The point a previous process kept, if Discord may still resume it."""
        try:
            text = await self._core.recall(PLATFORM, self.key)
        except Exception:
            logger.exception("Discord: the kept gateway session %s could not be read", self.key)
            return None
        point = SessionPoint.from_json(text) if text else None
        if point is None:
            return None
        if datetime.now(UTC) - point.at > RESUMABLE_FOR:
            logger.info(
                "Discord: the kept gateway session %s (%s) is too old to resume", point.session_id, self.key
            )
            return None
        self._session, self._begun, self._kept = (point.session_id, point.resume_url), point.seq, point
        return point

    @property
    def last_alive(self) -> datetime | None:
        """When the session before (kept, or recalled from the last process) was last alive."""
        return self._kept.at if self._kept is not None else None

    def started(self, session_id: str, resume_url: str) -> None:
        """READY: a new session, counted from its first dispatch."""
        self._session = (session_id, resume_url)
        self._generation += 1
        self._open.clear()
        self._begun = 0
        logger.info("Discord: gateway session %s (%s)", session_id, self.key)

    def begin(self, seq: int) -> Ticket:
        self._open.add(seq)
        self._begun = max(self._begun, seq)
        return Ticket(self._generation, seq)

    def done(self, ticket: Ticket) -> None:
        if ticket.generation != self._generation:
            return  # a dispatch of a session that is gone
        self._open.discard(ticket.seq)
        kept, now = self._kept, self.point()
        if now is not None and (kept is None or (kept.session_id, kept.seq) != (now.session_id, now.seq)):
            self._wake_writer()

    @property
    def mark(self) -> int:
        return min(self._open) - 1 if self._open else self._begun

    def point(self) -> SessionPoint | None:
        """Where to resume the current session from (in this process or the next)."""
        if self._session is None:
            return None
        return SessionPoint(self._session[0], self.mark, self._session[1], datetime.now(UTC))

    def _wake_writer(self) -> None:
        self._dirty.set()
        if not self._closing and (self._writer is None or self._writer.done()):
            self._writer = asyncio.ensure_future(self._write_loop())

    async def _write_loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), REFRESH_SECONDS)
            self._dirty.clear()
            await self._write()

    async def _write(self) -> None:
        point = self.point()
        if point is None or point.seq <= 0:
            return
        try:
            await self._core.keep(PLATFORM, self.key, point.to_json())
        except Exception as exc:  # the next advance writes it again
            logger.warning("Discord: the gateway session could not be kept (%s)", type(exc).__name__)
            return
        self._kept = point

    async def close(self) -> None:
        """Keep the final point (what was handled), and stop writing."""
        self._closing = True
        if self._writer is not None:
            self._dirty.set()  # a write under way finishes: cancelled, it might not be durable
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._write()


Mine = Callable[[int], bool]  # whether a server (by id) is on the shard in question


def every_server(guild_id: int) -> bool:
    return True


class Refill:
    """`refill` in the background after a RESUME in a new process (of the servers `mine` says
    are the shard's); answers wait for it."""

    def __init__(self, client: discord.Client, mine: Mine = every_server) -> None:
        self._client, self._mine = client, mine
        self._done = asyncio.Event()
        self._done.set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._done.clear()
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            await refill(self._client, self._mine)
        except Exception:
            logger.exception("Discord: the servers could not be read back after resuming")
        finally:
            self._done.set()

    async def wait(self) -> None:
        """Wait (a while) for the servers to be read back, if they are being read."""
        if not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), REFILL_WAIT)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


GUILDS_PAGE = 200  # GET /users/@me/guilds gives at most this many


async def refill(client: discord.Client, mine: Mine = every_server) -> int:
    """discord.py's cache filled from REST after this process RESUMEd a session it did not
    open, with the servers `mine` says are that session's shard's; how many servers were read
    (see the module's docstring)."""
    http, me = client.http, client.user
    if me is None:
        return 0
    guilds: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        page = await http.get_guilds(GUILDS_PAGE, after=after, with_counts=False)
        guilds.extend(page)  # type: ignore[arg-type]
        if len(page) < GUILDS_PAGE:
            break
        after = int(page[-1]["id"])
    guilds = [partial for partial in guilds if mine(int(partial["id"]))]
    parse = client._connection.parsers["GUILD_CREATE"]
    for partial in guilds:
        guild_id = int(partial["id"])
        try:
            data: dict[str, Any] = dict(await http.get_guild(guild_id, with_counts=True))
            data["channels"] = await http.get_all_guild_channels(guild_id)
            data["threads"] = (await http.get_active_threads(guild_id)).get("threads", [])
            data["members"] = [await http.get_member(guild_id, me.id)]
        except discord.HTTPException as exc:
            logger.warning("Discord: could not read server %s back (%s)", guild_id, exc.status)
            continue
        data.setdefault("member_count", data.get("approximate_member_count"))
        data["unavailable"] = False
        parse(data)
    logger.info("Discord: read %d server(s) back after resuming", len(guilds))
    return len(guilds)


@dataclass
class ShardLink:
    """One shard's gateway session as the adapter follows it: the point kept to resume it
    (`session`), the catch-up after a new session and the servers read back after a RESUME,
    each limited to the servers on that shard. An unsharded bot has one link, for shard None,
    which owns every server and DM (its session kept under "gateway", as before shards)."""

    shard_id: int | None  # None: the bot does not shard
    shard_count: int
    session: SessionKeeper
    catch_up: CatchUp = field(init=False)
    refill: Refill = field(init=False)
    # Set once discord.py has the shard's servers (its shard_ready); cleared at each READY.
    servers_known: asyncio.Event = field(default_factory=asyncio.Event)

    def owns(self, guild_id: int | None) -> bool:
        """Whether events of this server (None: a DM) arrive on this shard: DMs on shard 0 only."""
        if self.shard_id is None:
            return True
        if guild_id is None:
            return self.shard_id == 0
        return shard_of(guild_id, self.shard_count) == self.shard_id

    def owns_server(self, guild_id: int) -> bool:
        return self.owns(guild_id)

    def knows_a_server(self, client: discord.Client) -> bool:
        """Whether discord.py's cache holds any of this shard's servers (after a RESUME in a new
        process it holds none until they are read back)."""
        return any(self.owns(guild.id) for guild in client.guilds)

    def cancel(self) -> None:
        self.catch_up.cancel()
        self.refill.cancel()

    async def stop(self) -> None:
        await self.catch_up.stop()
        self.refill.cancel()
        await self.session.close()


def shard_links(
    client: discord.Client, core: EventSink, deliver: Deliver, shard_ids: tuple[int | None, ...], count: int
) -> dict[int | None, ShardLink]:
    """A link for each shard this process runs (`(None,)`: unsharded)."""
    links: dict[int | None, ShardLink] = {}
    for shard_id in shard_ids:
        link = ShardLink(shard_id, count, SessionKeeper(core, session_key(shard_id, count)))
        # An unsharded client says it is ready itself; a sharded one only when every shard had a
        # READY, which a RESUMEd shard never gets: each shard waits for its own.
        ready = None if shard_id is None else link.servers_known.wait
        link.catch_up = CatchUp(client, core, deliver, link.owns, ready)
        link.refill = Refill(client, link.owns_server)
        links[shard_id] = link
    return links


async def wait_all(refills: list[Refill]) -> None:
    """Until every shard's servers read back after a RESUME are known (each waits a while)."""
    with contextlib.suppress(Exception):
        await asyncio.gather(*(refill.wait() for refill in refills))
