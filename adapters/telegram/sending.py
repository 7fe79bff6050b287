"""What the core asks of Telegram, done at the pace Telegram allows: every action type, one
method each (`adapters.common.performer`).

Replies are HTML (what the model writes is Markdown), split below 4,096 characters, and sent
as plain text when Telegram refuses the formatting. A growing reply is a draft in a private
chat (`sendMessageDraft`, then the real message) and one message edited every few seconds in
a group, paced per chat because Telegram's limits are per chat. Images are uploaded with
sendPhoto, their plain-text caption cut to 1,024 characters. A reaction is one of the fixed set
Telegram accepts: anything else the model picks is mapped to the closest one, or skipped (a
member never sees an error for a reaction). Telegram has no message only one member of a group
sees, so a private answer goes to the member's private chat. A 429 is waited out, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import AsyncIterable, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram import Message as TelegramMessage
from telegram.constants import ChatAction, ParseMode, ReactionEmoji
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from adapters.common.performer import perform
from adapters.telegram.config import TelegramConfig
from adapters.telegram.events import TelegramIdentity
from adapters.telegram.groups import GroupStarter, GroupTokens
from adapters.telegram.media import fit_caption
from adapters.telegram.render import split_html, to_html, visible_text
from facilitator.actions import (
    Action,
    Delivered,
    EditMessage,
    PartPosted,
    React,
    SendImage,
    SendMessage,
    ShowTyping,
    StartGroup,
    StreamMessage,
)
from facilitator.chat import ConversationRef, Member

logger = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_ATTEMPTS = 5

# Reactions: Telegram accepts a fixed set of emoji; others are mapped to the closest, or skipped.
ACCEPTED = frozenset(emoji.value for emoji in ReactionEmoji)
VARIATION_SELECTOR = "\ufe0f"
SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")

CLOSEST = {
    "😂": "🤣",
    "😆": "😁",
    "😄": "😁",
    "😃": "😁",
    "😀": "😁",
    "😅": "😁",
    "🙂": "🥰",
    "😊": "🥰",
    "🥳": "🎉",
    "🎊": "🎉",
    "✅": "👌",
    "✔": "👌",
    "🆗": "👌",
    "🙌": "👏",
    "💪": "🔥",
    "⭐": "🏆",
    "🌟": "🏆",
    "🥇": "🏆",
    "😮": "🤯",
    "😲": "🤯",
    "😕": "🤔",
    "🧐": "🤔",
    "🤞": "🙏",
    "💜": "❤",
    "💙": "❤",
    "💚": "❤",
    "💛": "❤",
    "🧡": "❤",
    "🩷": "❤",
    "😞": "😢",
    "😔": "😢",
    "😉": "😎",
    "👋": "🤝",
}


def accepted_reaction(emoji: str) -> str | None:
    """The emoji Telegram will take for `emoji`, or None when nothing is close enough."""
    if emoji in ACCEPTED:
        return emoji
    bare = "".join(
        c for c in emoji if c != VARIATION_SELECTOR and not SKIN_TONES[0] <= c <= SKIN_TONES[1]
    ).strip()
    if bare in ACCEPTED:
        return bare
    mapped = CLOSEST.get(bare)
    return mapped if mapped in ACCEPTED else None


def seconds_of(error: RetryAfter) -> float:
    """How long Telegram asks to wait: PTB gives seconds now, timedeltas in its next major
    version, and warns on every read meanwhile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class TelegramSender:
    def __init__(self, bot: Bot, config: TelegramConfig) -> None:
        self.bot = bot
        self.groups = GroupStarter(
            GroupTokens(config.token), self.send_with_link_button, lambda: self.identity
        )
        self.group_edit_seconds = config.group_edit_seconds
        self.draft_seconds = config.draft_seconds
        self.identity: TelegramIdentity | None = None  # from getMe, once the adapter has started
        self._last_shown: dict[str, float] = {}  # chat id -> when a reply there last changed

    async def perform(self, action: Action) -> Delivered | None:
        return await perform(self, action)

    # --- the actions ------------------------------------------------------------------------

    async def send_message(self, action: SendMessage) -> Delivered | None:
        if action.private_to is not None and not action.conversation.is_direct:
            return await self._send_privately(action, action.private_to)
        return Delivered(
            tuple(await self.send(action.conversation, action.text, action.reply_to, on_part=action.on_part))
        )

    async def stream_message(self, action: StreamMessage) -> Delivered:
        where, chunks, reply_to, on_part = action.conversation, action.chunks, action.reply_to, action.on_part
        if where.is_direct:
            posted = await self._stream_as_draft(where, chunks, reply_to, on_part)
        else:
            posted = await self._stream_by_edits(where, chunks, reply_to, on_part)
        return Delivered(tuple(posted))

    async def edit_message(self, action: EditMessage) -> None:
        html = split_html(to_html(action.text))[0]
        await self._edit(action.conversation.chat_id, action.message_id, html)

    async def react(self, action: React) -> None:
        reaction = accepted_reaction(action.emoji)
        if reaction is None or not action.message_id.isdigit():
            logger.info("no Telegram reaction close to %r: skipped", action.emoji)
            return
        chat_id = action.conversation.chat_id
        await self.call(self.bot.set_message_reaction, chat_id, int(action.message_id), reaction)

    async def show_typing(self, action: ShowTyping) -> None:
        conversation = action.conversation
        thread = int(conversation.thread_id) if conversation.thread_id else None
        await self.call(
            self.bot.send_chat_action, conversation.chat_id, ChatAction.TYPING, message_thread_id=thread
        )

    async def send_image(self, action: SendImage) -> Delivered:
        """Post an image (sendPhoto, uploaded) with a plain-text caption cut to Telegram's
        limit, sent without a parse mode so nothing in it is read as markup."""
        options = _placement(action.conversation.thread_id, action.reply_to)
        text = fit_caption(action.caption)
        if text:
            options["caption"] = text
        photo = InputFile(action.data, filename=action.name)
        sent = await self.call(self.bot.send_photo, action.conversation.chat_id, photo, **options)
        return Delivered(((str(sent.message_id), text),))

    async def start_group(self, action: StartGroup) -> Delivered:
        """A startgroup link offered in the private chat (`groups`)."""
        return await self.groups.start(action)

    async def _send_privately(self, action: SendMessage, member: Member) -> Delivered | None:
        """In the member's private chat; if they never opened one with the bot, a note in the
        group says how."""
        try:
            await self.send(action.conversation, action.text, chat_id=member.user_id)
            return None
        except (Forbidden, TelegramError) as exc:  # they never started a chat with the bot
            logger.info("cannot write to %s privately: %s", member.user_id, exc)
        username = self.identity.username if self.identity else ""
        note = f"I can't write to you privately yet: open a chat with me (t.me/{username}), then ask again."
        return Delivered(tuple(await self.send(action.conversation, note, action.reply_to)))

    # --- calling Telegram -------------------------------------------------------------------

    async def call(self, method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """One Bot API call. A 429 is waited out as often as Telegram asks (nothing is dropped);
        a timeout is retried a few times with a growing pause."""
        timeouts = 0
        while True:
            try:
                return await method(*args, **kwargs)
            except RetryAfter as exc:
                seconds = seconds_of(exc)
                logger.warning(
                    "Telegram asks to wait %.0f s before %s", seconds, getattr(method, "__name__", "it")
                )
                await asyncio.sleep(seconds)
            except TimedOut:
                timeouts += 1
                if timeouts >= TIMEOUT_ATTEMPTS:
                    raise
                await asyncio.sleep(min(2**timeouts, 30))

    # --- plain messages ---------------------------------------------------------------------

    async def send(
        self,
        conversation: ConversationRef,
        text: str,
        reply_to: str | None = None,
        chat_id: str | None = None,
        on_part: PartPosted | None = None,
    ) -> list[tuple[str, str]]:
        """Post `text` (Markdown) in as many messages as it takes; the ids and texts posted."""
        posted = []
        for number, part in enumerate(split_html(to_html(text))):
            sent = await self._post(conversation, part, reply_to if number == 0 else None, chat_id)
            posted.append((str(sent.message_id), visible_text(part)))
            if on_part is not None:
                await on_part(str(sent.message_id))
        return posted

    async def _post(
        self, conversation: ConversationRef, html: str, reply_to: str | None, chat_id: str | None = None
    ) -> TelegramMessage:
        target = chat_id or conversation.chat_id
        options = _placement(conversation.thread_id if chat_id is None else None, reply_to)
        try:
            return await self.call(self.bot.send_message, target, html, parse_mode=ParseMode.HTML, **options)
        except BadRequest as exc:
            if "parse" not in str(exc).lower():
                raise
            logger.warning("Telegram refused the formatting in %s; sending plain text", target)
            return await self.call(self.bot.send_message, target, visible_text(html), **options)

    async def _edit(self, chat_id: str, message_id: str, html: str) -> None:
        try:
            await self.call(
                self.bot.edit_message_text, html, chat_id, int(message_id), parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return
            if "parse" not in reason:
                raise
            await self.call(self.bot.edit_message_text, visible_text(html), chat_id, int(message_id))

    # --- growing replies --------------------------------------------------------------------

    async def _stream_as_draft(
        self,
        conversation: ConversationRef,
        chunks: AsyncIterable[str],
        reply_to: str | None,
        on_part: PartPosted | None = None,
    ) -> list[tuple[str, str]]:
        draft_id = random.randint(1, 2**31 - 1)
        text, last, drafting = "", 0.0, True
        async for chunk in chunks:
            text += chunk
            if drafting and time.monotonic() - last >= self.draft_seconds:
                html = split_html(to_html(text))[-1]
                try:
                    await self.call(
                        self.bot.send_message_draft,
                        int(conversation.chat_id),
                        draft_id,
                        html,
                        parse_mode=ParseMode.HTML,
                    )
                except BadRequest as exc:  # drafts unavailable here: the final message still comes
                    logger.info("no draft in %s (%s)", conversation.chat_id, exc)
                    drafting = False
                last = time.monotonic()
        return await self.send(conversation, text, reply_to, on_part=on_part)

    async def _stream_by_edits(
        self,
        conversation: ConversationRef,
        chunks: AsyncIterable[str],
        reply_to: str | None,
        on_part: PartPosted | None = None,
    ) -> list[tuple[str, str]]:
        text = ""
        shown: list[tuple[str, str]] = []  # (message id, html it shows) for each part posted
        async for chunk in chunks:
            text += chunk
            last = self._last_shown.get(conversation.chat_id, 0.0)
            if time.monotonic() - last >= self.group_edit_seconds:
                await self._show(conversation, text, shown, reply_to, on_part)
        await self._show(conversation, text, shown, reply_to, on_part)
        return [(message_id, visible_text(html)) for message_id, html in shown]

    async def _show(
        self,
        conversation: ConversationRef,
        text: str,
        shown: list[tuple[str, str]],
        reply_to: str | None,
        on_part: PartPosted | None = None,
    ) -> None:
        """Bring the posted parts up to `text`: edit what changed, post what is new."""
        self._last_shown[conversation.chat_id] = time.monotonic()
        for number, html in enumerate(split_html(to_html(text))):
            if number < len(shown):
                if shown[number][1] != html:
                    await self._edit(conversation.chat_id, shown[number][0], html)
                    shown[number] = (shown[number][0], html)
            else:
                sent = await self._post(conversation, html, reply_to if number == 0 else None)
                shown.append((str(sent.message_id), html))
                if on_part is not None:
                    await on_part(str(sent.message_id))

    # --- Parley's own words (HTML made here, not the model's Markdown) -------------------------

    async def post_html(self, chat_id: str, html: str) -> tuple[str, str]:
        sent = await self.call(self.bot.send_message, chat_id, html, parse_mode=ParseMode.HTML)
        return str(sent.message_id), visible_text(html)

    async def send_with_link_button(self, chat_id: str, html: str, label: str, url: str) -> tuple[str, str]:
        """One message with a button under it that opens `url` (an inline keyboard); no preview
        of the link, which the text also shows."""
        sent = await self.call(
            self.bot.send_message,
            chat_id,
            html,
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]]),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return str(sent.message_id), visible_text(html)


def _placement(thread_id: str | None, reply_to: str | None) -> dict[str, Any]:
    """Where a message goes inside its chat: the forum topic, and what it replies to (posted all
    the same if that message was deleted meanwhile)."""
    options: dict[str, Any] = {}
    if thread_id:
        options["message_thread_id"] = int(thread_id)
    if reply_to and reply_to.isdigit():
        options["reply_parameters"] = ReplyParameters(int(reply_to), allow_sending_without_reply=True)
    return options
