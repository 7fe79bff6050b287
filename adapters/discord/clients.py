"""discord.py's client, made to resume kept sessions and to pause; one shard or several.

How discord.py is made to resume a session it did not open: `Client.connect()` runs its loop
(heartbeats, RECONNECT, INVALID_SESSION, backoff) around `DiscordWebSocket.from_client(client,
**ws_params)`, starting with `initial=True` and no session, so it always IDENTIFYs first; an
`AutoShardedClient` launches each of its shards the same way (`launch_shard`, then each shard's
own reconnects). Rather than copy those loops, the clients here set what they read:
`discord.client.DiscordWebSocket` and `discord.shard.DiscordWebSocket` become
`ResumingWebSocket`, whose `from_client` turns a shard's first connection into a RESUME (op 6
to the kept `resume_gateway_url`, with the kept session id and sequence) when the client holds a
point for that shard (`resume_from`, keyed by shard id; None for the unsharded client), and
raises `Paused` once the adapter paused. Every other client, and every later connection,
passes through unchanged, so discord.py's own reconnects and its fallback to IDENTIFY after
INVALID_SESSION stay its own.

Each raw frame is handed on with the shard it came on (`shard_raw_receive`: discord.py's own
`socket_raw_receive` does not say), so that each shard's sequence is kept apart.

Paused, the unsharded loop ends on `Paused`; the sharded one would close the whole client (REST
too) on any error of a shard, so `ShardedGatewayClient.close` does nothing while paused and not
yet stopped: answers in flight can still be sent, and `stop()` closes it for good.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
import discord.client
import discord.shard
import yarl
from discord.gateway import DiscordWebSocket

logger = logging.getLogger(__name__)

RAW_EVENT = "shard_raw_receive"  # dispatched as (shard id or None, raw frame): on_shard_raw_receive


class Paused(Exception):
    """The adapter paused: discord.py's connect loop ends instead of connecting again."""


class Resumable:
    """What both clients hold: the kept points to resume from, and whether the adapter paused."""

    sharded = False

    def _setup_resumable(self) -> None:
        self.resume_from: dict[int | None, Any] = {}  # shard id (None: unsharded) -> SessionPoint
        self.paused = False
        self.stopping = False

    def take_resume_point(self, shard_id: int | None) -> Any:
        """The point to resume `shard_id` from, once (a later connection is discord.py's own)."""
        return self.resume_from.pop(shard_id, None)


class ResumingWebSocket(DiscordWebSocket):
    """discord.py's gateway websocket; see the module's docstring for what it changes."""

    @classmethod
    async def from_client(
        cls,
        client: discord.Client,
        *,
        initial: bool = False,
        gateway: yarl.URL | None = None,
        shard_id: int | None = None,
        session: str | None = None,
        sequence: int | None = None,
        resume: bool = False,
        **options: Any,
    ) -> ResumingWebSocket:
        if isinstance(client, Resumable):
            if client.paused:
                raise Paused
            first = initial or client.sharded  # a shard's launch; the unsharded loop's first connect
            point = client.take_resume_point(shard_id) if first and not resume else None
            if point is not None:
                logger.info(
                    "Discord: resuming gateway session %s at seq %d%s",
                    point.session_id,
                    point.seq,
                    "" if shard_id is None else f" (shard {shard_id})",
                )
                gateway, session, sequence = yarl.URL(point.resume_url), point.session_id, point.seq
                resume = True
        return await super().from_client(
            client,
            initial=initial,
            gateway=gateway,
            shard_id=shard_id,
            session=session,
            sequence=sequence,
            resume=resume,
            **options,
        )

    def debug_log_receive(self, data: Any, /) -> None:
        super().debug_log_receive(data)  # discord.py's on_socket_raw_receive, for anyone listening
        self._dispatch(RAW_EVENT, self.shard_id, data)


class GatewayClient(Resumable, discord.Client):
    """discord.Client (one gateway session) whose connect loop can start by resuming a kept
    session, and be ended without closing REST (`paused`: answers still in flight can be sent)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._setup_resumable()
        discord.client.DiscordWebSocket = ResumingWebSocket  # type: ignore[misc]


class ShardedGatewayClient(Resumable, discord.AutoShardedClient):
    """discord.AutoShardedClient (`shard_ids` of `shard_count`) whose shards each start by
    resuming their own kept session, and which pauses as GatewayClient does."""

    sharded = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._setup_resumable()
        discord.shard.DiscordWebSocket = ResumingWebSocket  # type: ignore[misc]

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        if self.paused:  # discord.py retries a shard that failed to launch, forever
            raise Paused
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def close(self) -> None:
        if self.paused and not self.stopping:
            return  # discord.py's loop closing everything on a shard's error: see the docstring
        await super().close()


def sockets(client: discord.Client) -> list[DiscordWebSocket]:
    """The client's gateway websockets: one per shard it runs (one for an unsharded client)."""
    if isinstance(client, discord.AutoShardedClient):
        return [client._get_websocket(shard_id=shard_id) for shard_id in client.shards]
    return [client.ws] if client.ws is not None else []


async def close_gateway(client: discord.Client) -> None:
    """Close each websocket with 4000 (Discord ends a session closed with 1000 or 1001), and with
    it its keep-alive thread."""
    for ws in sockets(client):
        if ws.open:
            await ws.close(code=4000)
        elif ws._keep_alive is not None:
            ws._keep_alive.stop()


def guard_parsers(client: discord.Client) -> None:
    """discord.py's parsers (state.py) trust each dispatch; one that raises ends `connect()` and
    with it the session (and leaks its keep-alive thread). Wrapped, a malformed dispatch is
    logged in one line and skipped: the session, its sequence and what follows go on."""
    parsers: dict[str, Any] = client._connection.parsers

    def guarded(event: str, parse: Any) -> Any:
        def parse_safely(data: Any) -> None:
            try:
                parse(data)
            except Exception as exc:
                logger.warning("Discord: skipped a malformed %s dispatch (%s)", event, type(exc).__name__)
                logger.debug("the malformed %s dispatch: %r", event, exc)

        parse_safely.__wrapped__ = parse  # type: ignore[attr-defined]
        return parse_safely

    for event, parse in list(parsers.items()):
        if not hasattr(parse, "__wrapped__"):
            parsers[event] = guarded(event, parse)
