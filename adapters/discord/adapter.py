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
dispatch is skipped, never a reason to drop the session (session.guard_parsers).
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
from adapters.discord.catch_up import CatchUp
from adapters.discord.commands import command_of, menu
from adapters.discord.config import DISCORD_API, DiscordConfig
from adapters.discord.events import PLATFORM, ChannelKind, DiscordIdentity, channel_kind, translate
from adapters.discord.media import DiscordMedia
from adapters.discord.sending import NO_MENTIONS, DiscordSender
from adapters.discord.session import (
    GatewayClient,
    Paused,
    Refill,
    SessionKeeper,
    close_gateway,
    guard_parsers,
)
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
        self.client = GatewayClient(
            intents=self._intents,
            enable_debug_events=True,  # the raw dispatches: see receive
            chunk_guilds_at_startup=False,
            guild_ready_timeout=config.guild_ready_timeout,
            allowed_mentions=NO_MENTIONS,
        )
        self.tree = app_commands.CommandTree(self.client)
        self.tree.add_command(menu(self._on_command))

        async def on_socket_raw_receive(raw: str | bytes) -> None:  # discord.py's name for the hook
            await self.receive(raw)

        self.client.event(on_socket_raw_receive)
        guard_parsers(self.client)
        self.session = SessionKeeper(core)
        self.catch_up = CatchUp(self.client, core, self._deliver)
        self._paused = False
        self.refill = Refill(self.client)
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
        self.client.resume_from = await self.session.recall()
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
                failures += 1
                logger.warning("the Discord connection broke (%s); connecting again", type(exc).__name__)
                await close_gateway(self.client)  # its keep-alive thread stops; the session stays resumable
                self.client.resume_from = self.session.point()
                await asyncio.sleep(min(2 ** (failures - 1), 30))

    async def pause(self) -> None:
        """Stop taking dispatches (those not handled yet are not kept as handled: the next process
        RESUMEs and has them replayed) and close the gateway so that the session stays resumable.
        REST stays open for the answers under way; `stop` closes the rest."""
        if self._paused:
            return
        self._paused = self.client.paused = True
        self.catch_up.cancel()
        await close_gateway(self.client)
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._runner), 5)
        logger.info("Discord: paused")

    async def stop(self) -> None:
        await self.pause()
        await self.catch_up.stop()
        self.refill.cancel()
        await self.session.close()
        await self.media.close()
        await self.client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    # --- events in --------------------------------------------------------------------------

    async def receive(self, raw: str | bytes) -> None:
        """One raw gateway message: the dispatches the core hears about, translated; its seq
        counts as handled (session.py) once the core has them."""
        try:
            payload = json.loads(raw)
        except ValueError:
            return
        if not isinstance(payload, dict) or self._paused:
            return
        kind, data, seq = payload.get("t"), payload.get("d"), payload.get("s")
        if kind == "READY" and isinstance(data, dict):
            away_since = self.session.last_alive
            self.session.started(str(data.get("session_id")), str(data.get("resume_gateway_url")))
            self.catch_up.begin(away_since)  # what was missed before this session, read before it is heard
        ticket = self.session.begin(seq) if isinstance(seq, int) else None
        try:
            if kind in ("READY", "RESUMED"):
                if kind == "RESUMED" and not self.client.guilds:
                    self.refill.start()  # a session this process did not open: no server known
                self._ready.set()
            elif kind in DISPATCHES and isinstance(data, dict):
                await self._deliver(kind, data)
        except Exception:
            logger.exception("Discord %s could not be handled", kind)
            return  # not counted as handled: a resume replays it
        if ticket is not None:
            self.session.done(ticket)

    async def _deliver(self, kind: str, data: dict[str, Any]) -> None:
        """A dispatch (from the gateway or caught up from REST) to the core; raises if the core
        could not take it."""
        if self.identity is None:
            return
        await self.catch_up.gate()
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

    async def perform(self, action: Action) -> Delivered | None:
        await self.refill.wait()
        return await self.sender.perform(action)

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """An attachment or avatar from Discord's CDN (never with the token; nothing elsewhere)."""
        return await self.media.fetch(ref, max_bytes)

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        if conversation.is_direct:
            return None
        await self.refill.wait()
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
        await self.refill.wait()
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
    finally:
        await client.close()
    missing = missing_intents(app.flags)
    invite = discord.utils.oauth_url(
        app.id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )
    return DiscordFacts(str(client.user or app.name), invite, missing)
