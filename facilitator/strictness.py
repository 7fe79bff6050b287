"""Strict content mode: set by a group's admins or forced by the operator, and, with the
operator's moderation on, the provider's moderation endpoint checking what is said there."""

from __future__ import annotations

import logging

from facilitator.chat import ConversationRef
from facilitator.ports import ModelError
from facilitator.services import Services
from facilitator.targets import applies

logger = logging.getLogger(__name__)


class Strictness:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def strict(self, conversation: ConversationRef) -> bool:
        if applies(self._services.config.forced_strict, conversation):
            return True
        return (await self._services.groups.group_state(conversation)).strict

    async def moderated(self, conversation: ConversationRef) -> bool:
        """Whether what is said here goes past the moderation endpoint (strict, and switched on)."""
        return self._services.config.moderation and await self.strict(conversation)

    async def passes(self, conversation: ConversationRef, text: str) -> bool:
        """In a moderated group, the provider's verdict on `text`. A moderation endpoint that
        fails counts as a refusal: strict means strict."""
        if not await self.moderated(conversation):
            return True
        try:
            return not await self._services.model.flagged(text)
        except ModelError as exc:
            logger.warning("moderation failed in %s: %s", conversation.chat_id, exc.kind)
            return False
