"""The first time a member addresses the AI in a chat: what it reads there, where it goes, and
how to see or delete what is stored, said once, privately where the platform can."""

from __future__ import annotations

import logging
from collections import OrderedDict

from facilitator import texts
from facilitator.actions import SendMessage
from facilitator.chat import Message
from facilitator.ports import Adapter
from facilitator.services import Services

logger = logging.getLogger(__name__)


class FirstUse:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._told: OrderedDict[tuple[str, str, str], None] = (
            OrderedDict()
        )  # kept from a restart by the ledger

    def owed(self, message: Message) -> bool:
        key = (message.conversation.platform, message.conversation.chat_id, message.author.user_id)
        return self._services.config.first_use_notice and key not in self._told

    async def tell(self, message: Message, adapter: Adapter) -> None:
        services, conversation, author = self._services, message.conversation, message.author
        key = (conversation.platform, conversation.chat_id, author.user_id)
        self._told[key] = None
        if len(self._told) > services.config.seen_ids:
            self._told.popitem(last=False)
        if not await services.ledger.first_delivery(
            conversation.platform, f"notice:first-use:{conversation.chat_id}:{author.user_id}"
        ):
            return
        logger.info("first-use notice for %s in %s", author.user_id, conversation.chat_id)
        config = services.config
        text = texts.first_use(config.ai_name, conversation.is_direct, config.provider)
        await services.perform(adapter, SendMessage(conversation, text, private_to=author))
