"""The operator's kill switch: where the AI is off, nothing is read, stored or answered.

The settings' list (`bot.switched_off`) and the database's (`parley off`) together; the
database's is read at start and again in the background every half minute, so a running bot
follows `parley off` without a restart and without an await on every event.
"""

from __future__ import annotations

import logging
import time

from facilitator.chat import ConversationRef
from facilitator.services import Services
from facilitator.targets import applies

logger = logging.getLogger(__name__)

OFF_REFRESH_SECONDS = 30.0  # how soon `parley off` reaches a running bot


class KillSwitch:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._off: frozenset[str] | set[str] = services.config.switched_off
        self._read_at = -OFF_REFRESH_SECONDS

    def is_off(self, conversation: ConversationRef) -> bool:
        """No await here: events keep their order."""
        if time.monotonic() - self._read_at > OFF_REFRESH_SECONDS:
            self._read_at = time.monotonic()
            self._services.spawn(self.refresh())
        return applies(self._off, conversation)

    async def refresh(self) -> None:
        try:
            self._off = self._services.config.switched_off | await self._services.ledger.switched_off()
            self._read_at = time.monotonic()
        except Exception:
            logger.warning("could not read the kill switch; keeping the last known", exc_info=True)
