"""The group size limit: how many humans a conversation has (asked of the platform at most every
few minutes) against `size_limit`; over it, the AI stays out (facilitator/policy.py decides)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from facilitator.chat import ConversationRef
from facilitator.ports import Adapter
from facilitator.services import Services

logger = logging.getLogger(__name__)


def over_size_limit(member_count: int | None, size_limit: int) -> bool:
    """0 is no limit; a platform that cannot tell its count is taken to be within it."""
    return size_limit > 0 and member_count is not None and member_count > size_limit


class GroupSize:
    def __init__(self, services: Services) -> None:
        self._limit = services.config.size_limit
        self._ttl = services.config.member_count_ttl_seconds
        self._most = services.config.seen_ids  # conversations remembered: the recently active ones
        self._counts: OrderedDict[tuple[str, str, str], tuple[float, int | None]] = OrderedDict()

    async def count(self, conversation: ConversationRef, adapter: Adapter) -> int | None:
        key = conversation.key()
        cached = self._counts.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            count = await adapter.count_members(conversation)
        except Exception:
            logger.warning("could not count members of %s", conversation.chat_id, exc_info=True)
            count = cached[1] if cached else None
        self._counts[key] = (now, count)
        self._counts.move_to_end(key)
        if len(self._counts) > self._most:
            self._counts.popitem(last=False)
        return count

    async def within(self, conversation: ConversationRef, adapter: Adapter) -> bool:
        return not over_size_limit(await self.count(conversation, adapter), self._limit)

    def forget(self, conversation: ConversationRef) -> None:
        """Someone joined or left: count again next time."""
        self._counts.pop(conversation.key(), None)
