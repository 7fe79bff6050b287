"""The Discord world a test plays in: people, guilds, roles, channels, messages, as Discord shapes them.

`DiscordWorld` holds the state behind `FakeDiscord` (discord_api.py) and builds the documented
objects (user, guild, role, channel, member, message, thread, interaction) with string snowflakes,
ISO timestamps and every field discord.py reads — members carry `flags`, `roles` and `joined_at`,
without which discord.py drops a GUILD_CREATE quietly. It also computes permissions the way
Discord does (base role permissions, then channel overwrites for @everyone, roles and the member),
so the fake can answer 403 where Discord would.
"""

from __future__ import annotations

import copy
import enum
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
Ref = JSON | int | str  # an object built here, or its id

DISCORD_EPOCH_MS = 1_420_070_400_000
MAX_CONTENT = 2000
USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


class Intent(enum.IntFlag):
    """Gateway intents (IDENTIFY `intents`)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1  # privileged
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8  # privileged
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15  # privileged


PRIVILEGED_INTENTS = Intent.GUILD_MEMBERS | Intent.GUILD_PRESENCES | Intent.MESSAGE_CONTENT


class Perm(enum.IntFlag):
    """Permission bits (the decimal strings of role `permissions` and overwrites)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40


ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_DEFAULT = (  # what @everyone may do in a new guild (close to Discord's default set)
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.STREAM
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.USE_EXTERNAL_STICKERS
    | Perm.SEND_MESSAGES_IN_THREADS
)
BOT_DEFAULT = (  # the bot's managed role, as an invite link asking for what Parley needs grants it
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.USE_APPLICATION_COMMANDS
)

# Channel types
GUILD_TEXT, DM, GUILD_CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 4, 11, 12
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})


