"""A thread's past: the first time Parley meets a thread (a conversation of its own), what was
said in it before the message that brought Parley there, so the thread's context starts where
the thread does. Parley's own answers found there mark it as a thread Parley speaks in."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.events import PLATFORM, SlackIdentity, attachments_of
from adapters.slack.sending import Thread, remember
from adapters.slack.ts import ts_key
from facilitator.chat import ConversationRef, Member, Message

logger = logging.getLogger(__name__)

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
