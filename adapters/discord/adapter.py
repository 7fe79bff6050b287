"""Parley on Discord: discord.py's client in, the shared events to the core.

Messages are read from the gateway's raw dispatches (the same JSON the pure translation is
tested on); discord.py keeps the cache (channels, threads, members, permissions) and does the
REST calls with its own rate-limit handling. Answers stream by editing one message, paced per
channel; the `/parley` application command (commands.py) carries the shared commands, answered
privately (ephemeral) where the command asks for it, else in the member's DM. Images come from
Discord's CDN and go out as attachments (media.py); what Parley cannot see in a channel is told
by access.py; `group @ann bob` from a DM starts a private thread with them (groups.py).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterable
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
from adapters.discord.commands import channel_kind, command_of, parley_group
from adapters.discord.events import ChannelKind, DiscordIdentity, translate
from adapters.discord.groups import GroupStarter
from adapters.discord.media import DISCORD_CDN, CdnImages, caption, image_name
from adapters.discord.render import safe_text, split_discord
from adapters.discord.sending import NO_MENTIONS, DiscordSender, reference_to
from facilitator.actions import (
    Action,
    Delivered,
    EditMessage,
    React,
    SendImage,
    SendMessage,
    ShowTyping,
    StartGroup,
    StreamMessage,
)
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
DISCORD_API = "https://discord.com/api/v10"
__all__ = ["INVITE_PERMISSIONS", "DiscordAdapter", "DiscordConfig", "DiscordStartError", "discord_facts"]


class DiscordStartError(RuntimeError):
    """Discord would not let the bot start; the text says what to fix (never the token)."""


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str
    mention_role_ids: tuple[str, ...] = ()  # a mention of these roles addresses the AI too
    admin_role_ids: tuple[str, ...] = ()  # besides Manage Server, who may change settings
    edit_seconds: float = 1.0  # a growing answer is edited at most this often per channel
    # Over the group size limit: "offer" a thread in the notice, or "create" one from the message.
    size_limit_thread: str = "offer"
    group_channel_id: str | None = None  # where `group` from a DM starts private threads
    ready_timeout: float = 60.0
    guild_ready_timeout: float = 2.0
    api_base_url: str = DISCORD_API
    gateway_url: str | None = None
    cdn_base_url: str = DISCORD_CDN  # where attachments and avatars are downloaded from


def _point_at(config: DiscordConfig) -> None:
    """discord.py keeps its REST base and gateway as class attributes: one bot per process."""
    if config.api_base_url != DISCORD_API:
        discord.http.Route.BASE = config.api_base_url.rstrip("/")
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class DiscordAdapter:
    platform = "discord"

    def __init__(self, core: EventSink, config: DiscordConfig) -> None:
        self._core = core
        self.config = config
        _point_at(config)
        # Kept: discord.py identifies with this very object, so start() can drop an intent the
        # developer portal has not granted before connecting.
        self._intents = discord.Intents.default()
        self._intents.message_content = True
        self._intents.members = True
        self.client = discord.Client(
            intents=self._intents,
            enable_debug_events=True,  # the raw dispatches: see _on_raw
            chunk_guilds_at_startup=False,
            guild_ready_timeout=config.guild_ready_timeout,
            allowed_mentions=NO_MENTIONS,
        )
        self.tree = app_commands.CommandTree(self.client)
        self.tree.add_command(parley_group(self._on_command))
        self.client.event(self.on_socket_raw_receive)
        self.images = CdnImages(config.cdn_base_url)
        self.groups = GroupStarter(self.client, config.group_channel_id)
        self.identity: DiscordIdentity | None = None
        self._missing: tuple[str, ...] = ()  # privileged intents the developer portal has not granted
        self._ready = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._sender = DiscordSender(config.edit_seconds)
        self._interactions: dict[str, discord.Interaction] = {}  # event id -> interaction to answer

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
        logger.info("Discord: %s in %d server(s)", self.client.user, len(self.client.guilds))

    async def _connect(self) -> None:
        """Stay connected. discord.py's own parsers do not guard against a malformed dispatch:
        one ends `connect()` with an exception, so the connection is opened again (a new
        session, so the bad dispatch is not replayed) instead of leaving the bot deaf."""
        failures = 0
        while not self.client.is_closed():
            try:
                await self.client.connect(reconnect=True)
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
                await asyncio.sleep(min(2 ** (failures - 1), 30))

    async def stop(self) -> None:
        await self.images.close()
        await self.client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)

    # --- events in --------------------------------------------------------------------------

    async def on_socket_raw_receive(self, raw: str | bytes) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            return
        if not isinstance(payload, dict):
            return
        kind, data = payload.get("t"), payload.get("d")
        if kind == "READY":
            self._ready.set()
            return
        if kind not in DISPATCHES or not isinstance(data, dict) or self.identity is None:
            return
        for event in translate(kind, data, self.identity, self._kind(data)):
            try:
                await self._core.handle(event, self)
            except Exception:
                logger.exception("Discord %s could not be handled", kind)

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
        return any(str(role.id) in self.config.admin_role_ids for role in member.roles)

    async def _on_command(self, interaction: discord.Interaction, text: str) -> None:
        command = command_of(interaction, text, self._is_admin(interaction.user))
        if command is None:
            return
        self._interactions[command.event_id] = interaction
        await self._core.handle(command, self)
        pending = self._interactions.pop(command.event_id, None)
        if pending is not None:
            await self._reply(pending, "Done.", ephemeral=True)

    # --- actions out ------------------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, SendMessage):
            answered = await self._answer_interaction(action)
            if answered or (action.private_to is not None and await self._send_privately(action)):
                return None
            if action.notice == "size_limit" and not action.conversation.is_direct:
                return await self._offer_thread(action)
            return Delivered(tuple(await self._send(action.conversation, action.text, action.reply_to)))
        if isinstance(action, StartGroup):
            await self._start_group(action)
            return None
        if isinstance(action, StreamMessage):
            return Delivered(tuple(await self._stream(action.conversation, action.chunks, action.reply_to)))
        channel = await self._channel(action.conversation)
        if isinstance(action, SendImage):
            text = caption(action.caption)
            sent = await channel.send(
                text or None,
                file=discord.File(io.BytesIO(action.data), filename=image_name(action)),
                reference=reference_to(channel, action.reply_to),
                allowed_mentions=NO_MENTIONS,
            )
            return Delivered(((str(sent.id), text),))
        if isinstance(action, ShowTyping):
            await channel.typing()
        elif isinstance(action, React):
            message = channel.get_partial_message(int(action.message_id))
            await message.add_reaction(self._emoji(channel, action.emoji))
        elif isinstance(action, EditMessage):
            message = channel.get_partial_message(int(action.message_id))
            await message.edit(content=split_discord(safe_text(action.text))[0])
        return None

    async def _offer_thread(self, action: SendMessage) -> Delivered:
        """Too many people here for the AI: a thread is a smaller group, and the channel stays
        as it was. Offered in the notice, or (if configured) started from the message."""
        channel = await self._channel(action.conversation)
        if (
            self.config.size_limit_thread == "create"
            and action.reply_to
            and not isinstance(channel, discord.Thread)
        ):
            try:
                thread = await channel.get_partial_message(int(action.reply_to)).create_thread(name="Parley")
            except discord.HTTPException as exc:
                logger.info("could not start a thread in %s: %s", channel.id, exc)
            else:
                await thread.send(
                    "A thread is a smaller group: mention me here and I'll join in.",
                    allowed_mentions=NO_MENTIONS,
                )
                text = f"{action.text} I've started a thread for this: {thread.mention}"
                return Delivered(tuple(await self._send(action.conversation, text, action.reply_to)))
        text = f"{action.text} A thread is a smaller group: start one from your message and mention me there."
        return Delivered(tuple(await self._send(action.conversation, text, action.reply_to)))

    async def _start_group(self, action: StartGroup) -> None:
        """The private thread for `group` (groups.py); the outcome is told in the DM, through the
        `/parley group` interaction when it came that way (deferred: it may take a few calls)."""
        interaction = self._interactions.get(self._pending_in(action.conversation) or "")
        if interaction is not None and not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        text = await self.groups.start(action)  # raises only for the unexpected: the core says sorry
        key = self._pending_in(action.conversation)
        if key is not None:
            await self._reply(self._interactions.pop(key), text, ephemeral=False)
            return
        channel = await self._channel(action.conversation)
        for part in split_discord(text):  # its own words: a <#thread> link must stay a link
            await channel.send(part, allowed_mentions=NO_MENTIONS)

    def _pending_in(self, conversation: ConversationRef) -> str | None:
        """The `/parley` command under way in a DM, if any (its event id)."""
        if not conversation.is_direct:
            return None
        for key, interaction in self._interactions.items():
            if str(interaction.channel_id) == conversation.chat_id:
                return key
        return None

    async def _answer_interaction(self, action: SendMessage) -> bool:
        """A command's answer goes back through its own interaction (privately when it should);
        in a DM, an answer to nothing in particular (a failed `group`) goes to the one under way."""
        key = action.reply_to if action.reply_to in self._interactions else None
        if key is None and action.reply_to is None:
            key = self._pending_in(action.conversation)
        interaction = self._interactions.pop(key or "", None)
        if interaction is None:
            return False
        text = split_discord(safe_text(action.text))[0]
        await self._reply(interaction, text, ephemeral=action.private_to is not None)
        return True

    async def _reply(self, interaction: discord.Interaction, text: str, *, ephemeral: bool) -> None:
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            await interaction.edit_original_response(content=text)  # in place of "thinking..."
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(text, ephemeral=ephemeral)

    async def _send_privately(self, action: SendMessage) -> bool:
        """A private answer to a command typed as a message in a server: in the member's DM
        (false when they do not take DMs from server members: then it is posted as usual)."""
        if action.conversation.is_direct or action.private_to is None:
            return False
        try:
            user_id = int(action.private_to.user_id)
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            dm = user.dm_channel or await user.create_dm()
            for part in split_discord(safe_text(action.text)):
                await dm.send(part, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            logger.info("could not DM %s: %s", action.private_to.user_id, exc)
            return False
        return True

    async def _channel(self, conversation: ConversationRef) -> Any:
        channel = self.client.get_channel(int(conversation.chat_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(conversation.chat_id))
        return channel

    async def _send(
        self, conversation: ConversationRef, text: str, reply_to: str | None
    ) -> list[tuple[str, str]]:
        return await self._sender.send(await self._channel(conversation), text, reply_to)

    async def _stream(
        self, conversation: ConversationRef, chunks: AsyncIterable[str], reply_to: str | None
    ) -> list[tuple[str, str]]:
        return await self._sender.stream(await self._channel(conversation), conversation, chunks, reply_to)

    def _emoji(self, channel: Any, emoji: str) -> str | discord.Emoji:
        """Unicode as it is; a server's custom emoji by its name (`:party_parrot:`)."""
        name = emoji.strip(":")
        guild = getattr(channel, "guild", None)
        if guild is not None and emoji.startswith(":"):
            found: discord.Emoji | None = discord.utils.get(guild.emojis, name=name)
            if found is not None:
                return found
        return emoji

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """An attachment or avatar from Discord's CDN (never with the token; nothing elsewhere)."""
        return await self.images.fetch(ref, max_bytes)

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        if conversation.is_direct:
            return None
        try:
            channel = await self._channel(conversation)
        except (discord.Forbidden, discord.NotFound):
            return (
                "I cannot see this channel. A server admin can fix that in the channel's settings, under "
                "Permissions: give my role View Channel and Read Message History."
            )
        return blind_spots(channel, reads_content=self._intents.message_content)

    async def count_members(self, conversation: ConversationRef) -> int | None:
        if conversation.is_direct:
            return 1
        channel = await self._channel(conversation)
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


async def discord_facts(config: DiscordConfig) -> DiscordFacts:
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