def snowflake_time(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def iso(moment: datetime) -> str:
    """Discord's timestamp format: "2025-11-25T12:00:00.123000+00:00"."""
    return moment.isoformat(timespec="microseconds")


@dataclass
class Snowflakes:
    """Discord ids: milliseconds since 2015 << 22 | worker << 17 | process << 12 | increment.
    Increasing, and their time is now, so discord.py's `created_at` agrees with `timestamp`."""

    worker: int = 1
    process: int = 0
    _last_ms: int = 0
    _increment: int = 0

    def __call__(self) -> int:
        now = int(time.time() * 1000)
        if now <= self._last_ms:
            self._increment += 1
            if self._increment >= 4096:
                self._last_ms, self._increment = self._last_ms + 1, 0
        else:
            self._last_ms, self._increment = now, 0
        return (
            (self._last_ms - DISCORD_EPOCH_MS) << 22
            | self.worker << 17
            | self.process << 12
            | self._increment
        )


def id_of(ref: Ref) -> int:
    return int(ref["id"]) if isinstance(ref, dict) else int(ref)


def _ids(refs: Iterable[Ref] | None) -> list[str]:
    return [str(id_of(ref)) for ref in refs or ()]


class DiscordError(Exception):
    """A REST failure as Discord answers it: HTTP status and a JSON {"message", "code"[, "errors"]}."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def form_error(field_path: str, code: str, message: str) -> DiscordError:
    """400 Invalid Form Body with the nested `errors` Discord gives, e.g. ("content",
    "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field_path.split(".")):
        errors = {part: errors}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def snowflake_arg(value: str, name: str) -> int:
    """A snowflake from a path or body; anything else is 50035, as Discord answers."""
    if not value.isdigit():
        raise form_error(name, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
    return int(value)


def check_content(content: Any) -> str:
    """Message content: a string of at most 2000 characters (else 50035 Invalid Form Body)."""
    if content is None:
        return ""
    if not isinstance(content, str):
        raise form_error("content", "BASE_TYPE_STRING", "Must be a string.")
    if len(content) > MAX_CONTENT:
        raise form_error("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    return content


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "guild": (10004, "Unknown Guild"),
    "member": (10007, "Unknown Member"),
    "message": (10008, "Unknown Message"),
    "user": (10013, "Unknown User"),
    "emoji": (10014, "Unknown Emoji"),
    "webhook": (10015, "Unknown Webhook"),
    "interaction": (10062, "Unknown interaction"),
}


def unknown(kind: str) -> DiscordError:
    code, message = UNKNOWN[kind]
    return DiscordError(404 if kind != "emoji" else 400, code, message)


@dataclass
class DiscordWorld:
    """Everyone and everything the fake knows, stored as Discord's JSON objects (ids as strings)."""

    token: str = "fake.discord.token"
    bot_id: int = 1_300_000_000_000_000_001
    bot_username: str = "parley"
    bot_global_name: str | None = "Parley"
    application_id: int = 0  # 0: the bot's id, as for applications created since 2020
    application_name: str = "Parley"
    # The privileged intents enabled for the application in the developer portal.
    privileged_intents: int = Intent.GUILD_MEMBERS | Intent.MESSAGE_CONTENT
    users: dict[int, JSON] = field(default_factory=dict)
    guilds: dict[int, JSON] = field(default_factory=dict)  # without channels and members
    channels: dict[int, JSON] = field(default_factory=dict)  # guild channels, threads and DMs
    members: dict[int, dict[int, JSON]] = field(default_factory=dict)  # guild -> user -> member (with user)
    thread_members: dict[int, set[int]] = field(default_factory=dict)  # thread -> user ids
    messages: dict[int, dict[int, JSON]] = field(default_factory=dict)  # channel -> id -> message now
    snowflake: Snowflakes = field(default_factory=Snowflakes)

    def __post_init__(self) -> None:
        self.application_id = self.application_id or self.bot_id
        self.user(self.bot_id, self.bot_username, self.bot_global_name, bot=True)

    # ------------------------------------------------------------- builders

    @property
    def bot_user(self) -> JSON:
        return self.users[self.bot_id]

    def user(
        self,
        id: int | None,
        username: str,
        global_name: str | None = None,
        bot: bool = False,
        avatar: str | None = None,
    ) -> JSON:
        """A user object; `id` None draws a snowflake."""
        user_id = id or self.snowflake()
        user: JSON = {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": global_name,
            "avatar": avatar,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
            "public_flags": 0,
            "banner": None,
            "accent_color": None,
        }
        if bot:
            user["bot"] = True
        self.users[user_id] = user
        return user

    def guild(
        self,
        id: int,
        name: str,
        owner_id: Ref,
        *,
        bot_permissions: int = BOT_DEFAULT,
        everyone_permissions: int = EVERYONE_DEFAULT,
        features: Iterable[str] = (),
        member_count: int | None = None,
        preferred_locale: str = "en-US",
        emojis: Iterable[JSON] = (),
    ) -> JSON:
        """A guild with its @everyone role (same id as the guild) and the bot already in it, holding
        the managed role Discord creates from the invite's permissions (`bot_permissions`)."""
        guild: JSON = {
            "id": str(id),
            "name": name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(id_of(owner_id)),
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [],
            "emojis": [dict(emoji) for emoji in emojis],
            "stickers": [],
            "features": list(features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": preferred_locale,
            "nsfw_level": 0,
            "nsfw": False,
            "hub_type": None,
            "incidents_data": None,
            "latest_onboarding_question_id": None,
        }
        if member_count is not None:
            guild["_member_count"] = member_count  # reported instead of the members held
        self.guilds[id] = guild
        self.members[id] = {}
        self.role(guild, id, "@everyone", everyone_permissions, position=0)
        bot_role = self.role(
            guild,
            self.snowflake(),
            self.application_name,
            bot_permissions,
            managed=True,
            tags={"bot_id": str(self.bot_id)},
        )
        self.member(guild, self.bot_user, roles=[bot_role])
        return guild

    def role(
        self,
        guild: Ref,
        id: int,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        position: int | None = None,
        mentionable: bool = False,
        managed: bool = False,
        tags: JSON | None = None,
    ) -> JSON:
        roles: list[JSON] = self._guild(guild)["roles"]
        role: JSON = {
            "id": str(id),
            "name": name,
            "description": None,
            "color": color,
            "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
            "hoist": hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": len(roles) if position is None else position,
            "permissions": str(int(permissions)),
            "managed": managed,
            "mentionable": mentionable,
            "flags": 0,
        }
        if tags is not None:
            role["tags"] = tags
        roles.append(role)
        return role

    def emoji(self, guild: Ref, id: int, name: str, *, animated: bool = False) -> JSON:
        """A custom emoji of `guild` (reactions name it "name:id")."""
        emoji: JSON = {
            "id": str(id),
            "name": name,
            "roles": [],
            "require_colons": True,
            "managed": False,
            "animated": animated,
            "available": True,
        }
        self._guild(guild)["emojis"].append(emoji)
        return emoji

    def text_channel(
        self,
        guild: Ref,
        id: int,
        name: str,
        *,
        topic: str | None = None,
        position: int | None = None,
        parent_id: int | None = None,
        nsfw: bool = False,
        permission_overwrites: Iterable[JSON] = (),
        rate_limit_per_user: int = 0,
    ) -> JSON:
        guild_id = id_of(guild)
        self._guild(guild_id)
        siblings = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        channel: JSON = {
            "id": str(id),
            "type": GUILD_TEXT,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(siblings) if position is None else position,
            "permission_overwrites": list(permission_overwrites),
            "topic": topic,
            "nsfw": nsfw,
            "last_message_id": None,
            "rate_limit_per_user": rate_limit_per_user,
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
            "default_thread_rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "icon_emoji": None,
            "theme_color": None,
        }
        self.channels[id] = channel
        return channel

    @staticmethod
    def overwrite(target: JSON, allow: int = 0, deny: int = 0) -> JSON:
        """A permission overwrite for a role (built by `role`) or a member/user."""
        is_role = "permissions" in target and "user" not in target
        target_id = target["user"]["id"] if "user" in target else target["id"]
        return {"id": str(target_id), "type": 0 if is_role else 1, "allow": str(allow), "deny": str(deny)}

    def member(
        self,
        guild: Ref,
        user: Ref,
        roles: Iterable[Ref] = (),
        nick: str | None = None,
        *,
        admin: bool = False,
        permissions: int | None = None,
        joined_at: datetime | None = None,
    ) -> JSON:
        """`user` joins `guild`. `admin` gives them the guild's "Admin" role (ADMINISTRATOR);
        `permissions` a role of their own with exactly those bits."""
        guild_json = self._guild(guild)
        user_json = self._user(user)
        role_ids = _ids(roles)
        if admin:
            admin_role = next((r for r in guild_json["roles"] if r["name"] == "Admin"), None)
            admin_role = admin_role or self.role(guild_json, self.snowflake(), "Admin", Perm.ADMINISTRATOR)
            role_ids.append(admin_role["id"])
        if permissions is not None:
            role_ids.append(
                self.role(guild_json, self.snowflake(), f"{user_json['username']}", permissions)["id"]
            )
        member: JSON = {
            "user": user_json,
            "nick": nick,
            "avatar": None,
            "banner": None,
            "roles": role_ids,
            "joined_at": iso(joined_at or datetime.now(UTC)),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
            "collectibles": None,
        }
        self.members[id_of(guild)][id_of(user_json)] = member
        return member

    def dm_channel(self, user: Ref) -> JSON:
        """The DM channel between the bot and `user` (one per user)."""
        user_json = self._user(user)
        for channel in self.channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == user_json["id"]:
                return channel
        channel_id = self.snowflake()
        channel = {
            "id": str(channel_id),
            "type": DM,
            "last_message_id": None,
            "recipients": [user_json],
            "flags": 0,
        }
        self.channels[channel_id] = channel
        return channel

    def thread(
        self,
        channel: Ref,
        name: str,
        *,
        owner: Ref | None = None,
        id: int | None = None,
        type: int = PUBLIC_THREAD,
        auto_archive_duration: int = 1440,
    ) -> JSON:
        """A thread under a text channel (not announced: see FakeDiscord.dispatch_thread_create).
        A thread started from a message has the message's id."""
        parent = self._channel(channel)
        thread_id = id or self.snowflake()
        owner_id = id_of(owner) if owner is not None else self.bot_id
        now = iso(datetime.now(UTC))
        thread: JSON = {
            "id": str(thread_id),
            "type": type,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(owner_id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
                **({"invitable": True} if type == PRIVATE_THREAD else {}),
            },
        }
        self.channels[thread_id] = thread
        self.thread_members[thread_id] = {owner_id}
        return thread

    @property
    def application_flags(self) -> int:
        """Application flags for the enabled privileged intents: the "limited" bits, as for a bot
        in fewer than 100 guilds."""
        enabled = self.privileged_intents
        flags = 1 << 13 if enabled & Intent.GUILD_PRESENCES else 0
        flags |= 1 << 15 if enabled & Intent.GUILD_MEMBERS else 0
        return flags | (1 << 19 if enabled & Intent.MESSAGE_CONTENT else 0)

    # ---------------------------------------------------------- permissions

    def permissions(self, guild: Ref, user: Ref, channel: Ref | None = None) -> int:
        """What `user` may do in `guild` (or in `channel`): Discord's computation, owner and
        ADMINISTRATOR included; threads follow their parent's overwrites."""
        guild_json = self._guild(guild)
        user_id = id_of(user)
        if str(user_id) == guild_json["owner_id"]:
            return ALL_PERMISSIONS
        member = self.members[id_of(guild_json)].get(user_id)
        if member is None:
            return 0
        roles = {r["id"]: int(r["permissions"]) for r in guild_json["roles"]}
        allowed = roles.get(guild_json["id"], 0)
        for role_id in member["roles"]:
            allowed |= roles.get(role_id, 0)
        if allowed & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return allowed
        target = self._channel(channel)
        if target["type"] in THREAD_TYPES:
            target = self.channels[int(target["parent_id"])]
        overwrites = {(o["type"], o["id"]): o for o in target.get("permission_overwrites", [])}
        everyone = overwrites.get((0, guild_json["id"]))
        if everyone:
            allowed = (allowed & ~int(everyone["deny"])) | int(everyone["allow"])
        deny = allow = 0
        for role_id in member["roles"]:
            if found := overwrites.get((0, role_id)):
                deny, allow = deny | int(found["deny"]), allow | int(found["allow"])
        allowed = (allowed & ~deny) | allow
        if own := overwrites.get((1, str(user_id))):
            allowed = (allowed & ~int(own["deny"])) | int(own["allow"])
        if not allowed & Perm.VIEW_CHANNEL:
            return 0
        return allowed

    def sees_thread(self, user: Ref, thread: Ref) -> bool:
        """Whether `user` may see `thread`: a private thread shows only to its members and to
        moderators (Manage Threads); other threads to whoever sees their parent."""
        thread_json = self._channel(thread)
        if thread_json["type"] != PRIVATE_THREAD:
            return True
        user_id = id_of(self._user(user))
        if user_id in self.thread_members.get(int(thread_json["id"]), set()):
            return True
        return bool(self.permissions(thread_json["guild_id"], user_id, thread_json) & Perm.MANAGE_THREADS)

    # ------------------------------------------------------------- payloads

    def guild_create(self, guild: Ref) -> JSON:
        """The GUILD_CREATE a bot receives: the guild with roles, channels, active threads,
        members, presences and the rest Discord adds for the gateway."""
        guild_json = self._guild(guild)
        guild_id = guild_json["id"]
        members = list(self.members[int(guild_id)].values())
        channels = [c for c in self.channels.values() if c.get("guild_id") == guild_id]
        body = {k: copy.deepcopy(v) for k, v in guild_json.items() if not k.startswith("_")}
        count = guild_json.get("_member_count", len(members))
        return {
            **body,
            "joined_at": self.members[int(guild_id)][self.bot_id]["joined_at"],
            "large": count > 250,
            "unavailable": False,
            "member_count": count,
            "voice_states": [],
            "members": copy.deepcopy(members),
            "channels": [copy.deepcopy(c) for c in channels if c["type"] not in THREAD_TYPES],
            "threads": [  # the active threads the bot may see (private ones: if a member or moderator)
                copy.deepcopy(c)
                for c in channels
                if c["type"] in THREAD_TYPES and self._active(c) and self.sees_thread(self.bot_id, c)
            ],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "application_command_counts": {},
        }

    def partial_member(self, guild_id: int | str, user_id: int | str) -> JSON | None:
        """A member without `user`, as message events and mentions carry it."""
        member = self.members.get(int(guild_id), {}).get(int(user_id))
        if member is None:
            return None
        return {k: copy.deepcopy(v) for k, v in member.items() if k != "user"}

    def gateway_message(self, message: JSON) -> JSON:
        """A stored message as MESSAGE_CREATE/UPDATE carries it: guild_id, the author's member,
        members on mentions and the channel type."""
        event = copy.deepcopy(message)
        channel = self.channels.get(int(message["channel_id"]))
        event["channel_type"] = channel["type"] if channel else GUILD_TEXT
        guild_id = channel.get("guild_id") if channel else None
        if guild_id:
            event["guild_id"] = guild_id
            member = (
                None if message.get("webhook_id") else self.partial_member(guild_id, message["author"]["id"])
            )
            if member is not None:
                event["member"] = member
            for mentioned in event["mentions"]:
                if (partial := self.partial_member(guild_id, mentioned["id"])) is not None:
                    mentioned["member"] = partial
        return event

    def new_message(
        self,
        channel: Ref,
        author: JSON,
        content: str,
        *,
        mentions: Iterable[Ref] = (),
        mention_roles: Iterable[Ref] = (),
        mention_everyone: bool = False,
        reply_to: JSON | None = None,
        webhook_id: int | None = None,
        type: int | None = None,
        flags: int = 0,
        embeds: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        extra: JSON | None = None,
        store: bool = True,
    ) -> JSON:
        """A message object (REST shape), stored in its channel unless `store` is False (ephemeral
        messages); a reply gets type 19, a message_reference and the referenced message."""
        channel_json = self._channel(channel)
        message_id = self.snowflake()
        message: JSON = {
            "id": str(message_id),
            "channel_id": channel_json["id"],
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": iso(snowflake_time(message_id)),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": mention_everyone,
            "mentions": [copy.deepcopy(self._user(u)) for u in mentions],
            "mention_roles": _ids(mention_roles),
            "attachments": attachments or [],
            "embeds": embeds or [],
            "pinned": False,
            "type": type if type is not None else (19 if reply_to else 0),
            "flags": flags,
            "components": [],
        }
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
        if reply_to is not None:
            message["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
                **({"guild_id": channel_json["guild_id"]} if channel_json.get("guild_id") else {}),
            }
            message["referenced_message"] = copy.deepcopy(reply_to)
        message.update(extra or {})
        if not store:
            return message
        if channel_json["type"] in THREAD_TYPES:
            message["position"] = channel_json["total_message_sent"]
            channel_json["message_count"] += 1
            channel_json["total_message_sent"] += 1
        channel_json["last_message_id"] = message["id"]
        self.messages.setdefault(int(channel_json["id"]), {})[message_id] = message
        return message

    def interaction(
        self,
        guild: Ref | None,
        channel: Ref,
        user: Ref,
        data: JSON,
        *,
        token: str,
        locale: str = "en-US",
    ) -> JSON:
        """An INTERACTION_CREATE for an application command (type 2) from `user` in `channel`."""
        channel_json = self._channel(channel)
        user_json = self._user(user)
        bot_perms = self.permissions(guild, self.bot_id, channel_json) if guild is not None else 0
        interaction: JSON = {
            "id": str(self.snowflake()),
            "application_id": str(self.application_id),
            "type": 2,
            "data": data,
            "channel_id": channel_json["id"],
            "channel": copy.deepcopy(channel_json),
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": str(bot_perms or Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            guild_json = self._guild(guild)
            member = copy.deepcopy(self.members[id_of(guild_json)][id_of(user_json)])
            member["permissions"] = str(self.permissions(guild_json, user_json, channel_json))
            interaction.update(
                guild_id=guild_json["id"],
                guild={"id": guild_json["id"], "locale": guild_json["preferred_locale"], "features": []},
                guild_locale=guild_json["preferred_locale"],
                member=member,
                context=0,
                authorizing_integration_owners={"0": guild_json["id"]},
            )
        else:
            # In the bot's DM a guild-installed app is authorised by "0" (a string, as documented).
            interaction.update(user=copy.deepcopy(user_json), context=1)
            interaction["authorizing_integration_owners"] = {"0": "0"}
        return interaction

    # -------------------------------------------------------------- lookups

    def _active(self, thread: JSON) -> bool:
        return not thread["thread_metadata"]["archived"]

    def _guild(self, ref: Ref) -> JSON:
        guild = self.guilds.get(id_of(ref))
        if guild is None:
            raise KeyError(f"no guild {id_of(ref)}: build it with guild() first")
        return guild

    def _channel(self, ref: Ref) -> JSON:
        channel = self.channels.get(id_of(ref))
        if channel is None:
            raise KeyError(f"no channel {id_of(ref)}: build it with text_channel() first")
        return channel

    def _user(self, ref: Ref) -> JSON:
        if isinstance(ref, dict) and "user" in ref:  # a member object
            ref = ref["user"]
        user = self.users.get(id_of(ref))
        if user is None:
            raise KeyError(f"no user {id_of(ref)}: build it with user() first")
        return user

    def message(self, channel: Ref, message_id: Ref) -> JSON | None:
        return self.messages.get(id_of(channel), {}).get(id_of(message_id))
