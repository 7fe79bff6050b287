"""The Slack workspace a test plays in, what Slack sends to an app, and how Slack signs it.

`SlackWorkspace` holds the people, conversations and messages; `FakeSlack` (slack_api.py) serves
it over the Web API and Socket Mode. The builders here produce what Slack delivers to an app —
Events API `event_callback` envelopes, `url_verification`, slash-command forms — shaped as Slack
documents them, and they store what they describe, so that later Web API calls find it
(`conversations.replies` on a thread, `reactions.add` on a ts, `users.info` on the author).
`sign` gives the headers of a signed delivery, retries included.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_files import file_object, mimetype_of, share_file

JSON = dict[str, Any]

TS_EPOCH = 1_764_072_000  # when the workspace and its people were made (created, updated)
LOOPBACK_UNSTARTED = "http://127.0.0.1:0/"
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def encode_form(fields: Mapping[str, object]) -> str:
    """A slash command's body as Slack posts it (application/x-www-form-urlencoded)."""
    return urlencode({key: _form_value(value) for key, value in fields.items()})


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def sign(
    body: str | bytes,
    secret: str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """The headers Slack sends with `body`: v0 HMAC-SHA256 of "v0:{ts}:{body}" with the signing
    secret. The content type follows the body (JSON for events, a form for commands) unless given;
    a redelivery carries X-Slack-Retry-Num and X-Slack-Retry-Reason (e.g. "http_timeout")."""
    raw = body.encode() if isinstance(body, str) else body
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if content_type is None:
        is_json = raw.lstrip().startswith(b"{")
        content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


def ts_micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction or "0").ljust(6, "0")[:6])


def _ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def rich_text(text: str) -> list[JSON]:
    """The rich_text block a Slack client attaches to what a person types (mentions as user elements)."""
    elements: list[JSON] = []
    position = 0
    for mention in USER_MENTION.finditer(text):
        if mention.start() > position:
            elements.append({"type": "text", "text": text[position : mention.start()]})
        elements.append({"type": "user", "user_id": mention.group(1)})
        position = mention.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    block_id = secrets.token_hex(3)
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


