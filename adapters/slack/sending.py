"""What the core asks of Slack, done the way Slack shows an AI answer: every action type, one
method each (`adapters.common.performer`).

In a channel an answer goes in a thread under the message that asked, streamed with Slack's
native streaming (`chat.startStream` / `appendStream` / `stopStream`); where that is not
available (a DM's main flow, an older workspace, a missing scope) one message is posted and
updated at a pace Slack allows, per channel. Text is converted to mrkdwn with everything
escaped, so a model can never ping @channel. A private answer in a channel is an ephemeral
message; a slash command's answer goes where it was asked (`responses`); images go up with
`files_upload_v2`, a new group DM through `groups`. The threads Parley has
answered in are remembered, so that a message there is spoken to it. Rate limits are waited out
by the client.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.performer import perform
from adapters.slack.config import SlackConfig
from adapters.slack.events import is_ts
from adapters.slack.groups import GroupStarter
from adapters.slack.media import SlackMedia
from adapters.slack.render import plain_text, reaction_name, split_mrkdwn, to_mrkdwn
from adapters.slack.responses import CANNOT_POST, PendingCommand, PendingCommands
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
THREADS_REMEMBERED = 10_000
SHARE_WAITS = (0.2, 0.4, 0.8, 1.6)  # files.info, until Slack says which message shares an upload
STREAM_LIMIT = 12_000  # characters one streamed message holds before the answer goes on in another
CONTROL = re.compile(r"<([!@#])")  # <!channel>, <@U1>, <#C1>: Slack's own markup, never from the model


def _safe_markdown(text: str) -> str:
    """Native streaming takes Markdown as it is; only Slack's control markup is defused."""
    return CONTROL.sub("<\u200b\\1", text)


Thread = tuple[str, str]  # channel, thread ts


def remember(threads: OrderedDict[Thread, None], key: Thread) -> None:
    """Add `key` to a bounded memory of threads, the oldest forgotten first."""
    threads[key] = None
    threads.move_to_end(key)
    if len(threads) > THREADS_REMEMBERED:
        threads.popitem(last=False)


