"""The Discord gateway (v10) of the fake: one websocket endpoint that discord.py connects to.

It speaks the documented protocol: HELLO (op 10); heartbeats (op 1) acknowledged (op 11);
IDENTIFY (op 2) checked (token → close 4004, privileged intents the application lacks → close
4014 "Disallowed intent(s)", which discord.py turns into PrivilegedIntentsRequired) and answered
with READY then one GUILD_CREATE per guild; REQUEST_GUILD_MEMBERS (op 8) answered with
GUILD_MEMBERS_CHUNK; RESUME (op 6) replaying every dispatch after the client's `seq`, then RESUMED;
RECONNECT (op 7) and INVALID_SESSION (op 9) on request; a client that closes with 1000 or 1001
ends its session, as on Discord (other codes, 4000 say, leave it resumable; `client_closes` keeps
each code). Dispatches carry increasing `s` per
session and are kept, so a client that resumes gets what it missed while away — and a test can
ask for dispatches it already had to be replayed (`replay_after`), to check an adapter does not
answer a message twice.

Events are filtered by the session's intents as Discord filters them, and without the message
content intent MESSAGE_CREATE/UPDATE in guilds arrive with empty content (unless they mention the
bot or are its own). Frames are text JSON; with `compress_frames` and `compress=zlib-stream` they are
binary, from one zlib stream per connection flushed with Z_SYNC_FLUSH, as Discord sends them.

Shards as Discord documents them: IDENTIFY's `"shard": [shard_id, num_shards]` (an id outside
0..num_shards-1 is closed with 4010 "Invalid shard."); a server belongs to shard
`(guild_id >> 22) % num_shards`, and READY's `guilds`, its GUILD_CREATEs and every event of
that server go to that shard's session only; DMs go to shard 0 alone. Each shard's newest
session is `current[(shard_id, num_shards)]` (an unsharded session is (0, 1), which owns every
server); each resumes on its own. `session` stays the newest session of any shard.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import JSON, PRIVILEGED_INTENTS, DiscordWorld, Intent

TRACE = ['["gateway-prd-fake-1",{"micros":1200,"calls":[]}]']
CLOSE_REASONS = {
    4001: "Unknown opcode.",
    4002: "Decode error.",
    4003: "Not authenticated.",
    4004: "Authentication failed.",
    4005: "Already authenticated.",
    4007: "Invalid seq.",
    4009: "Session timed out.",
    4010: "Invalid shard.",
    4011: "Sharding required.",
    4013: "Invalid intent(s).",
    4014: "Disallowed intent(s).",
}
GUILD_EVENTS = {
    "GUILD_CREATE",
    "GUILD_UPDATE",
    "GUILD_DELETE",
    "GUILD_ROLE_CREATE",
    "GUILD_ROLE_UPDATE",
    "GUILD_ROLE_DELETE",
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "THREAD_CREATE",
    "THREAD_UPDATE",
    "THREAD_DELETE",
    "THREAD_LIST_SYNC",
    "THREAD_MEMBER_UPDATE",
}
MEMBER_EVENTS = {"GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"}
BY_PLACE = {  # event -> (intent in a guild, intent in DMs)
    "MESSAGE_CREATE": (Intent.GUILD_MESSAGES, Intent.DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (Intent.GUILD_MESSAGES, Intent.DIRECT_MESSAGES),
    "MESSAGE_DELETE": (Intent.GUILD_MESSAGES, Intent.DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (Intent.GUILD_MESSAGE_REACTIONS, Intent.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (Intent.GUILD_MESSAGE_REACTIONS, Intent.DIRECT_MESSAGE_REACTIONS),
    "TYPING_START": (Intent.GUILD_MESSAGE_TYPING, Intent.DIRECT_MESSAGE_TYPING),
}


def required_intent(event: str, data: Any) -> int:
    """The intent a session needs to receive `event` (0: always sent)."""
    if event in GUILD_EVENTS:
        return Intent.GUILDS
    if event in MEMBER_EVENTS:
        return Intent.GUILD_MEMBERS
    if event == "PRESENCE_UPDATE":
        return Intent.GUILD_PRESENCES
    if event in BY_PLACE:
        in_guild = isinstance(data, dict) and bool(data.get("guild_id"))
        return BY_PLACE[event][0 if in_guild else 1]
    return 0


def guild_of(event: str, data: Any) -> int | None:
    """The server an event is about (None: a DM, or nothing of a server's)."""
    if not isinstance(data, dict):
        return None
    raw = data.get("guild_id")
    if raw is None and event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        raw = data.get("id")
    return int(raw) if raw is not None and str(raw).isdigit() else None


def _valid_shard(shard: Any) -> bool:
    """[shard_id, num_shards] with 0 <= shard_id < num_shards."""
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
        and 0 <= shard[0] < shard[1]
    )


