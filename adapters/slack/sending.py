"""What the core asks of Slack, done the way Slack shows an AI answer.

In a channel an answer goes in a thread under the message that asked, streamed with Slack's
native streaming (`chat.startStream` / `appendStream` / `stopStream`); where that is not
available (a DM's main flow, an older workspace, a missing scope) one message is posted and
updated at a pace Slack allows, per channel. Text is converted to mrkdwn with everything
escaped, so a model can never ping @channel. Rate limits are waited out by the client.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.downloads import TRANSFER_ERRORS
from adapters.slack.render import plain_text, split_mrkdwn, to_mrkdwn
from facilitator.chat import ConversationRef, Member
from facilitator.ports import MediaError

logger = logging.getLogger(__name__)

NO_STREAMING = {
    "unknown_method",
    "not_allowed",
    "method_not_supported_for_channel_type",
    "missing_scope",
    "not_allowed_token_type",
    "feature_not_enabled",
}
# What files.info raises besides its own errors.
FILES_INFO_ERRORS: tuple[type[Exception], ...] = (SlackRequestError, *TRANSFER_ERRORS)
STREAM_LIMIT = 12_000  # characters one streamed message holds before the answer goes on in another
CONTROL = re.compile(r"<([!@#])")  # <!channel>, <@U1>, <#C1>: Slack's own markup, never from the model
REACTION_NAMES = {
    "👍": "+1",
    "👎": "-1",
    "❤️": "heart",
    "❤": "heart",
    "😂": "joy",
    "🤣": "rolling_on_the_floor_laughing",
    "🎉": "tada",
    "🔥": "fire",
    "👀": "eyes",
    "✅": "white_check_mark",
    "🙏": "pray",
    "😄": "smile",
    "😊": "blush",
    "👏": "clap",
    "🤔": "thinking_face",
    "💯": "100",
    "😢": "cry",
    "😮": "open_mouth",
    "🚀": "rocket",
    "⭐": "star",
    "👌": "ok_hand",
    "🙌": "raised_hands",
    "😍": "heart_eyes",
    "🥳": "partying_face",
    "😅": "sweat_smile",
    "😎": "sunglasses",
    "🤝": "handshake",
    "💪": "muscle",
    "👋": "wave",
    "🙂": "slightly_smiling_face",
}


def _safe_markdown(text: str) -> str:
    """Native streaming takes Markdown as it is; only Slack's control markup is defused."""
    return CONTROL.sub("<\u200b\\1", text)


