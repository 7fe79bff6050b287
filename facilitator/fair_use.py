"""The quota checks, before each answer: the member's tier, the group's daily answers and the
operator's daily token cap, against what the ledger counted (the rules: facilitator/quotas.py)."""

from __future__ import annotations

import logging
from datetime import date

from facilitator import texts
from facilitator.accounts import group_account
from facilitator.actions import SendMessage
from facilitator.chat import ConversationRef, Message, utcnow
from facilitator.ports import Adapter
from facilitator.quotas import over_limit, resets_in
from facilitator.services import Services

logger = logging.getLogger(__name__)


class FairUse:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def over_quota(self, message: Message, adapter: Adapter) -> bool:
        """Over their tier, or the operator's daily budget spent: no answer, and the member is
        told once a day, privately where the platform can."""
        services, author = self._services, message.author
        today = utcnow().date()
        reason = await self._budget_spent(message.conversation, today)
        if reason is None:
            tier = services.config.quotas.tier_for(author, message.conversation)
            reason = over_limit(tier, await services.ledger.usage(author.platform, author.user_id, today))
        if reason is None:
            return False
        logger.info("over quota (%s): %s in %s", reason, author.user_id, message.conversation.chat_id)
        key = f"notice:quota:{author.user_id}:{today.isoformat()}"
        if await services.ledger.first_delivery(author.platform, key):
            text = texts.over_limit(reason, resets_in(utcnow()))
            await services.perform(adapter, SendMessage(message.conversation, text, private_to=author))
        return True

    async def within_budget(self, conversation: ConversationRef) -> bool:
        """Room for an unprompted turn: the group's own budget and the operator's daily cap."""
        return await self._budget_spent(conversation, utcnow().date()) is None

    async def _budget_spent(self, conversation: ConversationRef, today: date) -> str | None:
        """ "budget" (the operator's daily cap) or "group" (the group's answers today) when spent."""
        quotas, ledger = self._services.config.quotas, self._services.ledger
        if quotas.daily_tokens and await ledger.tokens_spent(today) >= quotas.daily_tokens:
            return "budget"
        if quotas.group_replies_per_day and not conversation.is_direct:
            spent = await ledger.usage(conversation.platform, group_account(conversation), today)
            if spent.replies >= quotas.group_replies_per_day:
                return "group"
        return None
