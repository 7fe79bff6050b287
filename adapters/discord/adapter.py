"""Parley on Discord: discord.py's client in, the shared events to the core.

Messages are read from the gateway's raw dispatches (`receive`, discord.py's
`on_socket_raw_receive`: the same JSON the pure translation in events.py is tested on);
discord.py keeps the cache (channels, threads, members, permissions) and does the REST calls
with its own rate-limit handling. The actions are carried out by sending.py: answers stream by
editing one message, paced per channel; the `/parley` application command (commands.py, built
from the core's table) is answered through its interaction, privately (ephemeral) where the
command asks for it. Images come from Discord's CDN (media.py); what Parley cannot see in a
channel is told by access.py; `group @ann bob` from a DM starts a private thread (groups.py).

Nothing said while Parley is away is lost: the gateway session is kept through the core and
resumed by the next process (session.py: Discord replays what was missed); where Discord no
longer allows that, the new session catches up from REST history (catch_up.py). A malformed
dispatch is skipped, never a reason to drop the session (clients.guard_parsers).

With `shard_count` > 1 the client is discord.py's AutoShardedClient running `shard_ids`
(config.py): each shard has its own session, kept, resumed and caught up on its own
(session.ShardLink);
every shard's events reach the core alike, and answers go out through the one REST client,
whichever shard their conversation is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from adapters.discord.access import (
    INVITE_PERMISSIONS,
    MESSAGE_CONTENT,
    SERVER_MEMBERS,
    blind_spots,
    missing_intents,
)
from adapters.discord.clients import (
    GatewayClient,
    Paused,
    ShardedGatewayClient,
    close_gateway,
    guard_parsers,
)
from adapters.discord.commands import command_of, menu
from adapters.discord.config import DISCORD_API, DiscordConfig, describe
from adapters.discord.events import PLATFORM, ChannelKind, DiscordIdentity, channel_kind, translate
from adapters.discord.media import DiscordMedia
from adapters.discord.sending import NO_MENTIONS, DiscordSender
from adapters.discord.session import ShardLink, shard_links, wait_all
from facilitator.actions import Action, Delivered
from facilitator.chat import ConversationRef
from facilitator.ports import EventSink

logger = logging.getLogger(__name__)

DISPATCHES = {  # the raw dispatches the core hears about
    "MESSAGE_CREATE",
    "MESSAGE_UPDATE",
    "MESSAGE_DELETE",
    "MESSAGE_DELETE_BULK",
    "MESSAGE_REACTION_ADD",
    "GUILD_MEMBER_UPDATE",
}
__all__ = [
    "INVITE_PERMISSIONS",
    "DiscordAdapter",
    "DiscordConfig",
    "DiscordFacts",
    "DiscordStartError",
    "facts",
]


class DiscordStartError(RuntimeError):
    """Discord would not let the bot start; the text says what to fix (never the token)."""


def _point_at(config: DiscordConfig) -> None:
    """discord.py keeps its REST base and gateway as class attributes: one bot per process."""
    if config.api_base_url != DISCORD_API:
        discord.http.Route.BASE = config.api_base_url.rstrip("/")
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class DiscordAdapter:
    platform = PLATFORM

    def __init__(self, core: EventSink, config: DiscordConfig) -> None:
        self._core = core
        self.config = config
        _point_at(config)
        # Kept: discord.py identifies with this very object, so start() can drop an intent the
        # developer portal has not granted before connecting.
        self._intents = discord.Intents.default()
        self._intents.message_content = True
        self._intents.members = True
        options: dict[str, Any] = {
            "intents": self._intents,
            "enable_debug_events": True,  # the raw dispatches: see receive
            "chunk_guilds_at_startup": False,
            "guild_ready_timeout": config.guild_ready_timeout,
            "allowed_mentions": NO_MENTIONS,
        }
        self.shard_ids: tuple[int | None, ...] = (None,)
        if config.shard_count > 1:
            ids = config.shard_ids or tuple(range(config.shard_count))
            self.shard_ids = ids
            self.client: GatewayClient | ShardedGatewayClient = ShardedGatewayClient(
                shard_count=config.shard_count, shard_ids=list(ids), **options
            )
        else:
            self.client = GatewayClient(**options)
        self.tree = app_commands.CommandTree(self.client)
        self.tree.add_command(menu(self._on_command))

        async def on_shard_raw_receive(shard_id: int | None, raw: str | bytes) -> None:  # clients.RAW_EVENT
            await self.receive(raw, shard_id)

        async def on_shard_ready(shard_id: int) -> None:  # discord.py's: the shard's servers are known
            if shard_id in self.links:
                self.links[shard_id].servers_known.set()

        self.client.event(on_shard_raw_receive)
        self.client.event(on_shard_ready)
        guard_parsers(self.client)
        self.links: dict[int | None, ShardLink] = shard_links(
            self.client, core, self._deliver, self.shard_ids, config.shard_count
        )
        self._heard_from: set[int | None] = set()  # the shards that said READY or RESUMED
        self._paused = False
        self.media = DiscordMedia(config.cdn_base_url)
        self.sender = DiscordSender(self.client, config)
        self.identity: DiscordIdentity | None = None
        self._missing: tuple[str, ...] = ()  # privileged intents the developer portal has not granted
        self._ready = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.client.login(self.config.token)
        except discord.LoginFailure:
            raise DiscordStartError("Discord refused the bot token: check DISCORD_TOKEN") from None
        assert self.client.user is not None
        self.identity = DiscordIdentity(str(self.client.user.id), self.config.mention_role_ids)
        self._missing = missing_intents(self.client.application_flags)
        if MESSAGE_CONTENT in self._missing:
            self._intents.message_content = False  # else Discord refuses the connection (4014)
            logger.warning(
                "Discord: MESSAGE CONTENT INTENT is off in the developer portal (Bot page), so Parley "
                "reads only messages that mention it, and DMs; turn it on and restart to read them all"
            )
        for shard_id, link in self.links.items():
            point = await link.session.recall()
            if point is not None:
                self.client.resume_from[shard_id] = point
        if isinstance(self.client, ShardedGatewayClient):
            ids = tuple(self.client.shard_ids or ())
            logger.info("Discord: running %s", describe(ids, self.config.shard_count))
        self._runner = asyncio.ensure_future(self._connect())
        ready = asyncio.ensure_future(self._ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=self.config.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._runner in done:
            ready.cancel()
            self._runner.result()  # raises the reason it stopped
        if ready not in done:
            ready.cancel()
            raise DiscordStartError("Discord's gateway did not become ready in time")
        await self.tree.sync()
        logger.info("Discord: %s connected", self.client.user)

    async def _connect(self) -> None:
        """Stay connected: discord.py's loop, started again (resuming the session) should it
        end for a reason of its own; ended by `pause`."""
        failures = 0
        while not self.client.is_closed() and not self._paused:
            try:
                await self.client.connect(reconnect=True)
                return
            except Paused:
                return
            except discord.PrivilegedIntentsRequired:
                wanted = [SERVER_MEMBERS] + ([MESSAGE_CONTENT] if self._intents.message_content else [])
                named = [intent for intent in wanted if intent in self._missing] or wanted
                raise DiscordStartError(
                    "Discord refused the intents Parley needs: in the developer portal, under Bot, turn on "
                    + " and ".join(f"{intent} INTENT" for intent in named)
                    + " (docs/discord.md)"
                ) from None
            except discord.LoginFailure:
                raise DiscordStartError("Discord refused the bot token: check DISCORD_TOKEN") from None
            except Exception as exc:
                if self._paused:
                    return
                if self.client.is_closed():  # the sharded client closes itself on a shard's fatal error
                    logger.error("the Discord gateway refused Parley (%s): no longer connected", exc)
                    raise DiscordStartError(f"Discord's gateway refused the connection ({exc})") from None
                failures += 1
                logger.warning("the Discord connection broke (%s); connecting again", type(exc).__name__)
                await close_gateway(self.client)  # its keep-alive thread stops; the session stays resumable
                for shard_id, link in self.links.items():
                    point = link.session.point()
                    if point is not None:
                        self.client.resume_from[shard_id] = point
                await asyncio.sleep(min(2 ** (failures - 1), 30))

    async def pause(self) -> None:
        """Stop taking dispatches (those not handled yet are not kept as handled: the next process
        RESUMEs and has them replayed) and close the gateway so that the session stays resumable.
        REST stays open for the answers under way; `stop` closes the rest."""
        if self._paused:
            return
        self._paused = self.client.paused = True
        for link in self.links.values():
            link.catch_up.cancel()
        await close_gateway(self.client)
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._runner), 5)
        logger.info("Discord: paused")

    async def stop(self) -> None:
        await self.pause()
        for link in self.links.values():
            await link.stop()
        await self.media.close()
        self.client.stopping = True
        await self.client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    # --- events in --------------------------------------------------------------------------

    async def receive(self, raw: str | bytes, shard_id: int | None = None) -> None:
        """One raw gateway message of a shard (None: unsharded): the dispatches the core hears
        about, translated; its seq counts as handled in that shard's session (session.py) once
        the core has them."""
        link = self.links.get(shard_id)
        try:
            payload = json.loads(raw)
        except ValueError:
            return
        if link is None or not isinstance(payload, dict) or self._paused:
            return
        kind, data, seq = payload.get("t"), payload.get("d"), payload.get("s")
        session = link.session
        if kind == "READY" and isinstance(data, dict):
            away_since = session.last_alive
            link.servers_known.clear()
            session.started(str(data.get("session_id")), str(data.get("resume_gateway_url")))
            link.catch_up.begin(away_since)  # what was missed before this session, read before it is heard
        ticket = session.begin(seq) if isinstance(seq, int) else None
        try:
            if kind in ("READY", "RESUMED"):
                if kind == "RESUMED" and not link.knows_a_server(self.client):
                    link.refill.start()  # a session this process did not open: no server known
                self._heard(shard_id)
            elif kind in DISPATCHES and isinstance(data, dict):
                await self._deliver(kind, data)
        except Exception:
            logger.exception("Discord %s could not be handled", kind)
            return  # not counted as handled: a resume replays it
        if ticket is not None:
            session.done(ticket)

    def _heard(self, shard_id: int | None) -> None:
        """A shard is connected (READY or RESUMED); the adapter is ready once all of them are."""
        self._heard_from.add(shard_id)
        if self._heard_from.issuperset(self.links):
            self._ready.set()

    async def _deliver(self, kind: str, data: dict[str, Any]) -> None:
        """A dispatch (from the gateway or caught up from REST) to the core; raises if the core
        could not take it."""
        if self.identity is None:
            return
        for link in self.links.values():
            await link.catch_up.gate()
        for event in translate(kind, data, self.identity, self._kind(data)):
            await self._core.handle(event, self)

    def _kind(self, data: dict[str, Any]) -> ChannelKind:
        channel = (
            self.client.get_channel(int(data["channel_id"]))
            if str(data.get("channel_id", "")).isdigit()
            else None
        )
        if channel is None:
            return "guild" if "guild_id" in data else "dm"
        return channel_kind(channel)

    def _is_admin(self, member: discord.abc.User | None) -> bool:
        if not isinstance(member, discord.Member):
            return False
        if member.guild_permissions.manage_guild:
            return True
        if member.resolved_permissions is not None and member.resolved_permissions.manage_guild:
            return True  # as the interaction says (before the cache is read back after a RESUME)
        return any(str(role.id) in self.config.admin_role_ids for role in member.roles)

    async def _on_command(self, interaction: discord.Interaction, text: str) -> None:
        if self._paused:
            return
        command = command_of(interaction, text, self._is_admin(interaction.user))
        if command is None:
            return
        self.sender.interactions[command.event_id] = interaction
        await self._core.handle(command, self)
        await self.sender.finish(command.event_id)

    # --- actions out ------------------------------------------------------------------------

    async def _refilled(self) -> None:
        await wait_all([link.refill for link in self.links.values()])

    async def perform(self, action: Action) -> Delivered | None:
        await self._refilled()
        return await self.sender.perform(action)

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """An attachment or avatar from Discord's CDN (never with the token; nothing elsewhere)."""
        return await self.media.fetch(ref, max_bytes)

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        if conversation.is_direct:
            return None
        await self._refilled()
        try:
            channel = await self.sender.channel(conversation)
        except (discord.Forbidden, discord.NotFound):
            return (
                "I cannot see this channel. A server admin can fix that in the channel's settings, under "
                "Permissions: give my role View Channel and Read Message History."
            )
        return blind_spots(channel, reads_content=self._intents.message_content)

    async def count_members(self, conversation: ConversationRef) -> int | None:
        if conversation.is_direct:
            return 1
        await self._refilled()
        channel = await self.sender.channel(conversation)
        if isinstance(channel, discord.Thread):
            members = await channel.fetch_members()
            humans = [m for m in members if m.id != (self.client.user.id if self.client.user else 0)]
            return len(humans)
        guild = getattr(channel, "guild", None)
        if guild is None:
            recipients = getattr(channel, "recipients", [])
            return len([user for user in recipients if not user.bot])
        if not guild.chunked:
            await guild.chunk()
        return len([member for member in channel.members if not member.bot])


@dataclass(frozen=True, slots=True)
class DiscordFacts:
    user: str
    invite_url: str
    missing_intents: tuple[str, ...]
    recommended_shards: int | None = None  # GET /gateway/bot's "shards" (None: not said)


async def facts(config: DiscordConfig) -> DiscordFacts:
    """Who the token belongs to, the invite URL with exactly Parley's permissions, and which
    privileged intents the developer portal has not turned on (for `parley check`)."""
    _point_at(config)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(config.token)
    except discord.LoginFailure:
        await client.close()
        raise DiscordStartError("Discord refused the bot token: check DISCORD_TOKEN") from None
    try:
        app = await client.application_info()
        try:
            shards: int | None = (await client.http.get_bot_gateway())[0]
        except discord.GatewayNotFound:
            shards = None
    finally:
        await client.close()
    missing = missing_intents(app.flags)
    invite = discord.utils.oauth_url(
        app.id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )
    return DiscordFacts(str(client.user or app.name), invite, missing, shards)
