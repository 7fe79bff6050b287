"""Showing a started model reply to a conversation: streamed as it grows, or, where moderation is
on, read whole and checked before anyone sees it. Prompted and unprompted answers alike."""

from __future__ import annotations

import logging

from facilitator import texts
from facilitator.actions import Delivered, PartPosted, SendMessage, StreamMessage
from facilitator.chat import ConversationRef, Message
from facilitator.model_reply import ModelReply
from facilitator.ports import Adapter
from facilitator.services import Services
from facilitator.strictness import Strictness

logger = logging.getLogger(__name__)


class Showing:
    def __init__(self, services: Services, strictness: Strictness) -> None:
        self._services = services
        self._strictness = strictness

    async def show(
        self,
        conversation: ConversationRef,
        reply: ModelReply,
        target: Message,
        adapter: Adapter,
        on_part: PartPosted | None = None,
    ) -> Delivered | None:
        """`reply`, started, as an answer to `target`; what was posted, or None. `on_part` is
        told each part as it goes out (an answer owed records them)."""
        perform = self._services.perform
        if not await self._strictness.moderated(conversation):
            try:
                return await perform(
                    adapter,
                    StreamMessage(
                        conversation,
                        reply.chunks(),
                        reply_to=target.id,
                        answering=target.author,
                        on_part=on_part,
                    ),
                )
            finally:
                await reply.close()  # the adapter may have stopped reading early, or we were stopped
        try:
            text = "".join([chunk async for chunk in reply.chunks()])
        finally:
            await reply.close()
        if not await self._strictness.passes(conversation, text):
            logger.info("answer to %s in %s held back by moderation", target.id, conversation.chat_id)
            text = texts.MODERATED
        return await perform(adapter, SendMessage(conversation, text, reply_to=target.id, on_part=on_part))