class SlackSender:
    def __init__(
        self,
        client: AsyncWebClient,
        media: SlackMedia,
        bot_user_id: Callable[[], Awaitable[str]],
        config: SlackConfig,
        proxy: str | None = None,
    ) -> None:
        self.client = client
        self.commands = PendingCommands(proxy)  # slash commands awaiting their answer
        self.media = media
        self.groups = GroupStarter(client, bot_user_id, lambda: self.ai_name)
        self.update_seconds = config.update_seconds
        self.stream_seconds = config.stream_seconds
        self.team_id = ""
        self.ai_name = "Parley"
        self.streaming = True  # until Slack says this workspace cannot
        self.spoken: OrderedDict[Thread, None] = OrderedDict()  # threads Parley answered in
        self._last_update: dict[str, float] = {}  # channel -> when an answer there last changed

    async def perform(self, action: Action) -> Delivered | None:
        return await perform(self, action)

    # --- the actions ------------------------------------------------------------------------

    async def send_message(self, action: SendMessage) -> Delivered | None:
        command = self.commands.take(action.reply_to)
        if command is not None:
            return await self._answer_command(command, action)
        if action.private_to is not None and not action.conversation.is_direct:
            await self._send_ephemeral(action.conversation, action.private_to, action.text)
            return None
        return Delivered(
            tuple(await self.send(action.conversation, action.text, action.reply_to, action.on_part))
        )

    async def stream_message(self, action: StreamMessage) -> Delivered:
        self._speaking(action.conversation, action.reply_to)
        told = action.on_part or _nobody
        parts = await self._stream(
            action.conversation, action.chunks, action.reply_to, action.answering, told
        )
        return Delivered(tuple(parts))

    async def edit_message(self, action: EditMessage) -> None:
        await self.client.chat_update(
            channel=action.conversation.chat_id,
            ts=action.message_id,
            text=split_mrkdwn(to_mrkdwn(action.text))[0],
        )

    async def react(self, action: React) -> None:
        emoji = action.emoji
        name = reaction_name(emoji)
        if not name:
            logger.info("no Slack name for the reaction %r: skipped", emoji)
            return
        try:
            await self.client.reactions_add(
                channel=action.conversation.chat_id, timestamp=action.message_id, name=name
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in {"already_reacted", "invalid_name", "message_not_found"}:
                raise
            logger.info("reaction %s skipped: %s", name, exc.response.get("error"))

    async def show_typing(self, action: ShowTyping) -> None:
        """Slack shows a status only in assistant threads; elsewhere this quietly does nothing."""
        thread = self.thread_of(action.conversation, None)
        if thread is None:
            return
        try:
            await self.client.assistant_threads_setStatus(
                channel_id=action.conversation.chat_id, thread_ts=thread, status="is thinking…"
            )
        except SlackApiError as exc:
            logger.debug("no status in %s: %s", action.conversation.chat_id, exc.response.get("error"))

    async def send_image(self, action: SendImage) -> Delivered:
        """Upload the image (files_upload_v2) into the conversation, in the thread an answer would
        go to, with the caption as its message; the part is the ts of the message that shows it,
        or the file id when Slack has not said which message that is."""
        thread = self._speaking(action.conversation, action.reply_to)
        where = action.conversation
        comment = split_mrkdwn(to_mrkdwn(action.caption))[0] if action.caption.strip() else None
        done = await self.client.files_upload_v2(
            channel=where.chat_id,
            file=action.data,
            filename=action.name,
            initial_comment=comment,
            thread_ts=thread,
        )
        file = done.get("file") or {}
        file_id = str(file.get("id") or "")
        ts = _shared_at(file, where.chat_id)
        for wait in SHARE_WAITS if ts is None and file_id else ():
            await asyncio.sleep(wait)  # Slack shares an upload a moment after completing it
            try:
                ts = _shared_at(await self.media.file_info(file_id), where.chat_id)
            except MediaError as exc:
                logger.info("no share of %s yet: %s", file_id, exc)
            if ts is not None:
                break
        if ts is None:
            logger.info("Slack did not say which message shows %s: its id stands for it", file_id)
        return Delivered(((ts or file_id, action.caption),))

    async def start_group(self, action: StartGroup) -> Delivered:
        return await self.groups.start(action)

    async def _answer_command(self, command: PendingCommand, action: SendMessage) -> Delivered | None:
        """To the one who typed it, unless meant for the group; through the response_url where
        Parley cannot post (not in the channel), which reaches whoever typed it wherever it was."""
        text = split_mrkdwn(to_mrkdwn(action.text))[0]
        where = action.conversation
        if not where.is_direct and not (action.announce and action.private_to is None):
            if not await self.commands.respond(command, text, in_channel=False):
                await self._send_ephemeral(
                    where, action.private_to or Member(where.platform, command.user, ""), action.text
                )
            return None
        try:
            return Delivered(tuple(await self.send(where, action.text)))
        except SlackApiError as exc:
            if exc.response.get("error") not in CANNOT_POST:
                raise
            logger.info(
                "cannot post in %s (%s): answered through the command",
                command.channel,
                exc.response.get("error"),
            )
        if not await self.commands.respond(command, text, in_channel=not where.is_direct):
            raise RuntimeError(f"the command in {command.channel} could not be answered")
        return None

    # --- posting ----------------------------------------------------------------------------

    @staticmethod
    def thread_of(conversation: ConversationRef, reply_to: str | None) -> str | None:
        """Answers in a channel go in a thread under what they answer; a DM's flow stays flat."""
        if conversation.thread_id:
            return conversation.thread_id
        return None if conversation.is_direct or not is_ts(reply_to) else reply_to

    async def send(
        self,
        conversation: ConversationRef,
        text: str,
        reply_to: str | None = None,
        on_part: PartPosted | None = None,
    ) -> list[tuple[str, str]]:
        thread = self.thread_of(conversation, reply_to)
        posted = []
        for part in split_mrkdwn(to_mrkdwn(text)):
            sent = await self.client.chat_postMessage(
                channel=conversation.chat_id, text=part, thread_ts=thread, mrkdwn=True, unfurl_links=False
            )
            posted.append((str(sent["ts"]), plain_text(part)))
            if on_part is not None:
                await on_part(str(sent["ts"]))
        return posted

    def _speaking(self, conversation: ConversationRef, reply_to: str | None) -> str | None:
        """The thread an answer goes in, remembered as one Parley speaks in."""
        thread = self.thread_of(conversation, reply_to)
        if thread:
            remember(self.spoken, (conversation.chat_id, thread))
        return thread

    async def _send_ephemeral(self, conversation: ConversationRef, member: Member, text: str) -> None:
        await self.client.chat_postEphemeral(
            channel=conversation.chat_id,
            user=member.user_id,
            text=to_mrkdwn(text),
            thread_ts=conversation.thread_id,
        )

    async def _stream(
        self,
        conversation: ConversationRef,
        chunks: AsyncIterable[str],
        reply_to: str | None,
        answering: Member | None,
        told: PartPosted,
    ) -> list[tuple[str, str]]:
        """`told` hears each message's ts as it is posted (an answer owed records them)."""
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
                await told(str(started["ts"]))
                return await self._native(conversation, thread, str(started["ts"]), first, iterator, told)
        return await self._by_updates(conversation, thread, first, iterator, told)

    async def _native(
        self,
        conversation: ConversationRef,
        thread: str,
        ts: str,
        text: str,
        rest: AsyncIterator[str],
        told: PartPosted,
    ) -> list[tuple[str, str]]:
        channel = conversation.chat_id
        pending, last = "", time.monotonic()
        async for chunk in rest:
            text += chunk
            pending += chunk
            if len(text) > STREAM_LIMIT:  # a very long answer goes on in messages of its own
                await self.client.chat_stopStream(channel=channel, ts=ts)
                more = await self._by_updates(conversation, thread, pending, rest, told)
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
        self,
        conversation: ConversationRef,
        thread: str | None,
        text: str,
        rest: AsyncIterator[str],
        told: PartPosted,
    ) -> list[tuple[str, str]]:
        shown: list[tuple[str, str]] = []  # (ts, mrkdwn it shows) for each message posted
        await self._show(conversation, thread, text, shown, told)
        async for chunk in rest:
            text += chunk
            if time.monotonic() - self._last_update.get(conversation.chat_id, 0.0) >= self.update_seconds:
                await self._show(conversation, thread, text, shown, told)
        await self._show(conversation, thread, text, shown, told)
        return [(ts, plain_text(part)) for ts, part in shown]

    async def _show(
        self,
        conversation: ConversationRef,
        thread: str | None,
        text: str,
        shown: list[tuple[str, str]],
        told: PartPosted,
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
                await told(str(sent["ts"]))


async def _nobody(part_id: str) -> None:
    """No one to tell of a part posted (a reply nothing is owed for)."""


def _shared_at(file: dict[str, object], channel: str) -> str | None:
    """The ts of the message that shares `file` in `channel` (files.info's `shares`)."""
    shares = file.get("shares")
    if not isinstance(shares, dict):
        return None
    for kind in ("public", "private"):
        found = (shares.get(kind) or {}).get(channel) or []
        if found and isinstance(found[-1], dict) and found[-1].get("ts"):
            return str(found[-1]["ts"])
    return None
