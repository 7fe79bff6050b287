"""How many people a conversation has, asked of the platform at most every few minutes."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from facilitator.model import ConversationRef
from facilitator.ports import Adapter

logger = logging.getLogger(__name__)


class MemberCounts:
    def __init__(self, ttl_seconds: float, most: int) -> None:
        self._ttl = ttl_seconds
        self._most = most  # conversations remembered: only the recently active ones
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

    def forget(self, conversation: ConversationRef) -> None:
        """Someone joined or left: count again next time."""
        self._counts.pop(conversation.key(), None)
