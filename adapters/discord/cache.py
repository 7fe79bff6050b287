"""discord.py's cache, filled from REST after a new process RESUMEd the session.

discord.py learns its servers from the GUILD_CREATEs that follow READY; a RESUME brings none, so
a process that resumed a session it did not open knows no server, channel, role or member:
permissions (who is an admin, what Parley may do in a channel) and member counts would all be
wrong. Each server is read back here as Discord would have sent it (the guild with its roles,
its channels, its active threads and the bot's own member) and fed to discord.py's own
GUILD_CREATE parser; the other members come as before (a member count asks Discord for them).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

logger = logging.getLogger(__name__)

PAGE = 200  # GET /users/@me/guilds gives at most this many


async def refill(client: discord.Client) -> int:
    """Fill the cache with every server the bot is in; how many were read."""
    http, me = client.http, client.user
    if me is None:
        return 0
    guilds: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        page = await http.get_guilds(PAGE, after=after, with_counts=False)
        guilds.extend(page)  # type: ignore[arg-type]
        if len(page) < PAGE:
            break
        after = int(page[-1]["id"])
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
