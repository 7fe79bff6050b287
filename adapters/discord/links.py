"""One shard's gateway session as the adapter follows it (`ShardLink`): the point kept to resume
it, the catch-up after a new session, and the servers read back after a RESUME, each limited
to the servers on that shard. An unsharded bot has one link, for shard None, which owns every
server and DM (and keeps its session under "gateway", as before shards)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import discord

from adapters.discord.catch_up import CatchUp, Deliver
from adapters.discord.session import Refill, SessionKeeper
from adapters.discord.shards import session_key, shard_of
from facilitator.ports import EventSink


@dataclass
class ShardLink:
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
