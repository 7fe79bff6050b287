"""A loopback fake of the Telegram Bot API: the real python-telegram-bot `Bot` talks to it over HTTP.

Point the SDK at it with `Application.builder().token(fake.token).base_url(fake.base_url)
.base_file_url(fake.base_file_url)`. The fake answers the methods Parley uses the way the Bot API
does — the same `{"ok": ..., "error_code", "description", "parameters"}` envelopes, the same
validation (HTML entities, the 4096-character limit, the fixed reaction set, drafts only in
private chats, inline keyboard buttons) — so the SDK raises the same exceptions it would in
production.

Tests play the members: `user`, `group`, `private_chat` build the documented objects, and the
`push_*` methods queue updates for `getUpdates` (or `pending_updates()` for webhook tests);
`add_file` serves bytes through getFile and `/file/bot<token>/<file_path>`; `push_added_by_link`
plays a member adding the bot to a group through a `?startgroup=` link. What the bot did is in
`calls`, `sent()` and `messages` (the text members see now, edits applied), `photos` (sendPhoto's
uploads) and `downloads` (the file paths it fetched). Photos must be real images (Pillow reads
them, or 400 IMAGE_PROCESS_FAILED) and captions fit 1,024 characters, as on Telegram.
Telegram's delivery rules are kept where tests would otherwise pass falsely: offsets acknowledge
updates for good, privacy mode hides ordinary group messages when `can_read_all_group_messages`
is off, reactions reach only a bot that asked for them and is an admin, and a group that became
a supergroup answers 400 with `migrate_to_chat_id`.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from tests.fakes.telegram_html import (
    COMMAND,
    MENTION,
    TextRejected,
    auto_entities,
    stored_text,
)

JSON = dict[str, Any]

# The emoji a bot may react with (Bot API, ReactionTypeEmoji). Compared without U+FE0F, the
# variation selector that some keyboards and PTB's own constants add.
REACTION_EMOJI = frozenset(
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 "
    "🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 "
    "💊 🙊 😎 👾 🤷\u200d♂ 🤷 🤷\u200d♀ 😡".split()
)
UPDATE_TYPES = frozenset(
    "message edited_message channel_post edited_channel_post business_connection business_message "
    "edited_business_message deleted_business_messages message_reaction message_reaction_count "
    "inline_query chosen_inline_result callback_query shipping_query pre_checkout_query "
    "purchased_paid_media poll poll_answer my_chat_member chat_member chat_join_request chat_boost "
    "removed_chat_boost".split()
)
HIDDEN_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
# Form values that are text even when they look like JSON ("42", "true").
TEXT_FIELDS = frozenset(
    "text caption parse_mode url secret_token action file_id inline_message_id language_code "
    "title description query custom_title name business_connection_id message_effect_id".split()
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
TELEGRAM_SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
MAX_CAPTION_UTF16 = 1024  # a caption after entity parsing
PHOTO_SIDES = (90, 320, 800, 1280, 2560)  # the sizes Telegram keeps of an uploaded photo


def jpeg(width: int = 48, height: int = 32, color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A small real JPEG, as a member's phone would upload it."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()


@dataclass(frozen=True)
class Upload:
    """A file posted as multipart/form-data, as the fake received it."""

    data: bytes
    filename: str
    content_type: str


class ApiError(Exception):
    """A Bot API failure: the HTTP status is also the `error_code`."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class FakeTelegram:
    token: str = "123456789:AAParleyFakeTokenForTests"
    username: str = "parley_test_bot"
    can_read_all_group_messages: bool = True  # False is privacy mode, BotFather's default
    can_join_groups: bool = True
    max_download_bytes: int = 20 * 1024 * 1024  # getFile refuses bigger files (the cloud Bot API)
    port: int = 0
    users: dict[int, JSON] = field(default_factory=dict)
    chats: dict[int, JSON] = field(default_factory=dict)
    member_counts: dict[int, int] = field(default_factory=dict)
    admins: dict[int, list[JSON]] = field(default_factory=dict)  # chat id -> ChatMember objects
    profile_photos: dict[int, list[list[JSON]]] = field(default_factory=dict)  # newest first
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id -> (file_path, bytes)
    downloads: list[str] = field(default_factory=list)  # file paths requested from /file/bot...
    photos: list[JSON] = field(default_factory=list)  # what sendPhoto posted: bytes, caption, where
    calls: list[tuple[str, JSON]] = field(default_factory=list)
    messages: dict[int, dict[int, str]] = field(default_factory=dict)  # chat -> message id -> text
    drafts: dict[int, list[JSON]] = field(default_factory=dict)  # chat -> sendMessageDraft params
    reactions: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # the bot's own
    commands: dict[str, list[JSON]] = field(default_factory=dict)  # "scope:language" -> commands
    webhook: JSON = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _updates: list[JSON] = field(default_factory=list)  # queued, not yet acknowledged
    _next_update_id: int = 500_000_001
    _allowed_updates: list[str] | None = None
    _message_ids: dict[int, int] = field(default_factory=dict)
    _store: dict[tuple[int, int], JSON] = field(default_factory=dict)  # every message, as it is now
    _sent: list[tuple[int, JSON]] = field(default_factory=list)
    _failures: dict[str, deque[ApiError]] = field(default_factory=dict)
    _user_reactions: dict[tuple[int, int, int], list[JSON]] = field(default_factory=dict)
    _left: set[int] = field(default_factory=set)  # chats the bot was removed from
    _migrated: dict[int, int] = field(default_factory=dict)  # old group -> new supergroup
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _poller: object | None = None  # the getUpdates request allowed to wait
    conflicts: int = 0  # polls ended by another poll: two bot instances polling at once
    _closing: bool = False
    _file_counter: int = 0
    _unsized: set[str] = field(default_factory=set)  # file ids whose getFile omits file_size
    _download_failures: deque[int] = field(default_factory=deque)  # statuses of the next downloads

    # ----------------------------------------------------------------- server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])  # a bot's id is the first part of its token

    @property
    def me(self) -> JSON:
        """The bot as it appears in messages (`from`); getMe adds its capabilities."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "Parley", "username": self.username}

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake()  # long polls answer now rather than holding up the shutdown
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(
        self,
        method: str,
        status: int = 429,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        parameters: JSON | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail as Telegram would, e.g. flood control."""
        parameters = dict(parameters or {})
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        description = description or HTTPStatus(status).phrase
        queue = self._failures.setdefault(method.lower(), deque())
        queue.extend(ApiError(status, description, parameters or None) for _ in range(times))

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """The messages sendMessage and editMessageText returned, in order."""
        return [message for chat, message in self._sent if chat_id is None or chat == chat_id]

    def calls_of(self, method: str) -> list[JSON]:
        return [params for name, params in self.calls if name.lower() == method.lower()]

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        params = await _read_params(request)
        self.calls.append((method, params))
        handler = self._handlers().get(method.lower())  # method names are case-insensitive
        if handler is None:
            return ApiError(404, "Not Found").response()
        try:
            failures = self._failures.get(method.lower())
            if failures:
                raise failures.popleft()
            result = await handler(params)
        except ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        self.downloads.append(request.match_info["path"])
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        if self._download_failures:
            status = self._download_failures.popleft()
            return ApiError(status, HTTPStatus(status).phrase).response()
        for path, data in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data, content_type="application/octet-stream")
        return ApiError(404, "Not Found").response()

    def _handlers(self) -> dict[str, Callable[[JSON], Awaitable[Any]]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "sendmessagedraft": self._send_message_draft,
            "setmessagereaction": self._set_message_reaction,
            "sendchataction": self._send_chat_action,
            "getchatmembercount": self._get_chat_member_count,
            "getchatadministrators": self._get_chat_administrators,
            "getchat": self._get_chat,
            "getuserprofilephotos": self._get_user_profile_photos,
            "getfile": self._get_file,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
        }

    # ---------------------------------------------------------------- updates

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.me,
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if params.get("allowed_updates") is not None:  # omitted: the previous setting holds
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._acknowledge(_opt_int(params, "offset"))
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        deadline = asyncio.get_running_loop().time() + max(float(params.get("timeout") or 0), 0.0)
        me = self._poller = object()
        self._wake()  # a poll still waiting is terminated by this one, as on Telegram
        while True:
            ready = self._deliverable()[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or remaining <= 0 or self._closing:
                return ready
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                pass
            if self._poller is not me:
                self.conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _acknowledge(self, offset: int | None) -> None:
        """An offset confirms every update below it: Telegram never sends those again."""
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self) -> list[JSON]:
        """Queued updates the bot asked for; the others are dropped, as Telegram drops them."""
        self._updates = [u for u in self._updates if self._wanted(u)]
        return list(self._updates)

    def _wanted(self, update: JSON) -> bool:
        kind = next((key for key in update if key != "update_id"), None)
        if kind not in UPDATE_TYPES:
            return True  # pushed raw: deliver as it is
        if self._allowed_updates is None:
            return kind not in HIDDEN_BY_DEFAULT
        return kind in self._allowed_updates

    def pending_updates(self, *, acknowledge: bool = False) -> list[JSON]:
        """Updates not yet acknowledged, for webhook tests; `acknowledge` marks them delivered."""
        ready = self._deliverable()
        if acknowledge:
            self._updates = []
        return ready

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates = []
        return True

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https":
                raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
            if parts.port not in (None, 80, 88, 443, 8443):
                raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if params.get("drop_pending_updates"):
            self._updates = []
        self.webhook = {"url": url, "secret_token": params.get("secret_token")} if url else {}
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable()),
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = self._allowed_updates
        return info

    # --------------------------------------------------------------- messages

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        text, entities = _formatted(params)
        markup = _inline_keyboard(params.get("reply_markup"))
        message = self._new_message(
            chat,
            self.me,
            thread_id=_opt_int(params, "message_thread_id"),
            reply_to=self._reply_target(chat, params),
            text=text,
            **({"entities": entities} if entities else {}),
            **({"reply_markup": markup} if markup else {}),
        )
        self._record_sent(message)
        return message

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("attach://"):
            photo = params.get(photo.removeprefix("attach://"))
        if isinstance(photo, str):  # a file_id the bot has seen (the fake fetches no URLs)
            if photo not in self.files:
                raise bad_request("wrong file identifier/HTTP URL specified")
            photo = Upload(self.files[photo][1], "", "")
        if not isinstance(photo, Upload):
            raise bad_request("there is no photo in the request")
        width, height = _dimensions(photo.data)
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        try:
            caption, entities = stored_text(
                params.get("caption"),
                params.get("parse_mode"),
                params.get("caption_entities"),
                allow_empty=True,
                limit=MAX_CAPTION_UTF16,
                too_long="message caption is too long",
            )
        except TextRejected as error:
            raise bad_request(str(error)) from None
        thread_id = _opt_int(params, "message_thread_id")
        content: JSON = {"photo": self._photo_sizes(photo.data, width, height)}
        content.update({"caption": caption} if caption else {})
        content.update({"caption_entities": entities} if entities else {})
        message = self._new_message(
            chat, self.me, thread_id=thread_id, reply_to=self._reply_target(chat, params), **content
        )
        self.photos.append(
            {
                "chat_id": chat["id"],
                "message_id": message["message_id"],
                "data": photo.data,
                "filename": photo.filename,
                "content_type": photo.content_type,
                "caption": caption,
                "parse_mode": params.get("parse_mode"),
                "message_thread_id": thread_id,
                "reply_to_message_id": (message.get("reply_to_message") or {}).get("message_id"),
                "reply_parameters": params.get("reply_parameters"),
            }
        )
        return message

    async def _edit_message_text(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake")
        chat = self._target_chat(params)
        key = (chat["id"], _int(params, "message_id"))
        old = self._store.get(key)
        if old is None:
            raise bad_request("message to edit not found")
        if old["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        text, entities = _formatted(params)
        if text == old["text"] and entities == old.get("entities", []):
            raise bad_request(NOT_MODIFIED)
        edited = {**old, "text": text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        if entities:
            edited["entities"] = entities
        self._store[key] = edited
        self._record_sent(edited)
        return edited

    async def _send_message_draft(self, params: JSON) -> bool:
        chat = self._target_chat(params)
        if chat["type"] != "private":
            raise bad_request("TEXTDRAFT_PEER_INVALID")
        if not _opt_int(params, "draft_id"):
            raise bad_request("draft_id must be non-zero")
        text, entities = _formatted(params, allow_empty=True)  # empty shows "Thinking..."
        self.drafts.setdefault(chat["id"], []).append(
            {"draft_id": params["draft_id"], "text": text, "entities": entities}
        )
        return True

    async def _set_message_reaction(self, params: JSON) -> bool:
        chat = self._target_chat(params)
        key = (chat["id"], _int(params, "message_id"))
        if key not in self._store:
            raise bad_request("MESSAGE_ID_INVALID")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list) or any(not isinstance(r, dict) for r in reaction):
            raise bad_request("can't parse reaction types JSON object")
        for item in reaction:
            if item.get("type") != "emoji" or _bare(str(item.get("emoji", ""))) not in REACTION_EMOJI:
                raise bad_request("REACTION_INVALID")
        if len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")  # bots are not premium: one reaction each
        self.reactions[key] = [str(item["emoji"]) for item in reaction]
        return True

    async def _send_chat_action(self, params: JSON) -> bool:
        self._target_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _new_message(
        self,
        chat: JSON,
        sender: JSON,
        *,
        thread_id: int | None = None,
        reply_to: JSON | None = None,
        **content: Any,
    ) -> JSON:
        message_id = self._message_ids[chat["id"]] = self._message_ids.get(chat["id"], 0) + 1
        message: JSON = {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time())}
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        message.update(content)
        self._store[(chat["id"], message_id)] = message
        return message

    def _record_sent(self, message: JSON) -> None:
        chat_id = message["chat"]["id"]
        self._sent.append((chat_id, message))
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message["text"]

    def _reply_target(self, chat: JSON, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            legacy = _opt_int(params, "reply_to_message_id")
            reply = {"message_id": legacy} if legacy else None
        if reply is None:
            return None
        target = self._store.get((int(reply.get("chat_id") or chat["id"]), int(reply.get("message_id") or 0)))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return target

    # ------------------------------------------------------------ chats, files

    def _target_chat(self, params: JSON) -> JSON:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        chat = self.chats.get(chat_id)
        if chat is None and chat_id in self.users:  # a user who never opened the bot's chat
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat is None:
            raise bad_request("chat not found")
        if chat_id in self._left:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
        return chat

    async def _get_chat_member_count(self, params: JSON) -> int:
        return self.member_counts.get(self._target_chat(params)["id"], 2)

    async def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._target_chat(params)
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        return self.admins.get(chat["id"], [])

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._target_chat(params)
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _get_user_profile_photos(self, params: JSON) -> JSON:
        user_id = _int(params, "user_id")
        if user_id not in self.users and user_id not in self.profile_photos:
            raise bad_request("user not found")
        photos = self.profile_photos.get(user_id, [])
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        return {"total_count": len(photos), "photos": photos[offset : offset + limit]}

    async def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        path, data = self.files[file_id]
        if len(data) > self.max_download_bytes:
            raise bad_request("file is too big")
        found: JSON = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_path": path}
        if file_id not in self._unsized:  # file_size is optional in the Bot API's File
            found["file_size"] = len(data)
        return found

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters")  # wording not verified
        self.commands[_commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def add_file(
        self,
        data: bytes,
        *,
        file_path: str | None = None,
        file_id: str | None = None,
        report_size: bool = True,
    ) -> JSON:
        """Store a file the bot can fetch with getFile and download; returns its File object.
        `report_size=False`: getFile leaves out file_size, as the Bot API may."""
        self._file_counter += 1
        file_id = file_id or f"AgACAgFAKE{self._file_counter:04d}"
        self.files[file_id] = (file_path or f"documents/file_{self._file_counter}.bin", data)
        if not report_size:
            self._unsized.add(file_id)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data)}

    def remove_file(self, file_id: str) -> None:
        """The file is gone from Telegram's servers: getFile refuses it, its path answers 404."""
        del self.files[file_id]

    def fail_next_download(self, status: int = 404, *, times: int = 1) -> None:
        """Make the next `times` file downloads fail with `status` (an expired link answers 404;
        Telegram keeps a getFile link valid for an hour at least)."""
        self._download_failures.extend([status] * times)

    def _photo_sizes(self, data: bytes, width: int = 640, height: int = 640) -> list[JSON]:
        """The PhotoSizes Telegram keeps of a photo (the fake serves the same bytes for each)."""
        sizes, longest = [], max(width, height, 1)
        top = min(longest, PHOTO_SIDES[-1])
        sides = [side for side in PHOTO_SIDES if side < top] + [top]
        for side in sides:
            file = self.add_file(data, file_path=f"photos/file_{self._file_counter + 1}.jpg")
            scale = side / longest
            sizes.append(
                {**file, "width": max(1, round(width * scale)), "height": max(1, round(height * scale))}
            )
        return sizes

    def add_profile_photo(self, user: JSON, data: bytes | None = None) -> list[JSON]:
        """Give `user` a new profile photo (PhotoSizes, each a downloadable file)."""
        sizes = self._photo_sizes(data if data is not None else jpeg())
        self.profile_photos.setdefault(user["id"], []).insert(0, sizes)
        return sizes

    def add_admin(self, chat: JSON | int, user: JSON, *, creator: bool = False) -> JSON:
        """Make `user` (or the bot, `fake.me`) an administrator; returns the ChatMember."""
        member: JSON = {
            "user": user,
            "status": "creator" if creator else "administrator",
            "is_anonymous": False,
        }
        if not creator:
            rights = "manage_chat delete_messages manage_video_chats restrict_members promote_members "
            rights += "change_info invite_users post_stories edit_stories delete_stories pin_messages"
            member.update({f"can_{right}": True for right in rights.split()})
            member["can_be_edited"] = False
        self.admins.setdefault(self._chat(chat)["id"], []).append(member)
        return member

    def _is_admin(self, chat_id: int) -> bool:
        return any(member["user"]["id"] == self.bot_id for member in self.admins.get(chat_id, []))

    # -------------------------------------------------------- update builders

    def user(
        self,
        id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        is_bot: bool = False,
    ) -> JSON:
        user: JSON = {"id": id, "is_bot": is_bot, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[id] = user
        return user

    def group(
        self,
        chat_id: int,
        title: str,
        supergroup: bool = False,
        forum: bool = False,
        *,
        member_count: int = 2,
    ) -> JSON:
        if chat_id >= 0:
            raise ValueError("group and supergroup ids are negative (supergroups start with -100)")
        chat: JSON = {"id": chat_id, "type": "supergroup" if supergroup or forum else "group", "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        self.member_counts[chat_id] = member_count
        return chat

    def private_chat(self, user: JSON) -> JSON:
        """The chat with `user`, as if they had pressed Start (a bot cannot write first)."""
        chat = {"id": user["id"], "type": "private"}
        chat.update({k: user[k] for k in ("first_name", "last_name", "username") if k in user})
        self.chats[user["id"]] = chat
        self.member_counts[user["id"]] = 2
        return chat

    def push_message(
        self,
        chat: JSON | int,
        user: JSON,
        text: str = "",
        *,
        reply_to: JSON | int | None = None,
        thread_id: int | None = None,
        entities: list[JSON] | None = None,
        photo: bool | bytes = False,
        caption: str | None = None,
    ) -> JSON:
        """A member writes; returns the update (queued unless privacy mode hides it from the bot).
        `photo`: True for a small JPEG, or the image's bytes."""
        chat = self._chat(chat)
        content: JSON = {}
        if photo:
            data = photo if isinstance(photo, bytes) else jpeg()
            content["photo"] = self._photo_sizes(data, *_dimensions(data))
            if caption:
                content["caption"] = caption
                found = auto_entities(caption) if entities is None else entities
                content.update({"caption_entities": found} if found else {})
        elif not text:
            raise ValueError("a message needs text (or photo=True)")
        else:
            content["text"] = text
            found = auto_entities(text) if entities is None else entities
            content.update({"entities": found} if found else {})
        target = None
        if reply_to is not None:
            target = reply_to if isinstance(reply_to, dict) else self._store[(chat["id"], reply_to)]
        message = self._new_message(chat, user, thread_id=thread_id, reply_to=target, **content)
        return self._queue({"message": message}, visible=self._bot_sees(message))

    def push_edit(self, message: JSON, new_text: str) -> JSON:
        """A member edits a message (pass the message or the update that carried it)."""
        message = message.get("message") or message.get("edited_message") or message
        key = (message["chat"]["id"], message["message_id"])
        edited = {**self._store.get(key, message), "text": new_text, "edit_date": int(time.time())}
        edited.pop("entities", None)
        found = auto_entities(new_text)
        edited.update({"entities": found} if found else {})
        self._store[key] = edited
        return self._queue({"edited_message": edited}, visible=self._bot_sees(edited))

    def push_raw(self, update: JSON) -> JSON:
        """Queue any dict as an update (malformed or unknown kinds); an update_id is added if missing."""
        if "update_id" not in update:
            update = {"update_id": self._take_update_id(), **update}
        self._updates.append(update)
        self._wake()
        return update

    def push_members_joined(self, chat: JSON | int, users: list[JSON], *, by: JSON | None = None) -> JSON:
        """`users` join (added `by` someone, or by themselves); the bot itself joining also gets
        the my_chat_member update Telegram sends."""
        chat = self._chat(chat)
        self.member_counts[chat["id"]] = self.member_counts.get(chat["id"], 2) + len(users)
        if any(u["id"] == self.bot_id for u in users):
            self._left.discard(chat["id"])
            self._queue(self._my_status(chat, by or users[0], "left", "member"))
        return self._queue({"message": self._new_message(chat, by or users[0], new_chat_members=users)})

    def push_added_by_link(self, chat: JSON | int, user: JSON, start_parameter: str) -> JSON:
        """`user` opens `t.me/<bot>?startgroup=<start_parameter>` and picks `chat`: Telegram adds
        the bot (my_chat_member, then the service message) and posts `/start@<bot> <parameter>`
        in the group as `user`. Returns that last update. Telegram's clients accept only 1-64
        characters of A-Z a-z 0-9 _ - as the parameter; anything else fails here."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start_parameter):
            raise ValueError(f"Telegram would not accept {start_parameter!r} as a start parameter")
        chat = self._chat(chat)
        if chat["type"] not in ("group", "supergroup"):
            raise ValueError("a startgroup link adds the bot to a group or a supergroup")
        self.push_members_joined(chat, [self.me], by=user)
        return self.push_message(chat, user, f"/start@{self.username} {start_parameter}")

    def push_member_left(self, chat: JSON | int, user: JSON, *, by: JSON | None = None) -> JSON:
        """`user` leaves (or is removed `by` someone). When it is the bot, Telegram sends only the
        my_chat_member update, and the fake then answers 403 for that chat."""
        chat = self._chat(chat)
        self.member_counts[chat["id"]] = max(self.member_counts.get(chat["id"], 2) - 1, 1)
        if user["id"] == self.bot_id:
            self._left.add(chat["id"])
            new_status = "kicked" if by is not None and by["id"] != user["id"] else "left"
            return self._queue(self._my_status(chat, by or user, "member", new_status))
        return self._queue({"message": self._new_message(chat, by or user, left_chat_member=user)})

    def push_migration(
        self, group_chat: JSON | int, new_supergroup_id: int, *, by: JSON | None = None
    ) -> tuple[JSON, JSON]:
        """The group becomes a supergroup with a new id: `migrate_to_chat_id` in the old chat,
        `migrate_from_chat_id` in the new one; the old id then answers 400 with the new id."""
        old = self._chat(group_chat)
        new = {"id": new_supergroup_id, "type": "supergroup", "title": old.get("title", "")}
        self.chats[new_supergroup_id] = new
        self.member_counts[new_supergroup_id] = self.member_counts.get(old["id"], 2)
        self.admins[new_supergroup_id] = list(self.admins.get(old["id"], []))
        self._migrated[old["id"]] = new_supergroup_id
        by = by or TELEGRAM_SERVICE_USER
        first = self._queue({"message": self._new_message(old, by, migrate_to_chat_id=new_supergroup_id)})
        second = self._queue({"message": self._new_message(new, by, migrate_from_chat_id=old["id"])})
        return first, second

    def push_reaction(self, chat: JSON | int, user: JSON, message_id: int, emoji: str | None) -> JSON:
        """`user` sets (or with None removes) their reaction. Telegram delivers it only to a bot
        that listed "message_reaction" in allowed_updates and, in groups, is an administrator."""
        chat = self._chat(chat)
        key = (chat["id"], message_id, user["id"])
        old = self._user_reactions.get(key, [])
        new = [{"type": "emoji", "emoji": emoji}] if emoji else []
        self._user_reactions[key] = new
        reaction = {
            "chat": chat,
            "message_id": message_id,
            "user": user,
            "date": int(time.time()),
            "old_reaction": old,
            "new_reaction": new,
        }
        visible = chat["type"] == "private" or self._is_admin(chat["id"])
        return self._queue({"message_reaction": reaction}, visible=visible)

    def _my_status(self, chat: JSON, by: JSON, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"user": self.me, "status": status, **extra}

        change = {"chat": chat, "from": by, "date": int(time.time())}
        return {"my_chat_member": {**change, "old_chat_member": member(old), "new_chat_member": member(new)}}

    def _bot_sees(self, message: JSON) -> bool:
        """Privacy mode: in groups a bot gets commands, mentions of it and replies to it only
        (unless it may read everything or is an administrator)."""
        chat = message["chat"]
        if chat["type"] == "private" or self.can_read_all_group_messages or self._is_admin(chat["id"]):
            return True
        if (message.get("reply_to_message") or {}).get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        command = COMMAND.match(text)
        if command and (command.group(1) is None or command.group(1).lower() == self.username.lower()):
            return True
        return any(m.group(1).lower() == self.username.lower() for m in MENTION.finditer(text))

    def _queue(self, payload: JSON, *, visible: bool = True) -> JSON:
        update = {"update_id": self._take_update_id(), **payload}
        if visible:
            self._updates.append(update)
            self._wake()
        return update

    def _take_update_id(self) -> int:
        self._next_update_id += 1
        return self._next_update_id - 1

    def _chat(self, chat: JSON | int) -> JSON:
        return self.chats[chat] if isinstance(chat, int) else chat


def _formatted(params: JSON, *, allow_empty: bool = False) -> tuple[str, list[JSON]]:
    try:
        return stored_text(params.get("text"), params.get("parse_mode"), params.get("entities"), allow_empty)
    except TextRejected as error:
        raise bad_request(str(error)) from None


BUTTON_URL_SCHEMES = ("http://", "https://", "tg://")


def _inline_keyboard(markup: Any) -> JSON | None:
    """An inline keyboard as Telegram checks it: rows of buttons, each with a text and one
    action; a URL button must be http(s) or tg. Other keyboards are accepted and not shown."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or any(not isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [key for key in button if key != "text"]
            if len(actions) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            url = button.get("url")
            if "url" in button and (not isinstance(url, str) or not url.startswith(BUTTON_URL_SCHEMES)):
                raise bad_request("BUTTON_URL_INVALID")
    return {"inline_keyboard": rows}


def _bare(emoji: str) -> str:
    return emoji.replace("\ufe0f", "")


def _commands_key(params: JSON) -> str:
    scope = params.get("scope")
    scope = scope if isinstance(scope, dict) else {}
    return f"{scope.get('type', 'default')}:{params.get('language_code') or ''}"


def _int(params: JSON, name: str) -> int:
    value = _opt_int(params, name)
    if value is None:
        raise bad_request(f"{name} is empty")
    return value


def _opt_int(params: JSON, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


async def _read_params(request: web.Request) -> JSON:
    """Query, JSON body or form (urlencoded or multipart); form values are JSON when not text."""
    params: JSON = {key: _decode(key, value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    elif request.body_exists:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                params[key] = _decode(key, value)
    return params


def _dimensions(data: bytes) -> tuple[int, int]:
    """Width and height of an image, or 400 IMAGE_PROCESS_FAILED when it is none."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None


def _decode(key: str, value: Any) -> Any:
    if key in TEXT_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
