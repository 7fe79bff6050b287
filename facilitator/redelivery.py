"""Redeliveries: platforms deliver an event again (Slack retries, a webhook after a timeout,
a gateway replay), and the AI must answer it once, also across a restart.

A message is new when the store did not hold its platform id yet (stored with its answer owed,
in one transaction); a command, when the ledger has not seen its delivery key. An in-memory
memory of recent ids answers the common case of a quick retry without a database round trip.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from facilitator.chat import ConversationRef, Message
from facilitator.events import CommandReceived
from facilitator.owing import Owing
from facilitator.services import Services

logger = logging.getLogger(__name__)


def delivery_key(event: CommandReceived) -> str | None:
    """What makes a command's delivery unique on its platform: its message, else its event."""
    if event.message_id:
        where = event.conversation
        return f"message:{where.chat_id}:{where.thread_id or ''}:{event.message_id}"
    return f"event:{event.event_id}" if event.event_id else None


class Redeliveries:
    def __init__(self, services: Services, owing: Owing) -> None:
        self._services = services
        self._owing = owing
        self._most = services.config.seen_ids
        self._seen: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()

    def _seen_before(self, conversation: ConversationRef, message_id: str) -> bool:
        key = (*conversation.key(), message_id)
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > self._most:
            self._seen.popitem(last=False)
        return False

    async def new_message(self, message: Message) -> int | None:
        """Store an addressed message with its answer owed; the debt's id, or None when it was
        delivered before (nothing stored, nothing owed: it was answered, or is being)."""
        conversation = message.conversation
        owed = None
        if not self._seen_before(conversation, message.id):
            try:
                owed = await self._owing.store(message)
            except BaseException:
                self._seen.pop((*conversation.key(), message.id), None)  # not stored: a redelivery is new
                raise
        if owed is None:
            logger.info("duplicate message %s in %s: not answered again", message.id, conversation.chat_id)
        return owed

    async def new_command(self, event: CommandReceived) -> bool:
        conversation = event.conversation
        if event.message_id and self._seen_before(conversation, event.message_id):
            return False
        key = delivery_key(event)
        if key is not None and not await self._services.ledger.first_delivery(conversation.platform, key):
            logger.info("command %s redelivered in %s: not run again", key, conversation.chat_id)
            return False
        return True