@dataclass
class GatewaySession:
    """One identified session: what it asked for and every dispatch sent to it, by `s`."""

    id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    log: list[JSON] = field(default_factory=list)  # op 0 frames, in order
    sources: list[tuple[object, int]] = field(default_factory=list)  # (payload given, s)
    connection: Connection | None = None

    @property
    def key(self) -> tuple[int, int]:
        """(shard_id, num_shards); an unsharded session is (0, 1)."""
        return (self.shard[0], self.shard[1]) if self.shard is not None else (0, 1)

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session hears the server's events (None: DMs, shard 0's alone)."""
        shard_id, num_shards = self.key
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % num_shards == shard_id

    def stamp(self, event: str, data: Any, source: Any = None) -> JSON:
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.log.append(frame)
        self.sources.append((data if source is None else source, self.seq))
        return frame


@dataclass
class Connection:
    """One websocket: frames go out one at a time, through the connection's zlib stream if any."""

    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    compressor: Any = None
    session: GatewaySession | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed_by_us: bool = False

    async def send(self, frame: JSON) -> None:
        async with self.lock:
            await self.send_locked(frame)

    async def send_locked(self, frame: JSON) -> None:
        if self.ws.closed:
            return
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        try:
            if self.compressor is None:
                await self.ws.send_str(text)
            else:
                data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
        except (ConnectionError, RuntimeError):
            pass  # the client is gone; what it missed stays in the session's log for a RESUME

    async def close(self, code: int, reason: str | None = None) -> None:
        self.closed_by_us = True
        await self.ws.close(code=code, message=(reason or CLOSE_REASONS.get(code, "")).encode())


