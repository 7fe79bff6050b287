"""A loopback fake of Discord (REST v10 and the gateway): the real discord.py client talks to it.

Point discord.py at it with `pointed_at(fake)`, which sets (and afterwards restores)
`discord.http.Route.BASE = fake.rest_base` ("http://127.0.0.1:PORT/api/v10") and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`; then
`Client.start(fake.token)` logs in (GET /users/@me, GET /oauth2/applications/@me) and connects
to the gateway (discord_gateway.py). Answers are Discord's: `Content-Type: application/json`
exactly (discord.py parses nothing else), errors as {"message", "code"[, "errors"]} with
Discord's codes (50035 Invalid Form Body, 50006 empty message, 50013 Missing Permissions, 10008
Unknown Message, 40060 interaction already acknowledged, 50083 archived thread...), and 429s
with `retry_after`, a `Via` header and X-RateLimit-* headers, which discord.py waits out
(`fail_next`). Private threads show only to their members and moderators, as on Discord.
History is read as Discord pages it (`before`/`after`/`limit`, newest first), and a server can
be read back as a client that resumed must (`/users/@me/guilds`, the guild, its channels,
`/guilds/{id}/threads/active`, the bot's member). The bot's own REST
actions come back over the gateway as Discord sends them (MESSAGE_CREATE for its messages, etc.).

Tests play the members with the builders of `DiscordWorld` (discord_payloads.py) and the
`dispatch_*` methods of `DiscordEvents` (discord_events.py), and read what the bot did in `calls`
/ `calls_of`, `channel_messages` (what members now see: edits applied, deletions gone),
`uploads` (the files it posted: multipart `payload_json` and `files[n]`), `ephemeral_messages`,
`reactions`, `typing`, `commands`, `interaction_responses` and `followups`; the gateway's own
records (`identifies`, `resumes`, `connections`...) are on `fake.gateway`. The CDN
(discord_cdn.py) serves attachments (`attachment()`) and avatars (`set_avatar()`) at `cdn_base`,
and keeps its requests in `fake.cdn.requests`:

    fake = await FakeDiscord().start()
    ann = fake.user(1001, "ann", "Ann")
    guild = fake.guild(2001, "Team", owner_id=ann)       # the bot is in it, with a managed role
    general = fake.text_channel(guild, 3001, "general")
    fake.member(guild, ann, nick="Annie")
    with pointed_at(fake):
        client = discord.Client(intents=..., chunk_guilds_at_startup=False, guild_ready_timeout=0.05)
        task = asyncio.create_task(client.start(fake.token))
        await client.wait_until_ready()
        await fake.dispatch_message(general, ann, "hello")
        ...
        await client.close()                              # before fake.stop(): else it reconnects
    await fake.stop()

discord.py waits `guild_ready_timeout` (2 s by default) after the last GUILD_CREATE before
on_ready, and sleeps 5 s in `Client.before_identify_hook` before every IDENTIFY but the first
(after an INVALID_SESSION, say): tests override both. A malformed known event (dispatch_raw)
makes discord.py's `start()` raise: its parsers are not guarded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.discord_cdn import DiscordCdn
from tests.fakes.discord_events import DiscordEvents
from tests.fakes.discord_payloads import (
    BOT_DEFAULT,
    GUILD_TEXT,
    JSON,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    ROLE_MENTION,
    THREAD_TYPES,
    USER_MENTION,
    DiscordError,
    Intent,
    Perm,
    Ref,
    check_content,
    form_error,
    id_of,
    iso,
    snowflake_arg,
    unique,
    unknown,
)

__all__ = ["DiscordError", "FakeDiscord", "Intent", "Perm", "pointed_at"]

API = "/api/v10"
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes a thread stays in the channel list
MAX_UPLOAD = 10 * 1024 * 1024  # a bot's attachment limit in a server without boosts
Handler = Callable[[web.Request, Any], Awaitable[Any]]  # (request, JSON body) -> JSON answer or None


@contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """Redirect discord.py's REST base and default gateway to `fake` for the block."""
    import discord.gateway
    import discord.http
    import yarl

    route, socket = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, socket.DEFAULT_GATEWAY
    route.BASE, socket.DEFAULT_GATEWAY = fake.rest_base, yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        route.BASE, socket.DEFAULT_GATEWAY = saved


