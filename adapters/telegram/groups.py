"""A new group from a private chat. Telegram lets no bot create a group or add people to one, so
the member gets a link that adds the bot to a group they create: `t.me/<bot>?startgroup=<token>`.
Telegram then posts `/start@<bot> <token>` in that group, and the bot greets it.

The token is stateless and unforgeable: the requester's user id, the time and a random nonce,
signed with an HMAC whose key is derived from the bot token (never the token itself), in
URL-safe base64 (Telegram allows 64 characters of A-Z a-z 0-9 _ - in a start parameter). A
token older than a day, altered, signed for another bot or used by someone other than the member
it was made for gets a neutral greeting that names nobody. The new group is a chat of its own,
so it is a conversation of its own: nothing of the private chat goes with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import struct
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from html import escape

from adapters.common.events import Json, Malformed
from adapters.common.words import listed
from adapters.telegram.events import TelegramIdentity, entity_text, member_of, telegram_id
from facilitator.actions import Delivered, StartGroup
from facilitator.chat import Member

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 24 * 3600
CLOCK_SKEW_SECONDS = 300  # a token from a little in the future (clocks of two instances) passes
MAX_PARAMETER = 64  # Telegram's limit for a start parameter
BUTTON_LABEL = "Create the group"
GREETED_REMEMBERED = 4096

_VERSION = 1
_FIELDS = struct.Struct(">BQI6s")  # version, requester's user id, issued at (s), nonce
_MAC_BYTES = 16
_KEY_LABEL = b"parley/telegram/startgroup/v1"


class TokenRefused(ValueError):
    """Why a start token is not honoured: malformed, forged, expired (the text says which)."""


@dataclass(frozen=True, slots=True)
class Invite:
    """What a valid token says: who asked for the group, and when."""

    user_id: str
    issued_at: int


class GroupTokens:
    def __init__(
        self,
        bot_token: str,
        *,
        max_age_seconds: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A key of its own: the bot token is never what signs, nor anything a link could reveal.
        self._key = hmac.new(bot_token.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self._max_age = max_age_seconds
        self._clock = clock

    def issue(self, user_id: str) -> str:
        fields = _FIELDS.pack(_VERSION, int(user_id), int(self._clock()), secrets.token_bytes(6))
        token = base64.urlsafe_b64encode(fields + self._mac(fields)).decode().rstrip("=")
        assert len(token) <= MAX_PARAMETER
        return token

    def check(self, token: str) -> Invite:
        """The invite a token carries; raises TokenRefused."""
        if not 0 < len(token) <= MAX_PARAMETER:
            raise TokenRefused("malformed")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise TokenRefused("malformed") from None
        if len(raw) != _FIELDS.size + _MAC_BYTES:
            raise TokenRefused("malformed")
        fields, mac = raw[: _FIELDS.size], raw[_FIELDS.size :]
        if not hmac.compare_digest(mac, self._mac(fields)):
            raise TokenRefused("forged")
        version, user_id, issued_at, _ = _FIELDS.unpack(fields)
        if version != _VERSION:
            raise TokenRefused("malformed")
        age = self._clock() - issued_at
        if age > self._max_age or age < -CLOCK_SKEW_SECONDS:
            raise TokenRefused("expired")
        return Invite(str(user_id), issued_at)

    def _mac(self, fields: bytes) -> bytes:
        return hmac.new(self._key, fields, hashlib.sha256).digest()[:_MAC_BYTES]


@dataclass(frozen=True, slots=True)
class GroupStart:
    """`/start <parameter>` posted in a group: the bot was added through a startgroup link."""

    chat_id: str
    sender: Member
    parameter: str


def group_start(update: Json, bot: TelegramIdentity) -> GroupStart | None:
    """The startgroup message in a raw update, or None (a pure function of the payload)."""
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None
    chat, text, sender = message.get("chat"), message.get("text"), message.get("from")
    if not isinstance(chat, Mapping) or chat.get("type") not in ("group", "supergroup"):
        return None
    if not isinstance(text, str) or not isinstance(sender, Mapping):
        return None
    entities = message.get("entities") or []
    first = next((e for e in entities if e.get("type") == "bot_command" and e.get("offset") == 0), None)
    if first is None:
        return None
    try:
        word = entity_text(text, first)
        name, _, target = word[1:].partition("@")
        if name.lower() != "start" or (target and target.lower() != bot.username.lower()):
            return None
        parameter = text[len(word) :].strip()
        chat_id = telegram_id(chat.get("id"), "chat.id")
        return GroupStart(chat_id, member_of(sender), parameter) if parameter else None
    except (Malformed, KeyError, TypeError, ValueError, AttributeError):
        return None  # not a start worth greeting; translate() says what is wrong with it


@dataclass(frozen=True, slots=True)
class Offer:
    """What the private chat is shown: the text, and the link its button opens."""

    html: str
    link: str


PostWithButton = Callable[[str, str, str, str], Awaitable[tuple[str, str]]]  # chat, html, label, url


class GroupStarter:
    """`StartGroup` on Telegram: the link offered in the private chat (`start`), posted with a
    button by the sender's `post`; and the greeting of the group the link brought the bot to
    (`greeting`, for the adapter to post). The tokens and words are made here, with no I/O."""

    def __init__(
        self,
        tokens: GroupTokens,
        post: PostWithButton,
        identity: Callable[[], TelegramIdentity | None],
    ) -> None:
        self.tokens = tokens
        self._post = post
        self._identity = identity  # from getMe, once the adapter has started
        self._greeted: OrderedDict[str, None] = OrderedDict()

    async def start(self, action: StartGroup) -> Delivered:
        """Bots cannot create groups: a link that adds the bot to one the member creates."""
        bot = self._identity()
        if bot is None:
            raise RuntimeError("the Telegram adapter has not started")
        offer = self._offer(action, bot)
        chat_id = action.conversation.chat_id
        posted = await self._post(chat_id, offer.html, BUTTON_LABEL, offer.link)
        logger.info("startgroup link offered in %s", chat_id)
        return Delivered((posted,))

    def _offer(self, action: StartGroup, bot: TelegramIdentity) -> Offer:
        if not bot.username:
            raise RuntimeError("the bot has no username: no startgroup link is possible")
        token = self.tokens.issue(action.requester.user_id)
        link = f"https://t.me/{bot.username}?startgroup={token}"
        return Offer(offer_html(link, invitee_names(action.invitees, bot, action.requester)), link)

    def greeting(self, start: GroupStart, bot: TelegramIdentity, bot_name: str) -> str | None:
        """The group's greeting, once (None after): naming the requester when the token is
        theirs and fresh."""
        if start.chat_id in self._greeted:
            logger.info("startgroup in %s again: already greeted", start.chat_id)
            return None
        self._greeted[start.chat_id] = None
        while len(self._greeted) > GREETED_REMEMBERED:
            self._greeted.popitem(last=False)
        requester: Member | None = None
        try:
            invite = self.tokens.check(start.parameter)
            if invite.user_id != start.sender.user_id:
                raise TokenRefused("issued to another member")
            requester = start.sender
        except TokenRefused as refused:
            logger.info("startgroup token in %s refused: %s", start.chat_id, refused)
        if requester is not None:
            logger.info("group %s started through the link of %s", start.chat_id, requester.user_id)
        return greeting_html(bot, bot_name, requester)


def invitee_names(invitees: tuple[str, ...], bot: TelegramIdentity, requester: Member) -> list[str]:
    """The people named, as @usernames where the words look like them, without the bot itself
    or the member who asks."""
    names: list[str] = []
    own = {bot.username.lower(), (requester.handle or "").lower()} - {""}
    for word in invitees:
        bare = word.strip().lstrip("@")
        if not bare or bare.lower() in own:
            continue
        name = f"@{bare}" if _looks_like_username(bare) else bare
        if name not in names:
            names.append(name)
    return names


def _looks_like_username(word: str) -> bool:
    return (
        word[:1].isascii()
        and word[:1].isalpha()
        and all(c.isascii() and (c.isalnum() or c == "_") for c in word)
    )


def offer_html(link: str, names: list[str]) -> str:
    people = listed([f"<b>{escape(name, quote=False)}</b>" for name in names]) or "the people you want"
    return (
        "Telegram doesn't let bots create groups or add people, so here is how:\n"
        "1. Create a new group in Telegram.\n"
        f"2. Tap <b>{BUTTON_LABEL}</b> below (or open {escape(link)}) and pick that group: "
        "that adds me.\n"
        f"3. Add {people} to the group.\n\n"
        "The group starts fresh: our chat here stays private, and nothing of it goes there. "
        "The link works for 24 hours."
    )


def greeting_html(bot: TelegramIdentity, bot_name: str, requester: Member | None) -> str:
    how = (
        f"Mention me (@{escape(bot.username)}) or reply to one of my messages when you want me; "
        "/parley help shows what I can do."
    )
    if requester is None:
        return f"Hi! I'm {escape(bot_name or bot.username)}. {how}"
    return (
        f"Hi! {escape(requester.display_name)} started this group with me. "
        "This is a fresh start: I bring nothing from any other chat. " + how
    )
