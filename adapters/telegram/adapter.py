"""Parley on Telegram: python-telegram-bot's Application in, the shared events to the core.

Updates arrive by long polling (the default: a worker, a laptop) or by a webhook that Parley's
own HTTP server receives and hands over (`receive`). They are handled concurrently (the store
commits what arrives together; the core keeps each conversation in order), and acknowledged
only once the core has them durable: a webhook call is answered, and the polling offset moves
past a batch, after the batch is handled, so a crash loses nothing Telegram will not resend. Admins come from
`getChatAdministrators`, cached and dropped when a chat's members change; profile photos from
`getUserProfilePhotos`, fetched once per member in the background. Images are `tg-file:<file_id>`
references, fetched through getFile and a download that never shows the token (`media`).
A new group from a private chat is a startgroup link, and the group it brings the bot to is
greeted here, before the core sees anything of it (`groups`). The actions are carried out by
`sending`; the command menus come from `commands`, the privacy-mode note from `access`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, BotCommandScopeAllPrivateChats, Update
from telegram.error import Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from adapters.telegram.access import blind_spots
from adapters.telegram.commands import menu, private_menu
from adapters.telegram.config import TelegramConfig
from adapters.telegram.events import PLATFORM, TelegramIdentity, translate
from adapters.telegram.groups import group_start
from adapters.telegram.media import TelegramMedia
from adapters.telegram.sending import TelegramSender, seconds_of
from facilitator.actions import Action, Delivered
from facilitator.chat import ConversationRef, Member
from facilitator.events import CommandReceived, ConversationMoved, Event, MessageReceived
from facilitator.ports import EventSink, StoreUnavailable

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "message_reaction", "chat_member", "my_chat_member"]
ADMINS_TTL_SECONDS = 600.0
POLL_SECONDS = 30
POLLING_ROLE = "telegram:polling"  # one process at a time polls, among those sharing a database
TAKE_OVER_SECONDS = 2.0  # how often a process that does not poll asks to take over


class TelegramStartError(RuntimeError):
    """Telegram would not let the bot start; the text says what to check (never the token)."""


class TelegramAdapter:
    platform = PLATFORM

    def __init__(self, core: EventSink, config: TelegramConfig) -> None:
        self._core = core
        self.config = config
        base = config.api_base_url.rstrip("/")
        builder = (
            Application.builder()
            .token(config.token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .concurrent_updates(True)
        )
        builder = builder.updater(None)  # our own polling loop: see _poll
        self.application = builder.build()
        self.sender = TelegramSender(self.application.bot, config)
        self.groups = self.sender.groups
        self.media = TelegramMedia(self.application.bot, base, self.sender.call)
        self.identity: TelegramIdentity | None = None
        self.can_read_all_group_messages = False
        self._admins: dict[str, tuple[float, frozenset[str]]] = {}
        self._photos: dict[str, str | None] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._moving: dict[str, asyncio.Event] = {}  # new chat id -> set once the move is done
        self._poller: asyncio.Future[None] | None = None
        self._batch: asyncio.Future[None] | None = None  # the polled updates being handled

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self.application.initialize()  # getMe: who we are
        except InvalidToken:
            raise TelegramStartError(
                "Telegram refused the bot token: check TELEGRAM_BOT_TOKEN (BotFather's /token shows it)"
            ) from None
        except TelegramError as exc:
            raise TelegramStartError(
                f"Telegram could not be reached at {self.config.api_base_url} ({type(exc).__name__})"
            ) from None
        me = self.application.bot
        self.identity = self.sender.identity = TelegramIdentity(str(me.id), me.username or "")
        self.can_read_all_group_messages = bool(me.can_read_all_group_messages)
        if not self.can_read_all_group_messages:
            logger.warning(
                "Telegram privacy mode is on for @%s: in groups it sees only what addresses it "
                "(turn it off with BotFather: /setprivacy, Disable)",
                me.username,
            )
        await self.sender.call(me.set_my_commands, menu())
        await self.sender.call(me.set_my_commands, private_menu(), scope=BotCommandScopeAllPrivateChats())
        await self.application.start()
        if not self.config.webhook:
            await self.sender.call(me.delete_webhook)  # a webhook left set would refuse getUpdates
            self._poller = asyncio.ensure_future(self._poll())
        logger.info("Telegram: @%s is %s", me.username, "on a webhook" if self.config.webhook else "polling")

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.sender.call(
            self.application.bot.set_webhook, url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )

    async def receive(self, payload: dict[str, Any]) -> None:
        """One update received by the webhook: handled before Telegram hears back, so the 200 it
        gets means the update is durable."""
        await self._process(payload)

    async def _process(self, payload: dict[str, Any]) -> None:
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception as exc:  # acknowledged and skipped: Telegram would resend it forever
            logger.warning(
                "skipped update %s that python-telegram-bot cannot read: %r", payload.get("update_id"), exc
            )
            return
        # Handled here rather than through the Application's handlers, which would swallow a
        # store that could not take it: then this raises, and Telegram is not told it is done.
        await self._on_update(update)

    async def _poll(self) -> None:
        """Long polling, one update at a time parsed: python-telegram-bot's own updater gives
        up on a whole batch when one update in it is malformed, and asks for it again forever."""
        offset: int | None = None
        failures = 0
        waiting = False
        while True:
            # One process polls among those sharing a database; the others wait to take over.
            if not await self._core.playing(POLLING_ROLE):
                if not waiting:
                    logger.info("Telegram: another process polls; taking over when it stops")
                    waiting = True
                await asyncio.sleep(TAKE_OVER_SECONDS)
                offset = None  # what it acknowledged is acknowledged: ask Telegram where to go on
                continue
            if waiting:
                logger.info("Telegram: polling (took over from the process that polled)")
                waiting = False
            try:
                batch = await self.application.bot.do_api_request(
                    "getupdates",  # Bot API names ignore case; this spelling spares PTB's warning
                    {"offset": offset, "timeout": POLL_SECONDS, "allowed_updates": ALLOWED_UPDATES},
                    read_timeout=POLL_SECONDS + 10,
                )
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(seconds_of(exc))
                continue
            except (InvalidToken, Forbidden) as exc:
                logger.error(
                    "Telegram refused the polling (%s): check TELEGRAM_BOT_TOKEN", type(exc).__name__
                )
                return
            except TelegramError as exc:  # Conflict too: another instance polls, as during a deploy
                failures += 1
                logger.warning("getUpdates failed (%s); trying again", type(exc).__name__)
                await asyncio.sleep(min(2**failures, 30))
                continue
            updates = [
                payload
                for payload in (batch if isinstance(batch, list) else [])
                if isinstance(payload, dict) and type(payload.get("update_id")) is int
            ]
            if not updates:
                continue
            # Handled together, and shielded: a stop lets the batch finish, and only then does the
            # next getUpdates acknowledge it (the offset). A crash before that gets it again.
            self._batch = asyncio.ensure_future(self._process_batch(updates))
            try:
                await asyncio.shield(self._batch)
            except StoreUnavailable:  # the batch comes again with the next getUpdates
                failures += 1
                logger.error("the store could not take %d update(s); asking for them again", len(updates))
                await asyncio.sleep(min(2**failures, 30))
                continue
            offset = max(payload["update_id"] for payload in updates) + 1

    async def _process_batch(self, updates: list[dict[str, Any]]) -> None:
        """The updates handled together; StoreUnavailable when any could not be stored (then
        the whole batch comes again: what was stored is recognised as a redelivery)."""
        outcomes = await asyncio.gather(
            *(self._process(payload) for payload in updates), return_exceptions=True
        )
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for failure in failed:
            if isinstance(failure, StoreUnavailable):
                raise failure
        for failure in failed:  # a fault of ours: asking again would only fail again
            logger.error("an update could not be handled", exc_info=failure)

    async def pause(self) -> None:
        """Take no more updates (a stop is coming): the polling ends once the batch under way is
        handled; Telegram gives the rest to the next process."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        if self._batch is not None:
            await asyncio.gather(self._batch, return_exceptions=True)

    async def stop(self) -> None:
        await self.pause()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.media.close()

    # --- events in --------------------------------------------------------------------------

    async def _on_update(self, update: Update) -> None:
        if self.identity is None:
            return
        raw = update.to_dict()
        changed = raw.get("chat_member") or raw.get("my_chat_member")
        if changed:  # someone was promoted, demoted, added or removed: ask again next time
            self._admins.pop(str(changed["chat"]["id"]), None)
        start = group_start(raw, self.identity)
        if start is not None:  # added through a startgroup link: greeted here, never a command
            try:
                greeting = self.groups.greeting(start, self.identity, self.application.bot.first_name)
                if greeting is not None:
                    await self.sender.post_html(start.chat_id, greeting)
            except Exception:
                logger.exception("could not greet the new group %s", start.chat_id)
            return
        events = translate(raw, self.identity)
        # Updates run concurrently; what the new id of a migrating group says must wait until
        # the old history has moved under it (set up before any await, so in update order).
        moves = [event for event in events if isinstance(event, ConversationMoved)]
        for move in moves:
            self._moving.setdefault(move.new.chat_id, asyncio.Event())
        if not moves and events:
            gate = (
                self._moving.get(events[0].conversation.chat_id)
                if hasattr(events[0], "conversation")
                else None
            )
            if gate is not None:
                await gate.wait()
        try:
            for event in events:
                try:
                    await self._core.handle(await self._enrich(event), self)
                except StoreUnavailable:
                    raise  # not stored: unacknowledged, so Telegram delivers it again
                except Exception:  # the core logs its own failures; this guards the enrichment
                    logger.exception("update %s could not be handled", update.update_id)
        finally:
            for move in moves:
                self._moving.pop(move.new.chat_id, asyncio.Event()).set()

    async def _enrich(self, event: Event) -> Event:
        if (
            isinstance(event, CommandReceived)
            and not event.conversation.is_direct
            and not event.author.is_admin
        ):
            admins = await self._admins_of(event.conversation.chat_id)
            if event.author.user_id in admins:
                return replace(event, author=replace(event.author, is_admin=True))
        if isinstance(event, MessageReceived):
            photo = self._photo(event.message.author)
            if photo is not None:
                author = replace(event.message.author, avatar_url=photo)
                return replace(event, message=replace(event.message, author=author))
        return event

    async def _admins_of(self, chat_id: str) -> frozenset[str]:
        cached = self._admins.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < ADMINS_TTL_SECONDS:
            return cached[1]
        try:
            found = await self.sender.call(self.application.bot.get_chat_administrators, chat_id)
        except TelegramError as exc:
            logger.warning("could not read the admins of %s: %s", chat_id, exc)
            return cached[1] if cached else frozenset()
        admins = frozenset(str(member.user.id) for member in found)
        self._admins[chat_id] = (time.monotonic(), admins)
        return admins

    def _photo(self, member: Member) -> str | None:
        """The member's profile photo as a file reference (never a URL: those carry the token)."""
        if member.is_bot or member.user_id.startswith("chat"):
            return None
        if member.user_id not in self._photos:
            self._photos[member.user_id] = None
            task = asyncio.ensure_future(self._fetch_photo(member.user_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return self._photos[member.user_id]

    async def _fetch_photo(self, user_id: str) -> None:
        try:
            photos = await self.sender.call(
                self.application.bot.get_user_profile_photos, int(user_id), limit=1
            )
        except TelegramError as exc:
            logger.info("no profile photo for %s: %s", user_id, exc)
            return
        if photos.photos:
            self._photos[user_id] = f"tg-file:{photos.photos[0][-1].file_id}"

    # --- actions out ------------------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered | None:
        return await self.sender.perform(action)

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        """An attachment or profile photo by its `tg-file:` reference (`media`)."""
        return await self.media.fetch(ref, max_bytes)

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        """Privacy mode: a bot that may not read all group messages and is no admin of the group
        sees only what addresses it there. Private chats are seen whole."""
        if conversation.is_direct or not conversation.chat_id.startswith("-") or self.identity is None:
            return None  # group and supergroup ids are negative
        try:  # asked now: the owner may have changed it in BotFather since the start
            me = await self.sender.call(self.application.bot.get_me)
            self.can_read_all_group_messages = bool(me.can_read_all_group_messages)
        except TelegramError as exc:
            logger.info("getMe failed (%s); privacy mode as read at the start", type(exc).__name__)
        if self.can_read_all_group_messages:
            return None
        if self.identity.user_id in await self._admins_of(conversation.chat_id):
            return None  # administrators receive every message, privacy mode or not
        return blind_spots(self.identity.username)

    async def count_members(self, conversation: ConversationRef) -> int | None:
        if conversation.is_direct:
            return 1
        count = await self.sender.call(self.application.bot.get_chat_member_count, conversation.chat_id)
        return max(0, int(count) - 1)  # the bot itself is a member


@dataclass(frozen=True, slots=True)
class TelegramFacts:
    username: str
    can_read_all_group_messages: bool


async def facts(config: TelegramConfig) -> TelegramFacts:
    """Who the token belongs to (getMe), for `parley check`; raises TelegramError if refused."""
    base = config.api_base_url.rstrip("/")
    async with Bot(config.token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as bot:
        me = await bot.get_me()
    return TelegramFacts(me.username or str(me.id), bool(me.can_read_all_group_messages))