class MissingScope(Exception):
    """Slack refused a call for a scope the app was not granted (named in `scope`)."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class SlackSender:
    def __init__(
        self, client: AsyncWebClient, *, update_seconds: float = 1.0, stream_seconds: float = 0.3
    ) -> None:
        self.client = client
        self.update_seconds = update_seconds
        self.stream_seconds = stream_seconds
        self.team_id = ""
        self.streaming = True  # until Slack says this workspace cannot
        self._last_update: dict[str, float] = {}  # channel -> when an answer there last changed

    @staticmethod
    def thread_of(conversation: ConversationRef, reply_to: str | None) -> str | None:
        """Answers in a channel go in a thread under what they answer; a DM's flow stays flat."""
        if conversation.thread_id:
            return conversation.thread_id
        return None if conversation.is_direct else reply_to

    async def send(
        self, conversation: ConversationRef, text: str, reply_to: str | None = None
    ) -> list[tuple[str, str]]:
        thread = self.thread_of(conversation, reply_to)
        posted = []
        for part in split_mrkdwn(to_mrkdwn(text)):
            sent = await self.client.chat_postMessage(
                channel=conversation.chat_id, text=part, thread_ts=thread, mrkdwn=True, unfurl_links=False
            )
            posted.append((str(sent["ts"]), plain_text(part)))
        return posted

    async def file_info(self, file_id: str) -> dict[str, Any]:
        """files.info's `file` (files.py reads it); MediaError, in words of its own, when Slack
        will not describe it."""
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "missing_scope":
                raise MediaError("the Slack app lacks the files:read scope") from None
            raise MediaError(f"Slack would not describe the file ({error})") from None
        except FILES_INFO_ERRORS as exc:
            raise MediaError(f"files.info failed ({type(exc).__name__})") from None
        return dict(info.get("file") or {})

    async def open_group(self, users: list[str]) -> tuple[str, bool]:
        """conversations.open for a group DM of `users` and the app: its id, and whether those
        people already had it. MissingScope without mpim:write; other refusals are raised."""
        try:
            opened = await self.client.conversations_open(users=",".join(users))
        except SlackApiError as exc:
            if exc.response.get("error") == "missing_scope":
                raise MissingScope(str(exc.response.get("needed") or "mpim:write")) from None
            raise
        return str((opened.get("channel") or {})["id"]), bool(opened.get("already_open"))

    async def send_ephemeral(self, conversation: ConversationRef, member: Member, text: str) -> None:
        await self.client.chat_postEphemeral(
            channel=conversation.chat_id,
            user=member.user_id,
            text=to_mrkdwn(text),
            thread_ts=conversation.thread_id,
        )

    async def stream(
        self,
        conversation: ConversationRef,
        chunks: AsyncIterable[str],
        reply_to: str | None,
        answering: Member | None,
    ) -> list[tuple[str, str]]:
        thread = self.thread_of(conversation, reply_to)
        iterator = aiter(chunks)
        first = await anext(iterator, "")
        if thread and self.streaming:
            try:
                started = await self.client.chat_startStream(
                    channel=conversation.chat_id,
                    thread_ts=thread,
                    markdown_text=_safe_markdown(first),
                    recipient_team_id=self.team_id or None,
                    recipient_user_id=answering.user_id if answering else None,
                )
            except SlackApiError as exc:
                if exc.response.get("error") not in NO_STREAMING:
                    raise
                logger.info("no native streaming here (%s): posting and updating", exc.response.get("error"))
                self.streaming = False
            else:
                return await self._native(conversation, thread, str(started["ts"]), first, iterator)
        return await self._by_updates(conversation, thread, first, iterator)

    async def _native(
        self, conversation: ConversationRef, thread: str, ts: str, text: str, rest: AsyncIterator[str]
    ) -> list[tuple[str, str]]:
        channel = conversation.chat_id
        pending, last = "", time.monotonic()
        async for chunk in rest:
            text += chunk
            pending += chunk
            if len(text) > STREAM_LIMIT:  # a very long answer goes on in messages of its own
                await self.client.chat_stopStream(channel=channel, ts=ts)
                more = await self._by_updates(conversation, thread, pending, rest)
                return [(ts, text[: len(text) - len(pending)]), *more]
            if time.monotonic() - last >= self.stream_seconds:
                await self.client.chat_appendStream(
                    channel=channel, ts=ts, markdown_text=_safe_markdown(pending)
                )
                pending, last = "", time.monotonic()
        if pending:
            await self.client.chat_appendStream(channel=channel, ts=ts, markdown_text=_safe_markdown(pending))
        await self.client.chat_stopStream(channel=channel, ts=ts)
        return [(ts, text)]

    async def _by_updates(
        self, conversation: ConversationRef, thread: str | None, text: str, rest: AsyncIterator[str]
    ) -> list[tuple[str, str]]:
        shown: list[tuple[str, str]] = []  # (ts, mrkdwn it shows) for each message posted
        await self._show(conversation, thread, text, shown)
        async for chunk in rest:
            text += chunk
            if time.monotonic() - self._last_update.get(conversation.chat_id, 0.0) >= self.update_seconds:
                await self._show(conversation, thread, text, shown)
        await self._show(conversation, thread, text, shown)
        return [(ts, plain_text(part)) for ts, part in shown]

    async def _show(
        self, conversation: ConversationRef, thread: str | None, text: str, shown: list[tuple[str, str]]
    ) -> None:
        self._last_update[conversation.chat_id] = time.monotonic()
        for number, part in enumerate(split_mrkdwn(to_mrkdwn(text))):
            if number < len(shown):
                if shown[number][1] != part:
                    await self.client.chat_update(
                        channel=conversation.chat_id, ts=shown[number][0], text=part
                    )
                    shown[number] = (shown[number][0], part)
            else:
                sent = await self.client.chat_postMessage(
                    channel=conversation.chat_id, text=part, thread_ts=thread, mrkdwn=True, unfurl_links=False
                )
                shown.append((str(sent["ts"]), part))

    async def thinking(self, conversation: ConversationRef, reply_to: str | None) -> None:
        """Slack shows a status only in assistant threads; elsewhere this quietly does nothing."""
        thread = self.thread_of(conversation, reply_to)
        if thread is None:
            return
        try:
            await self.client.assistant_threads_setStatus(
                channel_id=conversation.chat_id, thread_ts=thread, status="is thinking…"
            )
        except SlackApiError as exc:
            logger.debug("no status in %s: %s", conversation.chat_id, exc.response.get("error"))

    async def react(self, conversation: ConversationRef, message_id: str, emoji: str) -> None:
        name = (
            emoji.strip(":")
            if emoji.startswith(":")
            else REACTION_NAMES.get(emoji.replace("\ufe0f", "") or emoji)
        )
        name = name or REACTION_NAMES.get(emoji)
        if not name:
            logger.info("no Slack name for the reaction %r: skipped", emoji)
            return
        try:
            await self.client.reactions_add(channel=conversation.chat_id, timestamp=message_id, name=name)
        except SlackApiError as exc:
            if exc.response.get("error") not in {"already_reacted", "invalid_name", "message_not_found"}:
                raise
            logger.info("reaction %s skipped: %s", name, exc.response.get("error"))

    async def edit(self, conversation: ConversationRef, message_id: str, text: str) -> None:
        await self.client.chat_update(
            channel=conversation.chat_id, ts=message_id, text=split_mrkdwn(to_mrkdwn(text))[0]
        )