class RateLimited(Exception):
    def __init__(self, retry_after: float, global_: bool, bucket: str) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after, self.global_, self.bucket = retry_after, global_, bucket

    def response(self) -> web.Response:
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.global_,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(self.retry_after + 0.499))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": self.bucket,
            "X-RateLimit-Scope": "global" if self.global_ else "user",
        }
        if self.global_:
            headers["X-RateLimit-Global"] = "true"
        return _json(body, 429, headers)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return web.Response(
        body=body, status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


def _pattern(path: str) -> re.Pattern[str]:
    """A path pattern such as "/channels/{channel_id}/messages" or "/channels/*/messages": each
    placeholder or * matches one segment."""
    parts = re.split(r"(\{[^}]*\}|\*)", path)
    return re.compile("".join("[^/]+" if p == "*" or p.startswith("{") else re.escape(p) for p in parts))


def _bucket(route: str) -> str:
    return hashlib.md5(route.encode()).hexdigest()


@dataclass
class FakeDiscord(DiscordEvents):
    port: int = 0
    calls: list[JSON] = field(default_factory=list)  # {"method", "path", "route", "query", "json", "files"}
    # Files the bot posted: {"channel_id", "message_id", "field", "filename", "content_type", "data",
    # "content", "message_reference"}, one per file.
    uploads: list[JSON] = field(default_factory=list)
    cdn: DiscordCdn = field(default_factory=DiscordCdn)  # attachments and avatars (discord_cdn.py)
    reactions: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (channel, message) -> bot's
    typing: list[int] = field(default_factory=list)  # channels the bot typed in
    recommended_shards: int = 1  # GET /gateway/bot's "shards": how many Discord would have the bot run
    _runner: web.AppRunner | None = None
    _failures: list[tuple[str, re.Pattern[str], str, Exception]] = field(default_factory=list)

    # ----------------------------------------------------------------- server

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    @property
    def cdn_base(self) -> str:
        """Where this fake serves what cdn.discordapp.com serves: "http://127.0.0.1:PORT"."""
        return self.cdn.base

    def attachment(
        self, channel: Ref, filename: str, data: bytes, content_type: str | None = None, **options: Any
    ) -> JSON:
        """A file a member attaches (pass it to `dispatch_message(attachments=[...])`): stored on
        the CDN, described as Discord describes it, with a signed URL."""
        return self.cdn.attachment(id_of(channel), self.snowflake(), filename, data, content_type, **options)

    def set_avatar(self, user: Ref, data: bytes, content_type: str = "image/png") -> str:
        """`user` uploads a profile picture: their `avatar` hash changes and the CDN serves it at
        https://cdn.discordapp.com/avatars/<user id>/<hash>.png."""
        user_json = self._user(user)
        user_json["avatar"] = self.cdn.avatar(user_json["id"], data, content_type)
        return str(user_json["avatar"])

    async def start(self) -> FakeDiscord:
        # Large enough for an upload over Discord's limit to reach the fake, which refuses it as
        # Discord does (40005).
        app = web.Application(client_max_size=4 * MAX_UPLOAD)
        for method, route, handler, authed in self._routes():
            app.router.add_route(method, API + route, self._endpoint(route, handler, authed))
        app.router.add_route("*", API + "/{tail:.*}", self._endpoint("*", self._not_found, False))
        self.gateway.add_routes(app)
        self.cdn.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.gateway.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.cdn.port = self.port
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self,
        route_key: str,
        retry_after: float = 0.5,
        global_: bool = False,
        *,
        times: int = 1,
        status: int = 429,
        code: int = 0,
        message: str = "",
    ) -> None:
        """The next `times` calls matching `route_key` ("POST /channels/{channel_id}/messages",
        discord.py's Route.key, or a concrete path) fail: 429 rate limits by default, which
        discord.py waits out and retries; another `status` answers {"message", "code"}."""
        method, _, path = route_key.partition(" ")
        error: Exception = (
            RateLimited(retry_after, global_, _bucket(path))
            if status == 429
            else DiscordError(status, code, message or f"{status}: fake failure")
        )
        self._failures.extend((method.upper(), _pattern(path), path, error) for _ in range(times))

    def calls_of(self, method: str, path_pattern: str) -> list[JSON]:
        """Recorded calls with `method` whose path matches `path_pattern` (placeholders like
        "{channel_id}" or "*" match one segment; a route template matches itself)."""
        pattern = _pattern(path_pattern)
        return [
            call
            for call in self.calls
            if call["method"] == method.upper()
            and (call["route"] == path_pattern or pattern.fullmatch(call["path"]))
        ]

    def channel_messages(self, channel: Ref) -> list[str]:
        """The texts of the bot's messages in `channel`, oldest first, as members see them now."""
        found = self.messages.get(id_of(channel), {})
        bot = str(self.bot_id)
        return [found[key]["content"] for key in sorted(found) if found[key]["author"]["id"] == bot]

    def _endpoint(
        self, route: str, handler: Handler, authed: bool
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Record the call, then answer as Discord would: 401 without the bot token (except on
        interaction and webhook routes, which the token in the path authorises), a failure queued
        by `fail_next`, or the handler's JSON (None: 204)."""

        async def endpoint(request: web.Request) -> web.Response:
            path = request.path.removeprefix(API)
            call: JSON = {
                "method": request.method,
                "path": path,
                "route": route,
                "query": dict(request.query),
            }
            self.calls.append(call)
            self.gateway._wake()
            try:
                body, files = await _read_body(request)
                call.update(json=body, files=files)
                if authed and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise DiscordError(401, 0, "401: Unauthorized")
                self._take_failure(request.method, path, route)
                result = await handler(request, body if files is None else {**(body or {}), "_files": files})
            except RateLimited as limited:
                return limited.response()
            except DiscordError as error:
                return _json(error.body(), error.status)
            headers = {
                "X-RateLimit-Bucket": _bucket(route),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                "X-RateLimit-Reset-After": "1.000",
            }
            if result is None:
                return web.Response(status=204, headers=headers)
            return _json(result, 200, headers)

        return endpoint

    def _take_failure(self, method: str, path: str, route: str) -> None:
        for index, (fail_method, pattern, template, error) in enumerate(self._failures):
            if fail_method == method and (template == route or pattern.fullmatch(path)):
                del self._failures[index]
                raise error

    def _routes(self) -> list[tuple[str, str, Handler, bool]]:
        channel, message = "/channels/{channel_id}", "/channels/{channel_id}/messages/{message_id}"
        webhook = "/webhooks/{application_id}/{token}"
        return [
            ("GET", "/users/@me", self._me, True),
            ("POST", "/users/@me/channels", self._open_dm, True),
            ("GET", "/users/@me/guilds", self._my_guilds, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/oauth2/applications/@me", self._application, True),
            ("GET", "/applications/@me", self._application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", channel, self._get_channel, True),
            ("GET", channel + "/messages", self._history, True),
            ("POST", channel + "/messages", self._send, True),
            ("POST", channel + "/typing", self._typing, True),
            ("POST", channel + "/threads", self._start_thread, True),
            ("GET", channel + "/thread-members", self._list_thread_members, True),
            ("PUT", channel + "/thread-members/{user_id}", self._join_thread, True),
            ("GET", message, self._get_message, True),
            ("PATCH", message, self._edit, True),
            ("DELETE", message, self._delete, True),
            ("POST", message + "/threads", self._start_thread, True),
            ("PUT", message + "/reactions/{emoji}/@me", self._react, True),
            ("DELETE", message + "/reactions/{emoji}/@me", self._unreact, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._guild_channels, True),
            ("GET", "/guilds/{guild_id}/threads/active", self._active_threads, True),
            ("GET", "/guilds/{guild_id}/roles", self._guild_roles, True),
            ("GET", "/guilds/{guild_id}/members", self._list_members, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
            ("GET", "/applications/{application_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            ("POST", webhook, self._followup, False),
            ("GET", webhook + "/messages/{message_id}", self._webhook_message, False),
            ("PATCH", webhook + "/messages/{message_id}", self._webhook_message, False),
            ("DELETE", webhook + "/messages/{message_id}", self._webhook_message, False),
        ]

    async def _not_found(self, request: web.Request, body: Any) -> Any:
        raise DiscordError(404, 0, "404: Not Found")

    # -------------------------------------------------------------- who, where

    async def _me(self, request: web.Request, body: Any) -> JSON:
        extra = {"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None, "flags": 0}
        return {**copy.deepcopy(self.bot_user), **extra, "bio": "", "premium_type": 0}

    async def _application(self, request: web.Request, body: Any) -> JSON:
        owner = {"id": "1200000000000000009", "username": "parley-dev", "discriminator": "0", "avatar": None}
        return {
            "id": str(self.application_id),
            "name": self.application_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(self.token.encode()).hexdigest(),
            "flags": self.application_flags,
            "owner": {**owner, "global_name": None, "public_flags": 0, "flags": 0},
            "team": None,
            "bot": copy.deepcopy(self.bot_user),
            "redirect_uris": [],
            "rpc_origins": [],
            "interactions_endpoint_url": None,  # set, discord.py would get no interactions
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": {
                "scopes": ["bot", "applications.commands"],
                "permissions": str(int(BOT_DEFAULT)),
            },
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "is_monetized": False,
            "explicit_content_filter": 0,
        }

    async def _get_gateway(self, request: web.Request, body: Any) -> JSON:
        return {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request, body: Any) -> JSON:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return {"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": limit}

    async def _get_user(self, request: web.Request, body: Any) -> JSON:
        user = self.users.get(snowflake_arg(request.match_info["user_id"], "user_id"))
        if user is None:
            raise unknown("user")
        return copy.deepcopy(user)

    async def _my_guilds(self, request: web.Request, body: Any) -> list[JSON]:
        """GET /users/@me/guilds: partial guilds by id, `after`/`before` and `limit` (1-200)."""
        limit = int(request.query.get("limit", "200"))
        if not 1 <= limit <= 200:
            raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 200.")
        after, before = int(request.query.get("after", "0")), int(request.query.get("before", 1 << 63))
        counts = request.query.get("with_counts") in ("true", "1", "True")
        found = []
        for guild_id in sorted(self.guilds):
            if not after < guild_id < before:
                continue
            guild = self.guilds[guild_id]
            partial: JSON = {
                "id": guild["id"],
                "name": guild["name"],
                "icon": guild["icon"],
                "banner": guild.get("banner"),
                "owner": guild["owner_id"] == str(self.bot_id),
                "permissions": str(self.permissions(guild_id, self.bot_id)),
                "features": list(guild["features"]),
            }
            if counts:
                partial.update(
                    approximate_member_count=len(self.members[guild_id]), approximate_presence_count=0
                )
            found.append(partial)
        return found[:limit]

    async def _open_dm(self, request: web.Request, body: Any) -> JSON:
        user_id = snowflake_arg(str((body or {}).get("recipient_id", "")), "recipient_id")
        if user_id not in self.users:
            raise unknown("user")
        return copy.deepcopy(self.dm_channel(user_id))

    def _visible_channel(self, request: web.Request) -> JSON:
        channel = self.channels.get(snowflake_arg(request.match_info["channel_id"], "channel_id"))
        if channel is None:
            raise unknown("channel")
        if channel.get("guild_id") and not self._perms(channel) & Perm.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if channel["type"] == PRIVATE_THREAD and not self.sees_thread(self.bot_id, channel):
            raise DiscordError(403, 50001, "Missing Access")  # not a member, not a moderator
        return channel

    def _perms(self, channel: JSON) -> int:
        if not channel.get("guild_id"):
            return int(
                Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.ADD_REACTIONS | Perm.READ_MESSAGE_HISTORY
            )
        return self.permissions(channel["guild_id"], self.bot_id, channel)

    def _require(self, channel: JSON, needed: int) -> None:
        if self._perms(channel) & needed != needed:
            raise DiscordError(403, 50013, "Missing Permissions")

    def _stored(self, channel: JSON, request: web.Request) -> JSON:
        message = self.message(channel["id"], snowflake_arg(request.match_info["message_id"], "message_id"))
        if message is None:
            raise unknown("message")
        return message

    async def _get_channel(self, request: web.Request, body: Any) -> JSON:
        return copy.deepcopy(self._visible_channel(request))

    async def _get_guild(self, request: web.Request, body: Any) -> JSON:
        guild = {k: copy.deepcopy(v) for k, v in self._guild_of(request).items() if not k.startswith("_")}
        if request.query.get("with_counts") in ("true", "1", "True"):
            count = len(self.members[int(guild["id"])])
            guild.update(approximate_member_count=count, approximate_presence_count=0)
        return guild

    async def _guild_channels(self, request: web.Request, body: Any) -> list[JSON]:
        guild_id = self._guild_of(request)["id"]
        return [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c.get("guild_id") == guild_id and c["type"] not in THREAD_TYPES
        ]

    async def _active_threads(self, request: web.Request, body: Any) -> JSON:
        """GET /guilds/{id}/threads/active: the active threads the bot may see, and its own
        thread memberships among them."""
        guild_id = self._guild_of(request)["id"]
        threads = [
            c
            for c in self.channels.values()
            if c.get("guild_id") == guild_id
            and c["type"] in THREAD_TYPES
            and self._active(c)
            and self.sees_thread(self.bot_id, c)
        ]
        mine = [t for t in threads if self.bot_id in self.thread_members.get(int(t["id"]), set())]
        return {
            "threads": copy.deepcopy(threads),
            "members": [self._thread_member(t, self.bot_id) for t in mine],
        }

    async def _guild_roles(self, request: web.Request, body: Any) -> list[JSON]:
        return copy.deepcopy(self._guild_of(request)["roles"])

    async def _get_member(self, request: web.Request, body: Any) -> JSON:
        guild = self._guild_of(request)
        member = self.members[int(guild["id"])].get(snowflake_arg(request.match_info["user_id"], "user_id"))
        if member is None:
            raise unknown("member")
        return copy.deepcopy(member)

    async def _list_members(self, request: web.Request, body: Any) -> list[JSON]:
        """Listing members needs the server members intent enabled for the application."""
        guild = self._guild_of(request)
        if not self.privileged_intents & Intent.GUILD_MEMBERS:
            raise DiscordError(403, 50001, "Missing Access")
        limit = int(request.query.get("limit", "1"))
        if not 1 <= limit <= 1000:
            raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 1000.")
        after = int(request.query.get("after", "0"))
        members = self.members[int(guild["id"])]
        return [copy.deepcopy(members[user_id]) for user_id in sorted(members) if user_id > after][:limit]

    # ---------------------------------------------------------------- messages

    async def _history(self, request: web.Request, body: Any) -> list[JSON]:
        channel = self._visible_channel(request)
        if not self._perms(channel) & Perm.READ_MESSAGE_HISTORY:
            return []
        limit = min(max(int(request.query.get("limit", "50")), 1), 100)
        before, after = int(request.query.get("before", 1 << 63)), int(request.query.get("after", 0))
        found = self.messages.get(int(channel["id"]), {})
        chosen = [found[key] for key in sorted(found, reverse=True) if after < key < before]
        if "after" in request.query and "before" not in request.query:
            chosen = chosen[-limit:]
        return copy.deepcopy(chosen[:limit])

    async def _get_message(self, request: web.Request, body: Any) -> JSON:
        channel = self._visible_channel(request)
        self._require(channel, Perm.READ_MESSAGE_HISTORY)
        return copy.deepcopy(self._stored(channel, request))

    async def _send(self, request: web.Request, body: Any) -> JSON:
        """POST /channels/{id}/messages: JSON, or multipart/form-data with `payload_json` and the
        files as `files[n]` (described by the payload's `attachments`, matched by `id` n)."""
        body = body or {}
        channel = self._visible_channel(request)
        self._require(
            channel, Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else Perm.SEND_MESSAGES
        )
        content = check_content(body.get("content"))
        embeds, files = body.get("embeds") or [], body.get("_files") or []
        if len(embeds) > 10:
            raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        if files:
            self._require(channel, Perm.ATTACH_FILES)
            if len(files) > 10:
                raise form_error("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
            if any(len(file["data"]) > MAX_UPLOAD for file in files):
                raise DiscordError(413, 40005, "Request entity too large")
        if not (
            content
            or embeds
            or files
            or body.get("sticker_ids")
            or body.get("components")
            or body.get("poll")
        ):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        reply_to = self._reference(channel, body.get("message_reference"))
        users, roles, everyone = self._mentions(channel, content, body.get("allowed_mentions"), reply_to)
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        attachments = [self._attachment(channel, file, described) for file in files]
        extra: JSON = {"tts": bool(body.get("tts"))}
        if body.get("nonce") is not None:
            extra["nonce"] = body["nonce"]
        message = self.new_message(
            channel,
            self.bot_user,
            content,
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
            reply_to=reply_to,
            flags=int(body.get("flags") or 0),
            embeds=embeds,
            attachments=attachments,
            extra=extra,
        )
        for file in files:
            self.uploads.append(
                {
                    "channel_id": int(channel["id"]),
                    "message_id": message["id"],
                    **file,
                    "content": content,
                    "message_reference": body.get("message_reference"),
                }
            )
        await self.gateway.dispatch("MESSAGE_CREATE", self.gateway_message(message))
        return copy.deepcopy(message)

    def _attachment(self, channel: JSON, file: JSON, described: dict[str, JSON]) -> JSON:
        """An uploaded file as the message's attachment, served by the CDN from then on."""
        index = file["field"].removeprefix("files[").removesuffix("]")
        about = described.get(index, {})
        filename = str(about.get("filename") or file["filename"])
        content_type = file["content_type"] if file["content_type"] != "application/octet-stream" else None
        content_type = content_type or mimetypes.guess_type(filename)[0]
        return self.cdn.attachment(
            channel["id"],
            self.snowflake(),
            filename,
            file["data"],
            content_type,
            description=about.get("description"),
        )

    def _reference(self, channel: JSON, reference: Any) -> JSON | None:
        """The message a reply points at; an unknown one is 50035 unless fail_if_not_exists is false."""
        if not isinstance(reference, dict) or reference.get("type", 0) != 0:
            return None
        target_channel = int(reference.get("channel_id") or channel["id"])
        target = self.message(target_channel, int(reference.get("message_id") or 0))
        if target is None and reference.get("fail_if_not_exists", True):
            raise form_error("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        return target

    def _mentions(
        self, channel: JSON, content: str, allowed: Any, reply_to: JSON | None
    ) -> tuple[list[str], list[str], bool]:
        """Who the bot's message pings: what the content mentions, narrowed by allowed_mentions
        (absent: everything, and the replied-to author); @everyone needs MENTION_EVERYONE."""
        guild_id = channel.get("guild_id")
        users = unique(u for u in USER_MENTION.findall(content) if int(u) in self.users)
        roles_by_id = {r["id"]: r for r in self.guilds[int(guild_id)]["roles"]} if guild_id else {}
        roles = unique(r for r in ROLE_MENTION.findall(content) if r in roles_by_id)
        may_everyone = bool(self._perms(channel) & Perm.MENTION_EVERYONE)
        if allowed is None:
            parse, allowed_users, allowed_roles, replied = {"users", "roles", "everyone"}, [], [], True
        else:
            parse = set(allowed.get("parse") or [])
            allowed_users = [str(u) for u in allowed.get("users") or []]
            allowed_roles = [str(r) for r in allowed.get("roles") or []]
            replied = bool(allowed.get("replied_user", False))
            for kind, listed in (("users", allowed_users), ("roles", allowed_roles)):
                if kind in parse and listed:
                    raise form_error(
                        "allowed_mentions",
                        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                    )
        users = [u for u in users if "users" in parse or u in allowed_users]
        roles = [
            r
            for r in roles
            if ("roles" in parse or r in allowed_roles) and (roles_by_id[r]["mentionable"] or may_everyone)
        ]
        everyone = ("@everyone" in content or "@here" in content) and "everyone" in parse and may_everyone
        if reply_to is not None and replied and reply_to["author"]["id"] not in users:
            users.append(reply_to["author"]["id"])
        return users, roles, everyone

    async def _edit(self, request: web.Request, body: Any) -> JSON:
        body = body or {}
        channel = self._visible_channel(request)
        message = self._stored(channel, request)
        if message["author"]["id"] != str(self.bot_id):
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        content = check_content(body["content"]) if "content" in body else message["content"]
        embeds = body["embeds"] or [] if "embeds" in body else message["embeds"]
        if not (content or embeds or message["attachments"] or message.get("components")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if "content" in body or "allowed_mentions" in body:
            users, roles, everyone = self._mentions(channel, content, body.get("allowed_mentions"), None)
            message.update(
                mentions=[copy.deepcopy(self.users[int(u)]) for u in users],
                mention_roles=roles,
                mention_everyone=everyone,
            )
        message.update(content=content, embeds=embeds, edited_timestamp=iso(datetime.now(UTC)))
        if "flags" in body:
            message["flags"] = int(body["flags"] or 0)
        await self.gateway.dispatch("MESSAGE_UPDATE", self.gateway_message(message))
        return copy.deepcopy(message)

    async def _delete(self, request: web.Request, body: Any) -> None:
        channel = self._visible_channel(request)
        message = self._stored(channel, request)
        if message["author"]["id"] != str(self.bot_id):
            self._require(channel, Perm.MANAGE_MESSAGES)
        await self._remove(message)

    async def _react(self, request: web.Request, body: Any) -> None:
        channel = self._visible_channel(request)
        message = self._stored(channel, request)
        emoji = self._emoji(request.match_info["emoji"])
        reactions: list[JSON] = message.setdefault("reactions", [])
        existing = next((r for r in reactions if r["emoji"] == emoji), None)
        self._require(channel, Perm.READ_MESSAGE_HISTORY | (0 if existing else Perm.ADD_REACTIONS))
        if existing is not None and existing["me"]:
            return None
        if existing is None:
            existing = {"emoji": emoji, "count": 0, "count_details": {"burst": 0, "normal": 0}}
            existing.update(me=False, me_burst=False, burst_me=False, burst_count=0, burst_colors=[])
            reactions.append(existing)
        existing["me"] = True
        existing["count"] += 1
        existing["count_details"]["normal"] += 1
        key = (int(channel["id"]), int(message["id"]))
        self.reactions.setdefault(key, []).append(
            emoji["name"] if emoji["id"] is None else request.match_info["emoji"]
        )
        await self.gateway.dispatch("MESSAGE_REACTION_ADD", self._reaction_event(message, self.bot_id, emoji))
        return None

    async def _unreact(self, request: web.Request, body: Any) -> None:
        channel = self._visible_channel(request)
        message = self._stored(channel, request)
        emoji = self._emoji(request.match_info["emoji"])
        for reaction in list(message.get("reactions", [])):
            if reaction["emoji"] == emoji and reaction["me"]:
                reaction.update(me=False, count=reaction["count"] - 1)
                if not reaction["count"]:
                    message["reactions"].remove(reaction)
                event = self._reaction_event(message, self.bot_id, emoji)
                await self.gateway.dispatch("MESSAGE_REACTION_REMOVE", event)
        return None

    async def _typing(self, request: web.Request, body: Any) -> None:
        channel = self._visible_channel(request)
        self._require(
            channel, Perm.SEND_MESSAGES_IN_THREADS if channel["type"] in THREAD_TYPES else Perm.SEND_MESSAGES
        )
        self.typing.append(int(channel["id"]))
        event: JSON = {
            "channel_id": channel["id"],
            "user_id": str(self.bot_id),
            "timestamp": int(time.time()),
        }
        if channel.get("guild_id"):
            event.update(
                guild_id=channel["guild_id"],
                member=copy.deepcopy(self.members[int(channel["guild_id"])][self.bot_id]),
            )
        await self.gateway.dispatch("TYPING_START", event)
        return None

    # ----------------------------------------------------------------- threads

    async def _start_thread(self, request: web.Request, body: Any) -> JSON:
        """POST .../messages/{id}/threads (public, the message's id) or POST .../threads (Start
        Thread without Message: `type` 11 or 12, private by default in v9 and v10; a private
        thread needs Create Private Threads and takes `invitable`, whether non-moderators may add
        others). The bot starts it and is its first member; THREAD_CREATE follows."""
        body = body or {}
        channel = self._visible_channel(request)
        if channel["type"] != GUILD_TEXT:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        message = self._stored(channel, request) if "message_id" in request.match_info else None
        kind = PUBLIC_THREAD if message is not None else int(body.get("type") or PRIVATE_THREAD)
        if kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
            raise form_error(
                "type", "BASE_TYPE_CHOICES", f"Value must be one of {{{PUBLIC_THREAD}, {PRIVATE_THREAD}}}."
            )
        archive = int(body.get("auto_archive_duration") or 4320)
        if archive not in ARCHIVE_DURATIONS:
            raise form_error(
                "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
            )
        self._require(
            channel, Perm.CREATE_PUBLIC_THREADS if kind == PUBLIC_THREAD else Perm.CREATE_PRIVATE_THREADS
        )
        if message is not None and message.get("thread"):
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        thread = self.thread(
            channel,
            name,
            id=int(message["id"]) if message is not None else None,
            type=kind,
            auto_archive_duration=archive,
        )
        thread["rate_limit_per_user"] = int(body.get("rate_limit_per_user") or 0)
        if kind == PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = body.get("invitable") is not False
        if message is not None:
            message["thread"] = copy.deepcopy(thread)
        await self.dispatch_thread_create(thread)
        return copy.deepcopy(thread)

    async def _join_thread(self, request: web.Request, body: Any) -> None:
        """PUT .../thread-members/@me (Join Thread) or .../{user_id} (Add Thread Member: needs Send
        Messages in Threads, and in a private thread that is not `invitable`, Manage Threads).
        Not on an archived thread. 204 also when already a member; THREAD_MEMBERS_UPDATE."""
        thread = self._visible_channel(request)
        if thread["type"] not in THREAD_TYPES:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if thread["thread_metadata"]["archived"]:
            raise DiscordError(400, 50083, "Thread is archived")
        raw = request.match_info["user_id"]
        user_id = self.bot_id if raw == "@me" else snowflake_arg(raw, "user_id")
        if user_id != self.bot_id:
            self._require(thread, Perm.SEND_MESSAGES_IN_THREADS)
            if thread["type"] == PRIVATE_THREAD and not thread["thread_metadata"].get("invitable", True):
                self._require(thread, Perm.MANAGE_THREADS)
        member = self.members[int(thread["guild_id"])].get(user_id)
        if member is None:
            raise unknown("member")
        if user_id in self.thread_members[int(thread["id"])]:
            return None
        self.thread_members[int(thread["id"])].add(user_id)
        thread["member_count"] = len(self.thread_members[int(thread["id"])])
        added = {**self._thread_member(thread, user_id), "member": copy.deepcopy(member)}
        event = {"id": thread["id"], "guild_id": thread["guild_id"], "member_count": thread["member_count"]}
        await self.gateway.dispatch("THREAD_MEMBERS_UPDATE", {**event, "added_members": [added]})
        if user_id == self.bot_id:  # joining also announces the thread itself
            joined = {**copy.deepcopy(thread), "member": self._thread_member(thread, user_id)}
            await self.gateway.dispatch("THREAD_CREATE", joined)
        return None

    async def _list_thread_members(self, request: web.Request, body: Any) -> list[JSON]:
        """GET .../thread-members (List Thread Members): needs the server members intent;
        `with_member=true` adds each one's guild member, paginated by `after` and `limit`."""
        thread = self._visible_channel(request)
        if thread["type"] not in THREAD_TYPES:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if not self.privileged_intents & Intent.GUILD_MEMBERS:
            raise DiscordError(403, 50001, "Missing Access")
        members = self.members[int(thread["guild_id"])]
        ids = sorted(self.thread_members[int(thread["id"])])
        if request.query.get("with_member") not in ("true", "1", "True"):
            return [self._thread_member(thread, user_id) for user_id in ids]
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "100"))
        if not 1 <= limit <= 100:
            raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")
        return [
            {**self._thread_member(thread, user_id), "member": copy.deepcopy(members[user_id])}
            for user_id in ids
            if user_id > after and user_id in members
        ][:limit]


async def _read_body(request: web.Request) -> tuple[Any, list[JSON] | None]:
    """A JSON body, or multipart with `payload_json` and files: each file as {"field",
    "filename", "content_type", "data"}."""
    if not request.body_exists:
        return None, None
    if request.content_type == "application/json":
        try:
            return await request.json(), None
        except ValueError:
            raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    if request.content_type.startswith("multipart/"):
        body: Any = {}
        files: list[JSON] = []
        for name, value in (await request.post()).items():
            if name == "payload_json":
                body = json.loads(value.file.read() if isinstance(value, web.FileField) else value)
            elif isinstance(value, web.FileField):
                files.append(
                    {
                        "field": name,
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "data": value.file.read(),
                    }
                )
        return body, files
    return None, None
