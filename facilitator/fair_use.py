"""The quota checks, before each answer: the member's tier, the group's daily answers and the
operator's daily token cap, against what the ledger counted (the rules: facilitator/quotas.py).

Answers per day are exact, even with several processes answering the same member at once: an
answer is counted (`reserve`) as it is about to be shown, in one atomic step with the check,
and given back (`refund`) when it could not be given after all."""

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
        await self._tell(message, adapter, reason)
        return True

    def _reply_limits(self, message: Message) -> tuple[tuple[str, int], ...]:
        quotas, conversation = self._services.config.quotas, message.conversation
        limits: list[tuple[str, int]] = []
        tier = quotas.tier_for(message.author, conversation)
        if tier.replies_per_day:
            limits.append((message.author.user_id, tier.replies_per_day))
        if quotas.group_replies_per_day and not conversation.is_direct:
            limits.append((group_account(conversation), quotas.group_replies_per_day))
        return tuple(limits)

    async def reserve(self, message: Message, adapter: Adapter) -> tuple[str, ...] | None:
        """Count the answer about to be shown against the daily answers it is limited by: the
        accounts counted (none where nothing limits it), or None when one is spent (the member
        is told, as by `over_quota`)."""
        limits = self._reply_limits(message)
        if not limits:
            return ()
        spent = await self._services.ledger.count_reply(message.author.platform, limits)
        if spent is None:
            return tuple(account for account, _ in limits)
        await self._tell(message, adapter, "replies" if spent == message.author.user_id else "group")
        return None

    async def refund(self, message: Message, accounts: tuple[str, ...]) -> None:
        if accounts:
            await self._services.ledger.refund_replies(message.author.platform, accounts)

    async def _tell(self, message: Message, adapter: Adapter, reason: str) -> None:
        """Once a day, privately where the platform can: what is used up, and until when."""
        author, today = message.author, utcnow().date()
        logger.info("over quota (%s): %s in %s", reason, author.user_id, message.conversation.chat_id)
        key = f"notice:quota:{author.user_id}:{today.isoformat()}"
        if await self._services.ledger.first_delivery(author.platform, key):
            text = texts.over_limit(reason, resets_in(utcnow()))
            await self._services.perform(adapter, SendMessage(message.conversation, text, private_to=author))

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
