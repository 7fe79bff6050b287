"""What members (and Discord) do, and the interactions the bot answers: the event side of the fake.

`DiscordEvents` adds to the world (discord_payloads.py) the gateway (discord_gateway.py) and the
`dispatch_*` helpers tests play members with — a message, an edit, a deletion, a reaction, a
thread, a slash command, a member update — each building the documented payload, storing it and
dispatching it to the connected client. It also serves what belongs to application commands:
bulk overwrite of commands, the interaction callback (3 s to answer, once: 10062 and 40060
otherwise) and the webhook endpoints for `@original` and followups, recording what was answered
(`interaction_responses`, `followups`, `ephemeral`). `FakeDiscord` (discord_api.py) serves it all.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.discord_gateway import DiscordGateway
from tests.fakes.discord_payloads import (
    JSON,
    PUBLIC_THREAD,
    ROLE_MENTION,
    THREAD_TYPES,
    USER_MENTION,
    DiscordError,
    DiscordWorld,
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

EPHEMERAL, LOADING = 1 << 6, 1 << 7


@dataclass
class DiscordEvents(DiscordWorld):
    interaction_deadline: float = 3.0  # seconds to answer an interaction before 10062
    heartbeat_interval: int = 41_250  # milliseconds, in HELLO
    compress_frames: bool = False  # zlib-stream binary frames when the client asks for them
    commands: dict[int | None, list[JSON]] = field(default_factory=dict)  # by guild id; None: global
    deleted: list[JSON] = field(default_factory=list)  # messages as they were when deleted
    ephemeral: dict[int, list[JSON]] = field(default_factory=dict)  # channel -> ephemeral messages
    interaction_responses: list[JSON] = field(default_factory=list)  # {"interaction_id", "type", "data", ...}
    followups: list[JSON] = field(default_factory=list)  # webhook calls on interaction tokens
    gateway: DiscordGateway = field(init=False)
    _interactions: dict[str, JSON] = field(default_factory=dict)  # token -> state

    def __post_init__(self) -> None:
        super().__post_init__()
        self.gateway = DiscordGateway(self, self.heartbeat_interval, self.compress_frames)

    def ephemeral_messages(self, channel: Ref) -> list[str]:
        return [message["content"] for message in self.ephemeral.get(id_of(channel), [])]

    async def connected(self, within: float = 5.0) -> None:
        """Wait until a client has identified (a gateway session exists)."""
        await self.gateway._until(lambda: self.gateway.session, within, "gateway session")

    def seq_of(self, payload: Any) -> int:
        """The sequence number `s` a dispatch helper's payload went out with."""
        return self.gateway.seq_of(payload)

    async def gateway_reconnect(
        self,
        resume: bool = True,
        *,
        close_code: int | None = None,
        replay_after: int | None = None,
        hold: bool = False,
        within: float = 5.0,
    ) -> None:
        """Make the client reconnect (op 7, or a close with `close_code`); see DiscordGateway.reconnect."""
        await self.gateway.reconnect(
            resume=resume, close_code=close_code, replay_after=replay_after, hold=hold, within=within
        )

    def release_gateway(self) -> None:
        """Let the connections held by `gateway_reconnect(hold=True)` go on."""
        self.gateway.release()

    async def gateway_invalid_session(self, resumable: bool = False) -> None:
        """op 9: not resumable, the client identifies again (a new session and READY)."""
        await self.gateway.invalid_session(resumable)

    # ------------------------------------------- what members (and Discord) do

    async def dispatch_message(
        self,
        channel: Ref,
        author: Ref,
        content: str,
        *,
        mentions: Iterable[Ref] | None = None,
        mention_roles: Iterable[Ref] | None = None,
        mention_everyone: bool | None = None,
        message_reference: Ref | None = None,
        reply_mention: bool = True,
        webhook_id: int | None = None,
        thread: Ref | None = None,
        attachments: Iterable[JSON] = (),
        within: float = 5.0,
    ) -> JSON:
        """`author` writes `content` in `channel` (or in `thread`); returns the MESSAGE_CREATE
        payload. Mentions default to what the content mentions (<@id>, <@&id>, @everyone when the
        author may); a reply (`message_reference`: a message or its id) pings its author unless
        `reply_mention` is False. With `webhook_id` the author is that webhook, named as `author`.
        `attachments` are files built by `FakeDiscord.attachment()` (on its CDN)."""
        await self.connected(within)
        target = self._channel(thread if thread is not None else channel)
        user = self._user(author)
        guild_id = target.get("guild_id")
        if mentions is None:
            mentions = [u for u in unique(USER_MENTION.findall(content)) if int(u) in self.users]
        mention_ids = [str(id_of(u)) for u in mentions]
        if mention_roles is None:
            known = {r["id"] for r in self.guilds[int(guild_id)]["roles"]} if guild_id else set()
            mention_roles = [r for r in unique(ROLE_MENTION.findall(content)) if r in known]
        if mention_everyone is None:
            may = guild_id is not None and bool(
                self.permissions(guild_id, user, target) & Perm.MENTION_EVERYONE
            )
            mention_everyone = may and ("@everyone" in content or "@here" in content)
        reply_to = None
        if message_reference is not None:
            reply_to = self.message(target["id"], message_reference) or self._find_message(
                id_of(message_reference)
            )
            if reply_mention and reply_to["author"]["id"] not in mention_ids:
                mention_ids.append(reply_to["author"]["id"])
        if webhook_id is not None:
            user = {**copy.deepcopy(user), "id": str(webhook_id), "discriminator": "0000", "bot": True}
        message = self.new_message(
            target,
            user,
            content,
            mentions=[int(u) for u in mention_ids],
            mention_roles=mention_roles,
            mention_everyone=mention_everyone,
            reply_to=reply_to,
            webhook_id=webhook_id,
            attachments=[copy.deepcopy(attachment) for attachment in attachments],
        )
        payload = self.gateway_message(message)
        await self.gateway.dispatch("MESSAGE_CREATE", payload, source=payload)
        return payload

    async def dispatch_message_update(self, message: Ref, new_content: str) -> JSON:
        """The author edits `message`: MESSAGE_UPDATE with the full message, edited_timestamp set."""
        stored = self._find_message(id_of(message))
        users = [u for u in unique(USER_MENTION.findall(new_content)) if int(u) in self.users]
        stored.update(
            content=new_content,
            edited_timestamp=iso(datetime.now(UTC)),
            mentions=[copy.deepcopy(self.users[int(u)]) for u in users],
        )
        payload = self.gateway_message(stored)
        await self.gateway.dispatch("MESSAGE_UPDATE", payload, source=payload)
        return payload

    async def dispatch_message_delete(self, message: Ref) -> JSON:
        return await self._remove(self._find_message(id_of(message)))

    async def dispatch_reaction(self, message: Ref, user: Ref, emoji: str) -> JSON:
        """`user` reacts with a unicode `emoji` (or "name:id"): MESSAGE_REACTION_ADD."""
        stored = self._find_message(id_of(message))
        parsed = self._emoji(emoji)
        payload = self._reaction_event(stored, id_of(self._user(user)), parsed)
        await self.gateway.dispatch("MESSAGE_REACTION_ADD", payload, source=payload)
        return payload

    async def dispatch_thread_create(
        self,
        thread_or_channel: Ref,
        name: str | None = None,
        *,
        owner: Ref | None = None,
        message: Ref | None = None,
        type: int = PUBLIC_THREAD,
    ) -> JSON:
        """THREAD_CREATE (newly_created) for a thread built by `thread()`, or for a new one named
        `name` under the channel (started from `message` if given; then it has the message's id)."""
        thread = self._channel(thread_or_channel)
        if thread["type"] not in THREAD_TYPES:
            if name is None:
                raise ValueError("a new thread needs a name")
            starter = id_of(message) if message is not None else None
            thread = self.thread(thread, name, owner=owner, id=starter, type=type)
        payload: JSON = {**copy.deepcopy(thread), "newly_created": True}
        if self.bot_id in self.thread_members.get(int(thread["id"]), set()):
            payload["member"] = self._thread_member(thread, self.bot_id)
        await self.gateway.dispatch("THREAD_CREATE", payload, source=payload)
        return payload

    async def dispatch_interaction(
        self,
        guild: Ref | None,
        channel: Ref,
        user: Ref,
        command: str = "parley",
        subcommand: str | None = "help",
        options: dict[str, Any] | list[JSON] | None = None,
        *,
        locale: str = "en-US",
        within: float = 5.0,
    ) -> JSON:
        """`user` runs /command [subcommand] in `channel` (guild None: a DM): INTERACTION_CREATE
        for an application command (type 2). `options` is {name: value} (types inferred) or
        Discord's option list. The command's id is the registered one when it was synced."""
        await self.connected(within)
        option_list = _options(options)
        if subcommand is not None:
            option_list = [{"type": 1, "name": subcommand, "options": option_list}]
        scopes = [id_of(guild), None] if guild is not None else [None]
        registered = next(
            (
                c
                for scope in scopes
                for c in self.commands.get(scope, [])
                if c["name"] == command and c["type"] == 1
            ),
            None,
        )
        data: JSON = {
            "id": registered["id"] if registered else str(self.snowflake()),
            "name": command,
            "type": 1,
            "options": option_list,
        }
        if registered is not None and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload = self.interaction(guild, channel, user, data, token=token, locale=locale)
        self._interactions[token] = {
            "payload": payload,
            "created": time.monotonic(),
            "responded": False,
            "messages": {},
        }
        await self.gateway.dispatch("INTERACTION_CREATE", payload, source=payload)
        return payload

    async def dispatch_member_update(self, guild: Ref, user: Ref, **changes: Any) -> JSON:
        """The member changes (nick=..., roles=[role or id...], communication_disabled_until=...):
        GUILD_MEMBER_UPDATE with the whole member."""
        member = self.members[id_of(guild)][id_of(self._user(user))]
        if "roles" in changes:
            changes["roles"] = [str(id_of(role)) for role in changes["roles"]]
        member.update(changes)
        payload = {"guild_id": str(id_of(guild)), **copy.deepcopy(member)}
        await self.gateway.dispatch("GUILD_MEMBER_UPDATE", payload, source=payload)
        return payload

    async def dispatch_member_add(self, guild: Ref, user: Ref, **member_options: Any) -> JSON:
        """`user` joins: `member()` then GUILD_MEMBER_ADD."""
        member = self.member(guild, user, **member_options)
        payload = {"guild_id": str(id_of(guild)), **copy.deepcopy(member)}
        await self.gateway.dispatch("GUILD_MEMBER_ADD", payload, source=payload)
        return payload

    async def dispatch_guild_create(self, guild: Ref) -> JSON:
        """The bot is added to a guild built after it connected."""
        payload = self.guild_create(guild)
        await self.gateway.dispatch("GUILD_CREATE", payload, source=payload)
        return payload

    async def dispatch_raw(self, frame: JSON) -> JSON | None:
        """Send any op 0 frame ({"t": ..., "d": ...}), malformed ones included."""
        await self.connected()
        return await self.gateway.dispatch_raw(frame)

    # ----------------------------------- application commands and interactions

    def _own_application(self, request: web.Request) -> None:
        if request.match_info["application_id"] != str(self.application_id):
            raise DiscordError(403, 50001, "Missing Access")

    def _command_scope(self, request: web.Request) -> int | None:
        self._own_application(request)
        if "guild_id" not in request.match_info:
            return None
        return int(self._guild_of(request)["id"])

    async def _get_commands(self, request: web.Request, body: Any) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request, body: Any) -> list[JSON]:
        """Bulk overwrite: the list replaces what was there; a command keeps its id by name and type."""
        scope = self._command_scope(request)
        if not isinstance(body, list):
            raise form_error("_root", "BASE_TYPE_ARRAY", "Must be an array.")
        if len(body) > 100:
            raise form_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        before = {(c["name"], c["type"]): c for c in self.commands.get(scope, [])}
        result = []
        for index, command in enumerate(body):
            kind = int(command.get("type") or 1)
            name, description = str(command.get("name") or ""), str(command.get("description") or "")
            if kind == 1 and not (re.fullmatch(r"[-_'\w]{1,32}", name) and name == name.lower()):
                raise form_error(
                    f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
                )
            if kind == 1 and not 1 <= len(description) <= 100:
                raise form_error(
                    f"{index}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )
            old = before.get((name, kind))
            stored = {
                "id": old["id"] if old else str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "default_member_permissions": command.get("default_member_permissions"),
                "type": kind,
                "name": name,
                "name_localizations": command.get("name_localizations"),
                "description": description,
                "description_localizations": command.get("description_localizations"),
                "options": command.get("options") or [],
                "nsfw": bool(command.get("nsfw", False)),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
            }
            if scope is not None:
                stored["guild_id"] = str(scope)
            else:
                stored["dm_permission"] = command.get("dm_permission", True)
            result.append(stored)
        self.commands[scope] = result
        return copy.deepcopy(result)

    async def _callback(self, request: web.Request, body: Any) -> JSON | None:
        body = body or {}
        state = self._interactions.get(request.match_info["token"])
        late = state is not None and time.monotonic() - state["created"] > self.interaction_deadline
        if state is None or state["payload"]["id"] != request.match_info["interaction_id"] or late:
            raise unknown("interaction")
        if state["responded"]:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in (4, 5, 9):  # what an application command may be answered with
            raise form_error("type", "BASE_TYPE_CHOICES", "Value must be one of {4, 5, 9}.")
        flags = int(data.get("flags") or 0)
        if kind == 4:
            content = check_content(data.get("content"))
            if not (content or data.get("embeds") or data.get("components") or body.get("_files")):
                raise DiscordError(400, 50006, "Cannot send an empty message")
        state["responded"] = True
        self.interaction_responses.append(
            {
                "interaction_id": state["payload"]["id"],
                "token": request.match_info["token"],
                "type": kind,
                "data": data,
                "ephemeral": bool(flags & EPHEMERAL),
            }
        )
        message = None
        if kind in (4, 5):
            content = (data.get("content") or "") if kind == 4 else ""
            message = await self._interaction_message(state, content, flags | (LOADING if kind == 5 else 0))
            state["original"] = message
        if request.query.get("with_response") not in ("1", "true", "True"):
            return None
        answer: JSON = {
            "id": state["payload"]["id"],
            "type": 2,
            "activity_instance_id": None,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        resource = {"type": kind, **({"message": copy.deepcopy(message)} if message else {})}
        return {"interaction": answer, "resource": resource}

    async def _interaction_message(
        self, state: JSON, content: str, flags: int, *, original: bool = True
    ) -> JSON:
        payload = state["payload"]
        user = payload.get("member", {}).get("user") or payload.get("user")
        meta = {
            "id": payload["id"],
            "type": 2,
            "name": payload["data"]["name"],
            "user": user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        if original:
            meta["command_type"] = 1
        else:
            meta["original_response_message_id"] = state["original"]["id"] if state.get("original") else None
        ephemeral = bool(flags & EPHEMERAL)
        message = self.new_message(
            int(payload["channel_id"]),
            self.bot_user,
            content,
            webhook_id=self.application_id,
            type=20 if original else 0,
            flags=flags,
            extra={"application_id": str(self.application_id), "interaction_metadata": meta},
            store=not ephemeral,
        )
        if ephemeral:
            self.ephemeral.setdefault(int(payload["channel_id"]), []).append(message)
        else:
            await self.gateway.dispatch("MESSAGE_CREATE", self.gateway_message(message))
        state["messages"][message["id"]] = message
        return message

    def _interaction_of(self, request: web.Request) -> JSON:
        state = self._interactions.get(request.match_info["token"])
        if state is None or request.match_info["application_id"] != str(self.application_id):
            raise unknown("webhook")
        return state

    async def _followup(self, request: web.Request, body: Any) -> JSON | None:
        body = body or {}
        state = self._interaction_of(request)
        self.followups.append(
            {"method": "POST", "message_id": None, "token": state["payload"]["token"], "data": body}
        )
        if not state["responded"]:
            raise unknown("webhook")
        content = check_content(body.get("content"))
        if not (content or body.get("embeds") or body.get("components") or body.get("_files")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        message = await self._interaction_message(state, content, int(body.get("flags") or 0), original=False)
        return copy.deepcopy(message) if request.query.get("wait") in ("true", "1", "True") else None

    async def _webhook_message(self, request: web.Request, body: Any) -> JSON | None:
        """GET/PATCH/DELETE of @original or a followup of an interaction."""
        state = self._interaction_of(request)
        wanted = request.match_info["message_id"]
        record = {
            "method": request.method,
            "message_id": wanted,
            "token": state["payload"]["token"],
            "data": body,
        }
        self.followups.append(record)
        message: JSON | None = (
            state.get("original") if wanted == "@original" else state["messages"].get(wanted)
        )
        if message is None:
            raise unknown("message")
        if request.method == "GET":
            return copy.deepcopy(message)
        ephemeral = bool(message["flags"] & EPHEMERAL)
        if request.method == "DELETE":
            if ephemeral:
                self.ephemeral[int(message["channel_id"])].remove(message)
            else:
                await self._remove(message)
            return None
        body = body or {}
        if "content" in body:
            message["content"] = check_content(body["content"])
        if "embeds" in body:
            message["embeds"] = body["embeds"] or []
        message["flags"] &= ~LOADING
        message["edited_timestamp"] = iso(datetime.now(UTC))
        if not ephemeral:
            await self.gateway.dispatch("MESSAGE_UPDATE", self.gateway_message(message))
        return copy.deepcopy(message)

    # ----------------------------------------------- shared with the REST side

    def _find_message(self, message_id: int) -> JSON:
        for found in self.messages.values():
            if message_id in found:
                return found[message_id]
        raise KeyError(f"no message {message_id}")

    def _guild_of(self, request: web.Request) -> JSON:
        guild = self.guilds.get(snowflake_arg(request.match_info["guild_id"], "guild_id"))
        if guild is None or self.bot_id not in self.members[int(guild["id"])]:
            raise unknown("guild")
        return guild

    async def _remove(self, message: JSON) -> JSON:
        del self.messages[int(message["channel_id"])][int(message["id"])]
        self.deleted.append(message)
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        guild_id = self.channels[int(message["channel_id"])].get("guild_id")
        if guild_id:
            event["guild_id"] = guild_id
        await self.gateway.dispatch("MESSAGE_DELETE", event)
        return event

    def _emoji(self, raw: str) -> JSON:
        """A reaction emoji from the path: unicode, or "name:id" of a custom emoji Discord knows."""
        name, colon, emoji_id = raw.rpartition(":")
        if colon:
            known = any(e["id"] == emoji_id for g in self.guilds.values() for e in g["emojis"])
            if not emoji_id.isdigit() or not known:
                raise unknown("emoji")
            return {"id": emoji_id, "name": name.removeprefix("a:")}
        if not raw or raw.isascii():
            raise unknown("emoji")
        return {"id": None, "name": raw}

    def _reaction_event(self, message: JSON, user_id: int, emoji: JSON) -> JSON:
        event: JSON = {
            "user_id": str(user_id),
            "type": 0,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "message_author_id": message["author"]["id"],
            "emoji": emoji,
            "burst": False,
            "burst_colors": [],
        }
        guild_id = self.channels[int(message["channel_id"])].get("guild_id")
        if guild_id:
            event["guild_id"] = guild_id
            if member := self.members[int(guild_id)].get(user_id):
                event["member"] = copy.deepcopy(member)
        return event

    def _thread_member(self, thread: JSON, user_id: int) -> JSON:
        when = iso(datetime.now(UTC))
        return {"id": thread["id"], "user_id": str(user_id), "join_timestamp": when, "flags": 0}


def _options(options: dict[str, Any] | list[JSON] | None) -> list[JSON]:
    if options is None:
        return []
    if isinstance(options, list):
        return options
    kinds = ((bool, 5), (int, 4), (float, 10), (str, 3))
    return [
        {"type": next(k for t, k in kinds if isinstance(value, t)), "name": name, "value": value}
        for name, value in options.items()
    ]
