"""What Parley missed: what was said in Slack while it was not running, and a thread's past.

Slack never redelivers an event that was acknowledged, and gives up on one after three retries,
so at start Parley reads, for each conversation with a message stored in the last day, what was
said after the newest one it has (`conversations.history`, or `conversations.replies` for a
thread, and the replies of a thread that grew meanwhile), oldest first, one call at a time (the
client waits out a 429), within a budget of calls. Each message goes to the core the way a live
event does; the core skips what it has and decides what is recent enough to answer.

The first time Parley meets a thread (a conversation of its own), what was said in it before
the message that brought Parley there is read too (`thread_past`), so the thread's context
starts where the thread does; Parley's own answers there mark it as a thread it speaks in.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.events import PLATFORM, SlackIdentity, attachments_of, is_ts, later, ts_key
from adapters.slack.sending import Thread, remember
from facilitator.chat import ConversationRef, Member, Message
from facilitator.ports import EventSink, ResumePoint

logger = logging.getLogger(__name__)

SINCE = timedelta(days=1)  # conversations active this recently are caught up
CONVERSATIONS = 100  # at most, the most recently active first
CALLS = 300  # Web API calls at most in one catch-up
PAGES = 3  # per conversation or thread
PAGE = 200  # messages per call

Hand = Callable[[str, dict[str, Any]], Awaitable[None]]  # (channel, message as Slack gives it)


class CatchUp:
    def __init__(self, client: AsyncWebClient, core: EventSink, hand: Hand) -> None:
        self._client = client
        self._core = core
        self._hand = hand
        self._calls = 0
        self.handed = 0  # messages handed to the core

    async def run(self, now: datetime | None = None) -> int:
        """Catch every recent conversation up; how many messages were handed on."""
        now = now or datetime.now(UTC)
        points = await self._core.resume_points("slack", now - SINCE)
        kept = {(p.conversation.chat_id, p.conversation.thread_id) for p in points[:CONVERSATIONS]}
        for point in points[:CONVERSATIONS]:
            if self._calls >= CALLS:
                logger.warning("Slack catch-up stopped at its budget of %d calls", CALLS)
                break
            try:
                await self._conversation(point, kept)
            except SlackApiError as exc:
                logger.info(
                    "could not catch up %s: %s", point.conversation.chat_id, exc.response.get("error")
                )
        logger.info("Slack catch-up: %d message(s) from %d conversation(s)", self.handed, len(kept))
        return self.handed

    async def _conversation(self, point: ResumePoint, kept: set[tuple[str, str | None]]) -> None:
        where = point.conversation
        oldest = point.last_message_id if is_ts(point.last_message_id) else f"{point.last_at.timestamp():.6f}"
        if where.thread_id:
            await self._thread(where.chat_id, where.thread_id, oldest)
            return
        said = await self._pages("conversations_history", channel=where.chat_id, oldest=oldest)
        grown = []
        for message in said:
            await self._give(where.chat_id, message, oldest)
            thread = message.get("thread_ts")
            if thread == message.get("ts") and later(message.get("latest_reply"), oldest):
                if (where.chat_id, thread) not in kept:  # a thread of its own is caught up on its own
                    grown.append(str(thread))
        for thread in grown:
            await self._thread(where.chat_id, thread, oldest)

    async def _thread(self, channel: str, thread: str, oldest: str) -> None:
        for message in await self._pages("conversations_replies", channel=channel, ts=thread, oldest=oldest):
            if message.get("ts") != thread:  # the thread's first message comes first, whatever oldest says
                await self._give(channel, message, oldest)

    async def _give(self, channel: str, message: dict[str, Any], oldest: str) -> None:
        if not later(message.get("ts"), oldest):
            return
        try:
            await self._hand(channel, message)
            self.handed += 1
        except Exception:
            logger.exception("a caught-up message %s in %s could not be handled", message.get("ts"), channel)

    async def _pages(self, method: str, **params: Any) -> list[dict[str, Any]]:
        """Every message of up to PAGES pages, oldest first."""
        found: list[dict[str, Any]] = []
        cursor = None
        for _ in range(PAGES):
            if self._calls >= CALLS:
                break
            self._calls += 1
            answer = await getattr(self._client, method)(limit=PAGE, cursor=cursor, **params)
            found += [m for m in answer.get("messages") or [] if isinstance(m, dict) and is_ts(m.get("ts"))]
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return sorted(found, key=lambda message: ts_key(message["ts"]))


EARLIER = 50  # messages of a thread's past read at most


async def thread_past(
    client: AsyncWebClient,
    where: ConversationRef,
    before: str,
    me: SlackIdentity,
    ai_name: str,
    spoken: OrderedDict[Thread, None],
) -> list[Message]:
    """The thread's messages before `before` (conversations.replies), oldest first; authors as
    the payload names them (their profiles are the adapter's to fill in)."""
    assert where.thread_id is not None
    try:
        found = await client.conversations_replies(channel=where.chat_id, ts=where.thread_id, limit=EARLIER)
    except SlackApiError as exc:
        logger.info("could not read the thread %s: %s", where.thread_id, exc.response.get("error"))
        return []
    earlier = []
    for item in found.get("messages") or []:
        ts, text = item.get("ts"), item.get("text")
        if not isinstance(ts, str) or ts_key(ts) >= ts_key(before) or not isinstance(text, str):
            continue
        if item.get("user") == me.user_id or item.get("bot_id") == me.bot_id:
            remember(spoken, (where.chat_id, where.thread_id))
            author = Member(PLATFORM, me.user_id, ai_name, is_bot=True)
        elif isinstance(item.get("user"), str):
            author = Member(PLATFORM, item["user"], item["user"])
        else:
            continue
        sent = datetime.fromtimestamp(ts_key(ts)[0] + ts_key(ts)[1] / 1e6, UTC)
        earlier.append(
            Message(ts, where, author, text, sent_at=sent, attachments=attachments_of(item.get("files")))
        )
    return earlier