@dataclass
class DiscordGateway:
    world: DiscordWorld
    heartbeat_interval: int = 41_250  # milliseconds, as Discord sends
    compress_frames: bool = False  # binary zlib-stream frames when the client asks for them
    port: int = 0
    connections: list[JSON] = field(default_factory=list)  # {"path", "query"} of each connect
    received: list[JSON] = field(default_factory=list)  # every frame the client sent
    identifies: list[JSON] = field(default_factory=list)  # IDENTIFY `d`s
    resumes: list[JSON] = field(default_factory=list)  # RESUME `d`s that the fake accepted
    member_requests: list[JSON] = field(default_factory=list)  # REQUEST_GUILD_MEMBERS `d`s
    client_closes: list[int | None] = field(default_factory=list)  # close codes the client sent
    sessions: dict[str, GatewaySession] = field(default_factory=dict)  # resumable ones, by id
    session: GatewaySession | None = None  # the newest one, of any shard
    current: dict[tuple[int, int], GatewaySession] = field(default_factory=dict)  # where dispatches go
    _live: list[Connection] = field(default_factory=list)
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    _replay_after: int | None = None
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._gate.set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_url(self) -> str:
        """READY's resume_gateway_url: another path of this fake, so tests can see it was used."""
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._socket)
        app.router.add_get("/gateway-resume", self._socket)

    async def close_all(self) -> None:
        self._gate.set()
        for connection in list(self._live):
            await connection.close(1001, "Going away")

    # ------------------------------------------------------------ dispatching

    async def dispatch(self, event: str, data: Any, *, source: Any = None) -> JSON | None:
        """Send an op 0 event to the current session of the shard its server is on (kept for
        replay if the client is away). Returns the frame, or None when no session hears it (none
        on that shard, or its intents exclude the event)."""
        sent: JSON | None = None
        guild_id = guild_of(event, data)
        for session in list(self.current.values()):
            if not session.owns(guild_id):
                continue
            if (need := required_intent(event, data)) and not session.intents & need:
                continue
            frame = session.stamp(event, self._as_seen(session, event, data), source)
            if session.connection is not None:
                await session.connection.send(frame)
            sent = sent or frame
        self._wake()
        return sent

    def shard_session(self, shard_id: int | None = None) -> GatewaySession | None:
        """The current session of shard `shard_id` (None: the newest session of any shard)."""
        if shard_id is None:
            return self.session
        return next((s for key, s in self.current.items() if key[0] == shard_id), None)

    async def dispatch_raw(self, frame: JSON) -> JSON | None:
        """Send `frame` as it is — unknown events, missing fields — with op 0 unless it has an op,
        and the session's next `s`; no intent filtering."""
        session = self.session
        if session is None:
            return None
        session.seq += 1
        sent = {"op": 0, **frame, "s": session.seq}
        session.log.append(sent)
        session.sources.append((frame, session.seq))
        if session.connection is not None:
            await session.connection.send(sent)
        self._wake()
        return sent

    def _as_seen(self, session: GatewaySession, event: str, data: Any) -> Any:
        """Without the message content intent, guild messages come without their content unless
        they mention the bot or are the bot's own (DMs always carry it)."""
        data = copy.deepcopy(data)
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and isinstance(data, dict)
            and data.get("guild_id")
            and not session.intents & Intent.MESSAGE_CONTENT
        ):
            bot = str(self.world.bot_id)
            mentioned = any(user.get("id") == bot for user in data.get("mentions", []))
            if data.get("author", {}).get("id") != bot and not mentioned:
                data.update(content="", embeds=[], attachments=[], components=[])
                data.pop("poll", None)
        return data

    def seq_of(self, payload: Any) -> int:
        """The `s` the current session of its shard gave to `payload` (as returned by a dispatch
        helper)."""
        for session in self.current.values():
            for source, seq in reversed(session.sources):
                if source is payload:
                    return int(seq)
        raise LookupError("that payload was not dispatched to a current session")

    # ------------------------------------------------------------ what tests do

    async def reconnect(
        self,
        *,
        resume: bool = True,
        close_code: int | None = None,
        replay_after: int | None = None,
        hold: bool = False,
        within: float = 5.0,
        shard: int | None = None,
    ) -> None:
        """Make the client reconnect: op 7 RECONNECT, or a close with `close_code` (4000 and the
        like are resumable). `resume=False` forgets the session first, so the RESUME attempt gets
        INVALID_SESSION and the client identifies again. `replay_after` makes the coming RESUME
        replay from that `s` instead of the client's. `hold` keeps new connections waiting before
        HELLO until `release()`, so dispatches made meanwhile are replayed. `shard`: that shard's
        session (default: the newest). Returns once the old connection is closed."""
        session = await self._until(lambda: self.shard_session(shard), within, "gateway session")
        connection = await self._until(lambda: session.connection, within, "gateway connection")
        if not resume:
            self.sessions.pop(session.id, None)
        self._replay_after = replay_after
        if hold:
            self._gate.clear()
        if close_code is None:
            await connection.send({"op": 7, "d": None})
        else:
            await connection.close(close_code, "Reconnect")
        await self._until(lambda: connection not in self._live, within, "the client to disconnect")

    def release(self) -> None:
        """Let connections held by `reconnect(hold=True)` proceed (HELLO is sent)."""
        self._gate.set()

    async def invalid_session(
        self, resumable: bool = False, *, within: float = 5.0, shard: int | None = None
    ) -> None:
        """Send op 9 INVALID_SESSION (to `shard`'s session; default: the newest). Not resumable:
        the session is forgotten and the client must identify again (a new READY follows)."""
        session = await self._until(lambda: self.shard_session(shard), within, "gateway session")
        connection = await self._until(lambda: session.connection, within, "gateway connection")
        if not resumable:
            self.sessions.pop(session.id, None)
        await connection.send({"op": 9, "d": resumable})

    async def _until(self, ready: Callable[[], Any], within: float, what: str) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while not (found := ready()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {within} s")
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass
        return found

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    # ------------------------------------------------------------ the socket

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compressed = self.compress_frames and request.query.get("compress") == "zlib-stream"
        connection = Connection(
            ws, request.path, dict(request.query), zlib.compressobj() if compressed else None
        )
        self.connections.append({"path": request.path, "query": dict(request.query)})
        self._live.append(connection)
        self._wake()
        try:
            await self._gate.wait()
            hello = {"heartbeat_interval": self.heartbeat_interval, "_trace": TRACE}
            await connection.send({"op": 10, "s": None, "t": None, "d": hello})
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_frame(connection, message.data)
                elif message.type == WSMsgType.BINARY:  # clients send text; Discord rejects the rest
                    await connection.close(4002)
        finally:
            self._live.remove(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
            if not connection.closed_by_us:
                self.client_closes.append(ws.close_code)
                if session is not None and ws.close_code in (1000, 1001):
                    self.sessions.pop(session.id, None)  # a clean close ends the session on Discord
            self._wake()
        return ws

    async def _on_frame(self, connection: Connection, text: str) -> None:
        try:
            frame = json.loads(text)
            op, data = frame["op"], frame.get("d")
        except (ValueError, TypeError, KeyError):
            await connection.close(4002)
            return
        self.received.append(frame)
        self._wake()
        if op == 1:
            await connection.send({"op": 11, "d": None})
        elif op == 2:
            await self._identify(connection, data or {})
        elif op == 6:
            await self._resume(connection, data or {})
        elif connection.session is None:
            await connection.close(4003)
        elif op == 8:
            await self._request_members(connection.session, data or {})
        elif op not in (3, 4):  # presence and voice state updates are accepted and ignored
            await connection.close(4001)

    async def _identify(self, connection: Connection, data: JSON) -> None:
        if connection.session is not None:
            await connection.close(4005)
            return
        if data.get("token") != self.world.token:
            await connection.close(4004)
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await connection.close(4013)
            return
        if intents & PRIVILEGED_INTENTS & ~self.world.privileged_intents:
            await connection.close(4014)
            return
        shard = data.get("shard")
        if shard is not None and not _valid_shard(shard):
            await connection.close(4010)
            return
        self.identifies.append(data)
        session = GatewaySession(secrets.token_hex(16), intents, shard)
        self.sessions[session.id] = session
        self.session = self.current[session.key] = session
        async with connection.lock:
            connection.session, session.connection = session, connection
            await connection.send_locked(session.stamp("READY", self._ready(session)))
            for guild_id in self.world.guilds:
                if intents & Intent.GUILDS and session.owns(guild_id):
                    frame = session.stamp("GUILD_CREATE", self.world.guild_create(guild_id))
                    await connection.send_locked(frame)
        self._wake()

    def _ready(self, session: GatewaySession) -> JSON:
        bot = {**self.world.bot_user, "verified": True, "mfa_enabled": False, "email": None, "flags": 0}
        ready: JSON = {
            "v": 10,
            "user_settings": {},
            "user": bot,
            "session_type": "normal",
            "session_id": session.id,
            "resume_gateway_url": self.resume_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guilds": [
                {"id": str(guild_id), "unavailable": True}
                for guild_id in self.world.guilds
                if session.owns(guild_id)
            ],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east", "us-central", "atlanta", "us-south", "us-west"],
            "auth": {},
            "application": {"id": str(self.world.application_id), "flags": self.world.application_flags},
            "_trace": TRACE,
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        return ready

    async def _resume(self, connection: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        if session is None or data.get("token") != self.world.token or seq > session.seq:
            await connection.send({"op": 9, "d": False})  # the client identifies anew
            return
        self.resumes.append(data)
        after = seq if self._replay_after is None else self._replay_after
        self._replay_after = None
        self.session = self.current[session.key] = session
        async with connection.lock:
            connection.session, session.connection = session, connection
            for frame in [frame for frame in session.log if frame["s"] > after]:
                await connection.send_locked(frame)
            await connection.send_locked(session.stamp("RESUMED", {"_trace": TRACE}))
        self._wake()

    async def _request_members(self, session: GatewaySession, data: JSON) -> None:
        self.member_requests.append(data)
        raw = data.get("guild_id")
        for guild_id in raw if isinstance(raw, list) else [raw]:
            members = list(self.world.members.get(int(guild_id or 0), {}).values())
            not_found: list[str] = []
            if data.get("user_ids"):
                wanted = [str(user_id) for user_id in data["user_ids"]]
                have = {member["user"]["id"] for member in members}
                members = [member for member in members if member["user"]["id"] in wanted]
                not_found = [user_id for user_id in wanted if user_id not in have]
            else:
                query = str(data.get("query") or "").lower()
                members = [
                    member
                    for member in members
                    if member["user"]["username"].lower().startswith(query)
                    or (member.get("nick") or "").lower().startswith(query)
                ]
                if data.get("limit"):
                    members = members[: int(data["limit"])]
            chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
            for index, chunk in enumerate(chunks):
                payload: JSON = {
                    "guild_id": str(guild_id),
                    "members": copy.deepcopy(chunk),
                    "chunk_index": index,
                    "chunk_count": len(chunks),
                }
                if not_found:
                    payload["not_found"] = not_found
                if data.get("presences"):
                    payload["presences"] = []
                if data.get("nonce") is not None:
                    payload["nonce"] = data["nonce"]
                frame = session.stamp("GUILD_MEMBERS_CHUNK", payload)
                if session.connection is not None:
                    await session.connection.send(frame)
