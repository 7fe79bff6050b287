"""A loopback fake of the Slack Web API and Socket Mode: the real slack_sdk clients talk to it.

Point the SDK at it with `AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)` and, for
Socket Mode, `SocketModeClient(app_token=fake.app_token, web_client=that_client)`. The fake
answers the methods Parley uses the way Slack does — HTTP 200 with `{"ok": true, ...}` or
`{"ok": false, "error": ...}`, HTTP 429 with Retry-After when rate limited — and validates what
Slack validates (no text, 40,000 characters, unknown channel or ts, reaction names, tokens), so
slack_sdk raises the same `SlackApiError`s it would in production.

Tests play the members with the builders of `SlackWorkspace` (slack_events.py), deliver what they
build over HTTP (signed with `sign`) or Socket Mode (`socket_send`), and read what the bot did
in `calls`, `posted()` (what members now see: edits and stream appends applied), `ephemeral`,
`statuses`, `responses`, `socket_acks`, and for files (slack_files.py) `downloads` and `uploads`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import secrets
import struct
import zlib
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_emoji import EMOJI
from tests.fakes.slack_events import (
    JSON,
    LOOPBACK_UNSTARTED,
    SlackWorkspace,
    add_reaction,
    encode_form,
    sign,
    ts_micros,
)
from tests.fakes.slack_files import FileMethods, SlackError
from tests.fakes.slack_manifest import bot_scopes

__all__ = ["FakeSlack", "SlackError", "encode_form", "sign"]

MAX_TEXT = 40_000  # chat.postMessage / chat.update: longer is msg_too_long
MAX_STREAM_TEXT = 12_000  # one markdown_text of the streaming methods
_PNG = b"\x89PNG\r\n\x1a\n" + b"".join(
    struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    for kind, data in (
        (b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)),
        (b"IDAT", zlib.compress(b"\x00\x9f\x69\xe7")),
        (b"IEND", b""),
    )
)


# What the bot token is granted: what docs/slack-manifest.yml asks for, read from it, so that a
# scope the code needs and the manifest lacks shows in the tests as it would in a workspace.
GRANTED_SCOPES = bot_scopes()


@dataclass
class FakeSlack(FileMethods, SlackWorkspace):
    bot_token: str = "xoxb-fake-bot-token"
    app_token: str = "xapp-fake-app-token"
    streaming_available: bool = True  # False: the streaming methods answer `streaming_error`
    streaming_error: str = "unknown_method"  # or "not_allowed", "feature_not_enabled"...
    custom_emoji: set[str] = field(default_factory=set)  # reaction names the workspace added
    scopes: list[str] = field(default_factory=lambda: list(GRANTED_SCOPES))  # the bot token's
    calls: list[tuple[str, JSON]] = field(default_factory=list)  # (method, params without token)
    ephemeral: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    statuses: list[JSON] = field(default_factory=list)  # assistant.threads.setStatus params, in order
    streams: dict[tuple[str, str], JSON] = field(default_factory=dict)  # (channel, ts) -> stream
    responses: defaultdict[str, list[JSON]] = field(default_factory=lambda: defaultdict(list))
    socket_acks: list[JSON] = field(default_factory=list)  # what the app acknowledged, in order
    socket_connections: list[JSON] = field(default_factory=list)  # {"id", "query"} of each connect
    downloads: list[JSON] = field(default_factory=list)  # {"file", "authorization", "served"} of each
    uploads: list[JSON] = field(default_factory=list)  # completed: file, channel, thread_ts, comment, data
    upload_tickets: dict[str, JSON] = field(default_factory=dict)  # upload URLs issued, not completed
    file_host_signs_in: bool = False  # True: downloads get the sign-in page whatever the token
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds before it answers
    _runner: web.AppRunner | None = None
    _failures: dict[str, deque[SlackError]] = field(default_factory=dict)
    _tickets: set[str] = field(default_factory=set)  # websocket URLs issued and not yet used
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _next_socket: int = 0
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    # ----------------------------------------------------------------- server

    @property
    def base_url(self) -> str:
        return f"{self.base_http}/api/"

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._dispatch)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_get("/socket/{id}", self._socket)
        app.router.add_get("/avatars/{name}", self._avatar)
        self.file_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # People and files added before the port was known
        for holder in [user["profile"] for user in self.users.values()] + list(self.files.values()):
            for key, value in holder.items():
                if isinstance(value, str) and value.startswith(LOOPBACK_UNSTARTED):
                    holder[key] = f"{self.base_http}/{value.removeprefix(LOOPBACK_UNSTARTED)}"
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        **extra: Any,
    ) -> None:
        """The next `times` calls of `method` fail: "ratelimited" is HTTP 429 with Retry-After;
        any other error is HTTP 200 (or `status`) with that error, as Slack answers."""
        status = status or (429 if error == "ratelimited" else 200)
        wait = retry_after if status == 429 else None
        queue = self._failures.setdefault(method, deque())
        queue.extend(SlackError(error, status, wait, **extra) for _ in range(times))

    def calls_of(self, method: str) -> list[JSON]:
        return [params for name, params in self.calls if name == method]

    def posted(self, channel: str | JSON, thread_ts: str | None = None) -> list[str]:
        """The texts of the bot's messages in `channel` (or in one thread), oldest first, as
        members see them now: updates and stream appends applied, deletions gone."""
        found = self.messages.get(channel if isinstance(channel, str) else channel["id"], {})
        return [
            message["text"]
            for ts, message in sorted(found.items(), key=lambda item: float(item[0]))
            if message.get("bot_id") == self.bot_id
            and (thread_ts is None or (message.get("thread_ts") == thread_ts and ts != thread_ts))
        ]

    def expire_stream(self, channel: str, ts: str) -> None:
        """End a stream as Slack does after about five minutes: appends then fail."""
        self.streams[(channel, ts)]["state"] = "expired"

    def responses_to(self, command: JSON) -> list[JSON]:
        """What the app posted to the response_url of a `slash_command()` form."""
        return self.responses[str(command["response_url"]).rsplit("/", 1)[-1]]

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
        token = token or params.pop("token", None)
        params.pop("token", None)
        self.calls.append((method, params))
        try:
            self._authenticate(method, token)
            failures = self._failures.get(method)
            if failures:
                raise failures.popleft()
            if self.delays.get(method):
                await asyncio.sleep(self.delays[method])
            handler = self._handlers().get(method)
            if handler is None:
                raise SlackError("unknown_method", req_method=method)
            result = await handler(params)
        except SlackError as error:
            return error.response()
        # Like Slack, every answer to a bot token names the scopes it was granted.
        return web.json_response({"ok": True, **result}, headers={"x-oauth-scopes": ",".join(self.scopes)})

    def _authenticate(self, method: str, token: str | None) -> None:
        app_level = method.startswith("apps.connections.")
        if not token:
            raise SlackError("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise SlackError("invalid_auth")
        if (token == self.app_token) != app_level:
            raise SlackError("not_allowed_token_type")

    def _handlers(self) -> dict[str, Callable[[JSON], Awaitable[JSON]]]:
        return {
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
            "reactions.add": self._reactions_add,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "assistant.threads.setStatus": self._set_status,
            "apps.connections.open": self._connections_open,
            **self.file_handlers(),
        }

    # ------------------------------------------------------------ who, where

    async def _auth_test(self, params: JSON) -> JSON:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    async def _team_info(self, params: JSON) -> JSON:
        icon = {
            f"image_{size}": f"{self.base_http}/avatars/{self.team_id}_{size}.png" for size in (34, 68, 132)
        }
        team = {"id": self.team_id, "name": self.team_name, "domain": self.team_domain}
        return {"team": {**team, "email_domain": "", "icon": {**icon, "image_default": True}}}

    async def _users_info(self, params: JSON) -> JSON:
        user = self.users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    async def _users_list(self, params: JSON) -> JSON:
        page, cursor = _page(sorted(self.users), params, default_limit=200)
        members = [copy.deepcopy(self.users[user_id]) for user_id in page]
        return {"members": members, "cache_ts": 1_764_072_000, "response_metadata": {"next_cursor": cursor}}

    def _visible(self, params: JSON, name: str = "channel") -> str:
        """A conversation the bot may see: public ones, or private ones it belongs to."""
        channel_id = str(params.get(name) or "")
        channel = self.channels.get(channel_id)
        if channel is None or (
            channel.get("is_private") and self.bot_user_id not in self.members[channel_id]
        ):
            raise SlackError("channel_not_found")
        return channel_id

    def _postable(self, params: JSON) -> str:
        """Where a chat.* call posts: a conversation id, "#name", or a user id (the bot's DM)."""
        target = str(params.get("channel") or "")
        if target.startswith("#"):
            target = next((c for c, v in self.channels.items() if v.get("name") == target[1:]), target)
        elif target[:1] in {"U", "W"} and target in self.users:
            target = self.im(target)["id"]
        channel_id = self._visible({"channel": target})
        if self.bot_user_id not in self.members[channel_id]:
            raise SlackError("not_in_channel")
        if self.channels[channel_id].get("is_archived"):
            raise SlackError("is_archived")
        return channel_id

    async def _conversations_info(self, params: JSON) -> JSON:
        channel_id = self._visible(params)
        channel = copy.deepcopy(self.channels[channel_id])
        if not channel.get("is_im"):
            channel["is_member"] = self.bot_user_id in self.members[channel_id]
            if _flag(params.get("include_num_members")):
                channel["num_members"] = len(self.members[channel_id])
        return {"channel": channel}

    async def _conversations_members(self, params: JSON) -> JSON:
        page, cursor = _page(self.members[self._visible(params)], params, default_limit=100)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    async def _conversations_replies(self, params: JSON) -> JSON:
        """A thread, its first message first (whatever `oldest` says, as Slack does), then the
        replies within oldest/latest, oldest first."""
        channel_id = self._visible(params)
        ts = str(params.get("ts") or "")
        parent = self.message(channel_id, ts)
        if parent is None:
            raise SlackError("thread_not_found")
        replies = [
            m
            for t, m in self.messages[channel_id].items()
            if m.get("thread_ts") == ts and t != ts and _within(t, params)
        ]
        thread = [parent, *sorted(replies, key=lambda message: ts_micros(message["ts"]))]
        page, cursor = _page(thread, params, default_limit=1000)
        return {
            "messages": copy.deepcopy(page),
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    async def _conversations_history(self, params: JSON) -> JSON:
        """A conversation's own messages (a thread's replies stay in the thread, unless also
        sent to the channel), newest first, within oldest/latest (exclusive unless `inclusive`)."""
        channel_id = self._visible(params)
        if self.bot_user_id not in self.members[channel_id]:
            raise SlackError("not_in_channel")
        found = [
            m
            for t, m in self.messages[channel_id].items()
            if (m.get("thread_ts") in (None, t) or m.get("subtype") == "thread_broadcast")
            and _within(t, params)
        ]
        found.sort(key=lambda message: ts_micros(message["ts"]), reverse=True)
        page, cursor = _page(found, params, default_limit=100)
        return {
            "messages": copy.deepcopy(page),
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    async def _conversations_open(self, params: JSON) -> JSON:
        if params.get("channel"):
            channel_id = str(params["channel"])
            channel = self.channels.get(channel_id)
            if channel is None or not (channel.get("is_im") or channel.get("is_mpim")):
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": copy.deepcopy(channel)}
        raw = params.get("users")
        users = [
            u.strip() for u in (raw if isinstance(raw, list) else str(raw or "").split(",")) if u.strip()
        ]
        users = [u for u in dict.fromkeys(users) if u != self.bot_user_id]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1 and "mpim:write" not in self.scopes:
            raise SlackError("missing_scope", needed="mpim:write", provided=",".join(self.scopes))
        if len(users) > 8:
            raise SlackError("too_many_users")
        if any(user not in self.users for user in users):
            raise SlackError("user_not_found")
        if any(self.users[user]["deleted"] for user in users):
            raise SlackError("user_disabled")
        known = set(self.channels)
        channel = self.im(users[0]) if len(users) == 1 else self.mpim(users)
        answer: JSON = {"channel": {"id": channel["id"]}}
        if channel["id"] in known:
            answer.update({"no_op": True, "already_open": True})
        if len(users) > 1 or _flag(params.get("return_im")):
            answer["channel"] = copy.deepcopy(channel)
        return answer

    # ---------------------------------------------------------------- posting

    def _bot_message(self, channel_id: str, text: str, params: JSON) -> JSON:
        message: JSON = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": self._next_ts(),
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": text,
            "team": self.team_id,
            "bot_profile": self._bot_profile(self.bot_id),
        }
        blocks = _json_value(params.get("blocks"))
        if blocks:
            message["blocks"] = blocks
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        return self._store(channel_id, message)

    def _own_message(self, params: JSON, refusal: str) -> tuple[str, JSON]:
        channel_id = self._visible(params)
        message = self.message(channel_id, str(params.get("ts") or ""))
        if message is None:
            raise SlackError("message_not_found")
        if message.get("bot_id") != self.bot_id:
            raise SlackError(refusal)
        return channel_id, message

    async def _post_message(self, params: JSON) -> JSON:
        channel_id = self._postable(params)
        text = _message_text(params)
        message = self._bot_message(channel_id, text, params)
        return {"channel": channel_id, "ts": message["ts"], "message": copy.deepcopy(message)}

    async def _update(self, params: JSON) -> JSON:
        channel_id, message = self._own_message(params, "cant_update_message")
        text = _message_text(params)
        message.update({"text": text, "edited": {"user": self.bot_user_id, "ts": self._next_ts()}})
        blocks = _json_value(params.get("blocks"))
        if blocks:
            message["blocks"] = blocks
        answer = {"channel": channel_id, "ts": message["ts"], "text": text}
        return {**answer, "message": copy.deepcopy(message)}

    async def _delete(self, params: JSON) -> JSON:
        channel_id, message = self._own_message(params, "cant_delete_message")
        del self.messages[channel_id][message["ts"]]
        return {"channel": channel_id, "ts": message["ts"]}

    async def _post_ephemeral(self, params: JSON) -> JSON:
        channel_id = self._postable(params)
        user_id = str(params.get("user") or "")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        if user_id not in self.members[channel_id]:
            raise SlackError("user_not_in_channel")
        self.ephemeral[user_id].append(_message_text(params))
        return {"message_ts": self._next_ts()}

    async def _reactions_add(self, params: JSON) -> JSON:
        channel_id = self._visible(params)
        if not params.get("timestamp"):
            raise SlackError("no_item_specified")
        message = self.message(channel_id, str(params["timestamp"]))
        if message is None:
            raise SlackError("message_not_found")
        name = str(params.get("name") or "")
        if name.split("::skin-tone-")[0] not in EMOJI | self.custom_emoji:
            raise SlackError("invalid_name")
        if not add_reaction(message, name, self.bot_user_id):
            raise SlackError("already_reacted")
        return {}

    async def _set_status(self, params: JSON) -> JSON:
        self._visible(params, "channel_id")
        if not params.get("thread_ts"):
            raise SlackError("invalid_arguments")
        status = {key: params.get(key) for key in ("channel_id", "thread_ts", "status", "loading_messages")}
        self.statuses.append(status)
        return {}

    # -------------------------------------------------------------- streaming

    def _stream(self, params: JSON) -> tuple[str, JSON, JSON]:
        if not self.streaming_available:
            raise SlackError(self.streaming_error)
        channel_id = self._visible(params)
        ts = str(params.get("ts") or "")
        stream = self.streams.get((channel_id, ts))
        message = self.message(channel_id, ts)
        if message is None:
            raise SlackError("message_not_found")
        if stream is None or stream["state"] != "streaming":
            raise SlackError("message_not_in_streaming_state")
        return channel_id, stream, message

    async def _start_stream(self, params: JSON) -> JSON:
        if not self.streaming_available:
            raise SlackError(self.streaming_error)
        channel_id = self._postable(params)
        text = _stream_text(params)
        message = self._bot_message(channel_id, text, {"thread_ts": params.get("thread_ts")})
        who = {key: params.get(key) for key in ("thread_ts", "recipient_user_id", "recipient_team_id")}
        self.streams[(channel_id, message["ts"])] = {"state": "streaming", **who, "appended": [text]}
        return {"channel": channel_id, "ts": message["ts"]}

    async def _append_stream(self, params: JSON) -> JSON:
        channel_id, stream, message = self._stream(params)
        text = _stream_text(params)
        if not text and not params.get("chunks"):
            raise SlackError("no_text")
        stream["appended"].append(text)
        message["text"] += text
        return {"channel": channel_id, "ts": message["ts"]}

    async def _stop_stream(self, params: JSON) -> JSON:
        channel_id, stream, message = self._stream(params)
        text = _stream_text(params)
        stream["appended"].append(text)
        stream["state"] = "stopped"
        message["text"] += text
        blocks = _json_value(params.get("blocks"))
        if blocks:
            message["blocks"] = blocks
        return {"channel": channel_id, "ts": message["ts"], "message": copy.deepcopy(message)}

    # ------------------------------------------------------ response_url, files

    async def _response_url(self, request: web.Request) -> web.Response:
        """A slash command's response_url: ephemeral answers reach the one who typed it,
        in_channel ones are posted in the channel as the app."""
        command = self.response_urls.get(request.match_info["id"])
        if command is None:
            return web.json_response({"ok": False, "error": "no_service"}, status=404)
        body = (
            await request.json() if request.content_type == "application/json" else dict(await request.post())
        )
        self.responses[request.match_info["id"]].append(body)
        text = str(body.get("text") or "")
        if body.get("response_type") == "in_channel":
            self._bot_message(command["channel_id"], text, body)
        else:
            self.ephemeral[command["user_id"]].append(text)
        return web.json_response({"ok": True})

    async def _avatar(self, request: web.Request) -> web.Response:
        return web.Response(body=_PNG, content_type="image/png")

    # ------------------------------------------------------------ Socket Mode

    async def _connections_open(self, params: JSON) -> JSON:
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        return {"url": f"ws://127.0.0.1:{self.port}/socket/{ticket}"}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        """One Socket Mode connection: each URL works once; pings are answered (aiohttp's
        autoping, as the SDK pings every few seconds); acknowledgements are recorded."""
        ticket = request.match_info["id"]
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets.discard(ticket)
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.socket_connections.append({"id": ticket, "query": dict(request.query)})
        self._sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {
                    "host": "applink-fake-1",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        self._wake()
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(frame.data)
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("envelope_id"):
                    self.socket_acks.append(data)
                    self._wake()
        finally:
            self._sockets.remove(socket)
        return socket

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _until(self, ready: Callable[[], Any], within: float, what: str) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while not (found := ready()):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {within} s")
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                pass
        return found

    async def socket_send(
        self,
        payload: JSON,
        kind: str = "events_api",
        *,
        within: float = 5.0,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver `payload` (an event_callback envelope, or a slash_command() dict with kind
        "slash_commands") in a Socket Mode envelope to one connected client, as Slack picks one
        connection per envelope; waits `within` seconds for a connection. Returns the envelope_id."""
        await self._until(lambda: self._sockets, within, "Socket Mode connection")
        envelope: JSON = {
            "envelope_id": f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}",
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update({"retry_attempt": retry_attempt, "retry_reason": retry_reason})
        self._next_socket = (self._next_socket + 1) % len(self._sockets)
        await self._sockets[self._next_socket].send_json(envelope)
        return str(envelope["envelope_id"])

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> JSON:
        """The app's acknowledgement of `envelope_id` (with its `payload`, if it sent one)."""

        def acked() -> JSON | None:
            return next((ack for ack in self.socket_acks if ack["envelope_id"] == envelope_id), None)

        found: JSON = await self._until(acked, within, f"acknowledgement of {envelope_id}")
        return found

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell connected clients to reconnect, as Slack does every few hours ("warning" comes
        about ten seconds before)."""
        for socket in list(self._sockets):
            await socket.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}}
            )


def _message_text(params: JSON) -> str:
    """chat.postMessage/chat.update/chat.postEphemeral content rules: text (or markdown_text),
    blocks or attachments; at most 40,000 characters."""
    text = str(params.get("text") or params.get("markdown_text") or "")
    if not text and not _json_value(params.get("blocks")) and not _json_value(params.get("attachments")):
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text


def _stream_text(params: JSON) -> str:
    """The markdown a streaming call adds: `markdown_text`, then markdown_text chunks (the SDK's
    chat_stream helper sends chunks); other chunk kinds (tasks, plans) add no text."""
    pieces = [str(params.get("markdown_text") or "")]
    chunks = _json_value(params.get("chunks")) or []
    if not isinstance(chunks, list) or any(not isinstance(c, dict) or not c.get("type") for c in chunks):
        raise SlackError("invalid_chunks")
    pieces += [str(c.get("text") or "") for c in chunks if c["type"] == "markdown_text"]
    if any(len(piece) > MAX_STREAM_TEXT for piece in pieces):
        raise SlackError("msg_too_long")
    return "".join(pieces)


def _page(items: list[Any], params: JSON, *, default_limit: int) -> tuple[list[Any], str]:
    """Cursor pagination: `limit` per page (at most 1000); the cursor is opaque base64."""
    try:
        limit = min(max(int(params.get("limit") or default_limit), 1), 1000)
        cursor = str(params.get("cursor") or "")
        start = int(base64.b64decode(cursor).decode().removeprefix("next:")) if cursor else 0
    except (ValueError, binascii.Error):
        raise SlackError("invalid_cursor") from None
    following = start + limit
    next_cursor = base64.b64encode(f"next:{following}".encode()).decode() if following < len(items) else ""
    return items[start:following], next_cursor


def _within(ts: str, params: JSON) -> bool:
    """Whether `ts` is within the call's `oldest` and `latest` (inclusive only if asked)."""
    here, inclusive = ts_micros(ts), _flag(params.get("inclusive"))
    oldest, latest = params.get("oldest"), params.get("latest")
    if oldest and (here < ts_micros(str(oldest)) or (here == ts_micros(str(oldest)) and not inclusive)):
        return False
    return not (
        latest and (here > ts_micros(str(latest)) or (here == ts_micros(str(latest)) and not inclusive))
    )


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in {"1", "true"}


def _json_value(value: Any) -> Any:
    """Form and query values arrive as JSON text (blocks, chunks); JSON bodies as they are."""
    if isinstance(value, str) and value[:1] in {"[", "{"}:
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    return value


async def _read_params(request: web.Request) -> JSON:
    """slack-sdk sends a method's arguments as JSON, a form or the query string: merge all three."""
    params: JSON = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            params.update(body if isinstance(body, dict) else {})
        else:
            for key, value in (await request.post()).items():
                params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    return params