@dataclass
class SlackWorkspace:
    """One workspace: its people (users.info objects), conversations (conversations.info objects
    without members, which are kept in `members`) and every message as it is now."""

    team_id: str = "T0001"
    team_name: str = "Parley Test"
    team_domain: str = "parley-test"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    bot_name: str = "parley"
    app_id: str = "A0PARLEY"
    verification_token: str = "fake-verification-token"  # legacy `token` field of every delivery
    port: int = 0
    users: dict[str, JSON] = field(default_factory=dict)
    channels: dict[str, JSON] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # channel id -> user ids
    messages: dict[str, dict[str, JSON]] = field(default_factory=dict)  # channel -> ts -> message
    response_urls: dict[str, JSON] = field(default_factory=dict)  # id -> the command it answers
    files: dict[str, JSON] = field(default_factory=dict)  # file id -> the file as files.info gives it
    file_data: dict[str, bytes] = field(default_factory=dict)  # file id -> its bytes
    # Message ts follow the real clock, as Slack's do: a core that will not answer what is too old
    # (after downtime) answers what a test says now. Each ts is 100 µs after the one before.
    _clock: int = field(default_factory=lambda: int(time.time()) * 1_000_000)
    _serial: int = 0

    def __post_init__(self) -> None:
        bot = self.user(self.bot_user_id, "Parley", is_bot=True, name=self.bot_name)
        bot["profile"].update({"bot_id": self.bot_id, "api_app_id": self.app_id, "always_active": True})
        # users.list shows Slackbot, and it is not marked as a bot: code counting people must cope.
        self.user("USLACKBOT", "Slackbot", name="slackbot")

    @property
    def base_http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --------------------------------------------------------- people, places

    def user(
        self,
        id: str,
        real_name: str,
        display_name: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        *,
        is_owner: bool = False,
        deleted: bool = False,
        name: str | None = None,
    ) -> JSON:
        first, _, last = real_name.partition(" ")
        profile: JSON = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name or "",
            "display_name_normalized": display_name or "",
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": f"g{id.lower()[-10:]}",
            "first_name": first,
            "last_name": last,
            "team": self.team_id,
        }
        for size in (24, 32, 48, 72, 192, 512):
            profile[f"image_{size}"] = f"{self.base_http}/avatars/{id}_{size}.png"
        if is_bot:
            profile.update({"bot_id": f"B{id[1:]}", "api_app_id": "", "always_active": False})
        user: JSON = {
            "id": id,
            "team_id": self.team_id,
            "name": name or re.sub(r"\W+", ".", real_name.lower()).strip("."),
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": profile,
            "is_admin": is_admin or is_owner,
            "is_owner": is_owner,
            "is_primary_owner": is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": TS_EPOCH,
            "is_email_confirmed": not is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }
        self.users[id] = user
        return user

    def channel(
        self,
        id: str,
        name: str,
        private: bool = False,
        members: list[str] | None = None,
        *,
        bot_member: bool = True,
        topic: str = "",
        purpose: str = "",
        is_general: bool = False,
    ) -> JSON:
        """A public or private channel. Private channels made since 2021 have C ids and
        `is_channel` true; older ones (G ids) are `is_group`. The bot is a member unless told not."""
        legacy_group = private and id.startswith("G")
        channel: JSON = {
            "id": id,
            "name": name,
            "is_channel": not legacy_group,
            "is_group": legacy_group,
            "is_im": False,
            "is_mpim": False,
            "is_private": private,
            "created": TS_EPOCH - 86_400,
            "is_archived": False,
            "is_general": is_general,
            "unlinked": 0,
            "name_normalized": name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "updated": TS_EPOCH * 1000,
            "parent_conversation": None,
            "creator": (members or [""])[0],
            "is_ext_shared": False,
            "shared_team_ids": [self.team_id],
            "pending_connected_team_ids": [],
            "topic": {"value": topic, "creator": "", "last_set": 0},
            "purpose": {"value": purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        self.channels[id] = channel
        self.members[id] = list(
            dict.fromkeys([*(members or []), *([self.bot_user_id] if bot_member else [])])
        )
        return channel

    def im(self, user: str | JSON) -> JSON:
        """The bot's DM with `user` (the same one each time, as conversations.open gives)."""
        user_id = _id(user)
        for channel in self.channels.values():
            if channel.get("is_im") and channel["user"] == user_id:
                return channel
        channel_id = f"D{user_id[1:]}"
        while channel_id in self.channels:
            channel_id += "X"
        channel = {
            "id": channel_id,
            "created": TS_EPOCH - 3_600,
            "is_archived": False,
            "is_im": True,
            "is_org_shared": False,
            "context_team_id": self.team_id,
            "updated": TS_EPOCH * 1000,
            "user": user_id,
            "is_user_deleted": bool(self.users.get(user_id, {}).get("deleted")),
            "priority": 0,
        }
        self.channels[channel_id] = channel
        self.members[channel_id] = [user_id, self.bot_user_id]
        return channel

    def mpim(self, users: list[str] | list[JSON]) -> JSON:
        """A group DM of `users` and the bot (reused for the same people)."""
        people = list(dict.fromkeys([*(_id(u) for u in users), self.bot_user_id]))
        for channel_id, channel in self.channels.items():
            if channel.get("is_mpim") and sorted(self.members[channel_id]) == sorted(people):
                return channel
        self._serial += 1
        handles = "--".join(self.users.get(u, {}).get("name", u.lower()) for u in people)
        channel = {
            **self.channel(f"G0MP{self._serial:05d}", f"mpdm-{handles}-1", private=True, members=people),
            "is_channel": False,
            "is_group": False,
            "is_mpim": True,
        }
        self.channels[channel["id"]] = channel
        return channel

    def channel_type(self, channel_id: str) -> str:
        """`channel_type` of message events: channel, group (private), im or mpim."""
        channel = self.channels[channel_id]
        if channel.get("is_im"):
            return "im"
        if channel.get("is_mpim"):
            return "mpim"
        return "group" if channel.get("is_private") else "channel"

    def message(self, channel: str | JSON, ts: str) -> JSON | None:
        """A message as it is now (edits applied), or None."""
        return self.messages.get(_id(channel), {}).get(ts)

    def file(
        self,
        user: str | JSON,
        name: str,
        data: bytes,
        mimetype: str | None = None,
        *,
        title: str | None = None,
        file_id: str | None = None,
    ) -> JSON:
        """A file `user` uploaded, served by the fake to the bot token; share it by passing it to
        `event_message(files=[...])` or `event_app_mention(files=[...])`."""
        self._serial += 1
        file = file_object(
            file_id or f"F0{self._serial:07d}",
            user=_id(user),
            team_id=self.team_id,
            team_domain=self.team_domain,
            name=name,
            mimetype=mimetype or mimetype_of(name),
            size=len(data),
            base_http=self.base_http,  # before start() the fake's address is filled in by it
            created=self._clock // 1_000_000,
            title=title,
        )
        self.files[file["id"]], self.file_data[file["id"]] = file, data
        return file

    # ------------------------------------------------------------- messages

    def _next_ts(self) -> str:
        self._clock += 100
        return _ts(self._clock)

    def _claim_ts(self, ts: str | None) -> str:
        """A given ts is used as it is, and later ones still come after it."""
        if ts is None:
            return self._next_ts()
        self._clock = max(self._clock, ts_micros(ts))
        return ts

    def _conversation(self, channel: str | JSON) -> str:
        channel_id = _id(channel)
        if channel_id not in self.channels:
            raise ValueError(f"unknown conversation {channel_id!r}: create it with channel(), im() or mpim()")
        return channel_id

    def _bot_profile(self, bot_id: str) -> JSON:
        own = bot_id == self.bot_id
        return {
            "id": bot_id,
            "deleted": False,
            "name": "Parley" if own else f"bot {bot_id}",
            "updated": TS_EPOCH,
            "app_id": self.app_id if own else f"A{bot_id[1:]}",
            "icons": {
                f"image_{size}": f"{self.base_http}/avatars/{bot_id}_{size}.png" for size in (36, 48, 72)
            },
            "team_id": self.team_id,
        }

    def _store(self, channel_id: str, message: JSON) -> JSON:
        """Keep `message`; a reply also counts on its parent (reply_count, reply_users, latest_reply)."""
        thread_ts = message.get("thread_ts")
        parent = self.messages.get(channel_id, {}).get(thread_ts) if thread_ts else None
        if parent is not None and thread_ts != message["ts"]:
            message["parent_user_id"] = parent.get("user", "")
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            replied = parent.setdefault("reply_users", [])
            if message.get("user") and message["user"] not in replied:
                replied.append(message["user"])
            parent["reply_users_count"] = len(replied)
            parent["latest_reply"] = message["ts"]
        self.messages.setdefault(channel_id, {})[message["ts"]] = message
        return message

    def _person_message(
        self,
        channel_id: str,
        user: str | JSON | None,
        text: str,
        *,
        thread_ts: str | None,
        ts: str | None,
        subtype: str | None,
        bot_id: str | None,
        files: list[JSON] | None = None,
    ) -> JSON:
        user_id = _id(user) if user is not None else None
        if files and subtype is None:
            subtype = "file_share"  # what a member's upload with a message is
        if bot_id is None and user_id is not None:
            bot_id = self.users.get(user_id, {}).get("profile", {}).get("bot_id")
        message: JSON = {"type": "message"}
        if subtype:
            message["subtype"] = subtype
        if user_id is not None:
            message["user"] = user_id
        message.update({"text": text, "ts": self._claim_ts(ts), "team": self.team_id})
        if bot_id:
            message.update({"bot_id": bot_id, "app_id": self._bot_profile(bot_id)["app_id"]})
            message["bot_profile"] = self._bot_profile(bot_id)
        elif subtype in {None, "file_share"}:  # typed in a Slack client
            message["client_msg_id"] = (
                f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-4fa1-9c1d-{self._serial:012x}"
            )
            message["blocks"] = rich_text(text)
        if thread_ts:
            message["thread_ts"] = thread_ts
        stored = self._store(channel_id, message)
        if files:
            for file in files:
                share_file(self.files[file["id"]], self.channels[channel_id], stored, self.team_id)
            stored.update({"files": [copy.deepcopy(self.files[f["id"]]) for f in files], "upload": True})
        return stored

    # ------------------------------------------------------------- deliveries

    def _envelope(self, event: JSON) -> JSON:
        """The event_callback wrapper every Events API delivery has."""
        self._serial += 1
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev0FAKE{self._serial:05d}",
            "event_time": ts_micros(event.get("event_ts") or self._next_ts()) // 1_000_000,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-eyJldCI6ImZha2UiLCJ0aWQiOiJUMDAwMSJ9-{self._serial}",
        }

    def event_message(
        self,
        channel: str | JSON,
        user: str | JSON | None,
        text: str,
        *,
        thread_ts: str | None = None,
        ts: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """Someone posts (a bot when its user is a bot or `bot_id` is given; subtype
        "bot_message" with user None is an integration), with `files` made by `file()` shared
        (subtype "file_share"). Stored for later calls."""
        channel_id = self._conversation(channel)
        message = self._person_message(
            channel_id, user, text, thread_ts=thread_ts, ts=ts, subtype=subtype, bot_id=bot_id, files=files
        )
        event = {
            **copy.deepcopy(message),
            "channel": channel_id,
            "event_ts": message["ts"],
            "channel_type": self.channel_type(channel_id),
        }
        return self._envelope(event)

    def event_app_mention(
        self,
        channel: str | JSON,
        user: str | JSON,
        text: str,
        *,
        thread_ts: str | None = None,
        ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """The app_mention Slack sends besides the message event when the text mentions the bot:
        pass the message event's ts to describe the same message (or `files` for a new one that
        shares them)."""
        if f"<@{self.bot_user_id}>" not in text:
            raise ValueError(f"an app_mention's text contains <@{self.bot_user_id}>")
        channel_id = self._conversation(channel)
        message = self.message(channel_id, ts) if ts else None
        if message is None:
            message = self._person_message(
                channel_id, user, text, thread_ts=thread_ts, ts=ts, subtype=None, bot_id=None, files=files
            )
        # An app_mention has no subtype, a file share's neither; it carries the files.
        event = {
            key: value for key, value in copy.deepcopy(message).items() if key not in {"type", "subtype"}
        }
        event = {"type": "app_mention", **event, "channel": channel_id, "event_ts": message["ts"]}
        return self._envelope(event)

    def event_message_changed(self, channel: str | JSON, ts: str, new_text: str) -> JSON:
        """The author edits the message at `ts` (the store follows)."""
        channel_id = self._conversation(channel)
        old = self.message(channel_id, ts)
        if old is None:
            raise ValueError(f"no message {ts} in {channel_id}")
        now = self._next_ts()
        new = {**copy.deepcopy(old), "text": new_text, "edited": {"user": old.get("user", ""), "ts": now}}
        if "client_msg_id" in old:
            new["blocks"] = rich_text(new_text)
        self.messages[channel_id][ts] = new
        event = {
            "type": "message",
            "subtype": "message_changed",
            "message": copy.deepcopy(new),
            "previous_message": copy.deepcopy(old),
            "channel": channel_id,
            "hidden": True,
            "ts": now,
            "event_ts": now,
            "channel_type": self.channel_type(channel_id),
        }
        return self._envelope(event)

    def event_message_deleted(self, channel: str | JSON, ts: str) -> JSON:
        """The message at `ts` is deleted (and leaves the store)."""
        channel_id = self._conversation(channel)
        old = self.messages.get(channel_id, {}).pop(ts, None)
        if old is None:
            raise ValueError(f"no message {ts} in {channel_id}")
        parent = self.message(channel_id, old.get("thread_ts", ""))
        if parent is not None and parent is not old and parent.get("reply_count"):
            parent["reply_count"] -= 1
        now = self._next_ts()
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "previous_message": old,
            "channel": channel_id,
            "hidden": True,
            "deleted_ts": ts,
            "ts": now,
            "event_ts": now,
            "channel_type": self.channel_type(channel_id),
        }
        return self._envelope(event)

    def event_reaction_added(self, channel: str | JSON, user: str | JSON, ts: str, name: str) -> JSON:
        """`user` reacts with :name: (no colons) to the message at `ts`."""
        channel_id = self._conversation(channel)
        user_id = _id(user)
        message = self.message(channel_id, ts)
        event: JSON = {
            "type": "reaction_added",
            "user": user_id,
            "reaction": name,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
        }
        if message is not None:
            add_reaction(message, name, user_id)
            if message.get("user"):
                event["item_user"] = message["user"]
        event["event_ts"] = self._next_ts()
        return self._envelope(event)

    def event_member_joined(
        self, channel: str | JSON, user: str | JSON, *, inviter: str | None = None
    ) -> JSON:
        """`user` joins (the bot too: then it is a member for later calls)."""
        channel_id = self._conversation(channel)
        user_id = _id(user)
        if user_id not in self.members[channel_id]:
            self.members[channel_id].append(user_id)
        event: JSON = {
            "type": "member_joined_channel",
            "user": user_id,
            "channel": channel_id,
            "channel_type": "G" if self.channels[channel_id].get("is_private") else "C",
            "team": self.team_id,
        }
        if inviter:
            event["inviter"] = inviter
        event["event_ts"] = self._next_ts()
        return self._envelope(event)

    def event_user_change(
        self,
        user: str | JSON,
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_admin: bool | None = None,
        deleted: bool | None = None,
    ) -> JSON:
        """A profile changes (the changes given here are applied first); the event carries the
        whole user object as it now is."""
        stored = self.users[_id(user)]
        profile = stored["profile"]
        if real_name is not None:
            stored["real_name"] = profile["real_name"] = profile["real_name_normalized"] = real_name
        if display_name is not None:
            profile["display_name"] = profile["display_name_normalized"] = display_name
        if is_admin is not None:
            stored["is_admin"] = is_admin
        if deleted is not None:
            stored["deleted"] = deleted
        now = self._next_ts()
        stored["updated"] = ts_micros(now) // 1_000_000
        event = {"type": "user_change", "user": copy.deepcopy(stored), "cache_ts": stored["updated"]}
        return self._envelope({**event, "event_ts": now})

    def url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> JSON:
        """What Slack posts when a Request URL is saved: the app must echo the challenge."""
        return {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}

    def slash_command(
        self, channel: str | JSON, user: str | JSON, text: str, command: str = "/parley"
    ) -> dict[str, str]:
        """The form fields of a slash command (`encode_form` gives the body); its response_url
        points at the fake, which records what the app posts there."""
        channel_id = self._conversation(channel)
        user_id = _id(user)
        self._serial += 1
        response_id = f"{self._serial}-{secrets.token_hex(6)}"
        self.response_urls[response_id] = {"channel_id": channel_id, "user_id": user_id, "command": command}
        conversation = self.channels[channel_id]
        if conversation.get("is_im"):
            channel_name = "directmessage"
        elif conversation.get("is_private") and not conversation.get("is_mpim"):
            channel_name = "privategroup"
        else:
            channel_name = conversation.get("name", "")
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": self.users.get(user_id, {}).get("name", user_id.lower()),
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.base_http}/response/{response_id}",
            "trigger_id": f"{self._serial}.{TS_EPOCH}.{secrets.token_hex(16)}",
        }


def add_reaction(message: JSON, name: str, user_id: str) -> bool:
    """Count `user_id`'s :name: on `message` as Slack shows it; False when it was already there."""
    reactions = message.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if entry is None:
        entry = {"name": name, "users": [], "count": 0}
        reactions.append(entry)
    if user_id in entry["users"]:
        return False
    entry["users"].append(user_id)
    entry["count"] += 1
    return True


def _id(thing: str | JSON) -> str:
    return thing if isinstance(thing, str) else str(thing["id"])
