"""What the operator and a group's admins decide, checked before the AI answers: the kill
switch, fair-use quotas, strict content mode with moderation, and the first-use notice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import Any

from facilitator import texts
from facilitator.auto import group_account
from facilitator.config import FacilitatorConfig
from facilitator.model import Action, ConversationRef, Delivered, Message, SendMessage, utcnow
from facilitator.ports import Adapter, ModelClient, ModelError, Store
from facilitator.quotas import over_limit, resets_in
from facilitator.targets import applies

logger = logging.getLogger(__name__)

OFF_REFRESH_SECONDS = 30.0  # how soon `parley off` reaches a running bot

Perform = Callable[[Adapter, Action], Awaitable[Delivered | None]]
Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[None]"]


class Control:
    def __init__(
        self, config: FacilitatorConfig, store: Store, model: ModelClient, perform: Perform, spawn: Spawn
    ) -> None:
        self.config = config
        self._store = store
        self._model = model
        self._perform = perform
        self._spawn = spawn
        self._off: frozenset[str] | set[str] = config.switched_off
        self._off_read_at = -OFF_REFRESH_SECONDS
        self._told: OrderedDict[tuple[str, str, str], None] = OrderedDict()  # first-use notices

    async def over_quota(self, message: Message, adapter: Adapter) -> bool:
        """Over their tier, or the operator's daily budget spent: no answer, and the member is
        told once a day, privately where the platform can."""
        quotas, author = self.config.quotas, message.author
        today = utcnow().date()
        reason = await self._budget_spent(message.conversation, today)
        if reason is None:
            tier = quotas.tier_for(author, message.conversation)
            reason = over_limit(tier, await self._store.usage(author.platform, author.user_id, today))
        if reason is None:
            return False
        logger.info("over quota (%s): %s in %s", reason, author.user_id, message.conversation.chat_id)
        key = f"notice:quota:{author.user_id}:{today.isoformat()}"
        if await self._store.first_delivery(author.platform, key):
            text = texts.over_limit(reason, resets_in(utcnow()))
            await self._perform(adapter, SendMessage(message.conversation, text, private_to=author))
        return True

    async def within_budget(self, conversation: ConversationRef) -> bool:
        """Room for an unprompted turn: the group's own budget and the operator's daily cap."""
        return await self._budget_spent(conversation, utcnow().date()) is None

    async def _budget_spent(self, conversation: ConversationRef, today: date) -> str | None:
        """ "budget" (the operator's daily cap) or "group" (the group's answers today) when spent."""
        quotas = self.config.quotas
        if quotas.daily_tokens and await self._store.tokens_spent(today) >= quotas.daily_tokens:
            return "budget"
        if quotas.group_replies_per_day and not conversation.is_direct:
            spent = await self._store.usage(conversation.platform, group_account(conversation), today)
            if spent.replies >= quotas.group_replies_per_day:
                return "group"
        return None

    def switched_off(self, conversation: ConversationRef) -> bool:
        """No await here: events keep their order. The database's list (`parley off`) is read
        at start (`refresh_switches`) and again in the background every half minute."""
        if time.monotonic() - self._off_read_at > OFF_REFRESH_SECONDS:
            self._off_read_at = time.monotonic()
            self._spawn(self.refresh_switches())
        return applies(self._off, conversation)

    async def refresh_switches(self) -> None:
        try:
            self._off = self.config.switched_off | await self._store.switched_off()
            self._off_read_at = time.monotonic()
        except Exception:
            logger.warning("could not read the kill switch; keeping the last known", exc_info=True)

    async def strict(self, conversation: ConversationRef) -> bool:
        """Strict content mode: set by the group's admins, or forced by the operator."""
        if applies(self.config.forced_strict, conversation):
            return True
        return (await self._store.group_settings(conversation)).strict

    async def moderated(self, conversation: ConversationRef) -> bool:
        """Whether what is said here goes past the moderation endpoint (strict, and switched on)."""
        return self.config.moderation and await self.strict(conversation)

    async def passes_moderation(self, conversation: ConversationRef, text: str) -> bool:
        """In a strict group, with the operator's moderation on: the provider's verdict on `text`.
        A moderation endpoint that fails counts as a refusal: strict means strict."""
        if not await self.moderated(conversation):
            return True
        try:
            return not await self._model.flagged(text)
        except ModelError as exc:
            logger.warning("moderation failed in %s: %s", conversation.chat_id, exc.kind)
            return False

    def owes_first_use(self, message: Message) -> bool:
        key = (message.conversation.platform, message.conversation.chat_id, message.author.user_id)
        return self.config.first_use_notice and key not in self._told

    async def tell_first_use(self, message: Message, adapter: Adapter) -> None:
        """Once per member and chat: what the AI reads here, where it goes, and how to see or
        delete what is stored (privately, where the platform can)."""
        conversation, author = message.conversation, message.author
        key = (conversation.platform, conversation.chat_id, author.user_id)
        self._told[key] = None
        if len(self._told) > self.config.seen_ids:
            self._told.popitem(last=False)
        if not await self._store.first_delivery(
            conversation.platform, f"notice:first-use:{conversation.chat_id}:{author.user_id}"
        ):
            return
        logger.info("first-use notice for %s in %s", author.user_id, conversation.chat_id)
        text = texts.first_use(self.config.ai_name, conversation.is_direct, self.config.provider)
        await self._perform(adapter, SendMessage(conversation, text, private_to=author))
