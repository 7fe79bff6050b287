"""Which chat platforms run: the configured rows of bot/registry.py, each built by its wiring.

Each platform's wiring (and so its SDK) is imported only when that platform is configured: a bot
on one platform does not pay another's import time at every start."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

from bot import registry
from bot.http import HttpServer
from bot.settings import Settings
from facilitator.ports import Adapter, EventSink

logger = logging.getLogger(__name__)


class Platforms:
    """The configured platforms: built (and their webhooks routed) before the HTTP server
    starts, started after it, so that no webhook call finds nobody listening."""

    def __init__(
        self,
        settings: Settings,
        core: EventSink,
        http: HttpServer | None,
        late: registry.LateStart | None = None,
    ) -> None:
        configured = registry.configured(settings)
        self.names = [platform.name for platform in configured]
        self._built = [registry.wiring(platform).build(settings, core, http, late) for platform in configured]

    async def start(self, stack: AsyncExitStack) -> None:
        """Start each platform; `stack` stops them."""
        for platform in self._built:
            await platform.start(stack)

    @property
    def adapters(self) -> list[Adapter]:
        return [platform.adapter for platform in self._built if platform.adapter is not None]

    async def pause(self) -> None:
        """Take no new events on any platform (a stop is coming); what is under way goes on."""
        for platform in self._built:
            try:
                await platform.pause()
            except Exception:  # stopping goes on: the platform keeps what it did not deliver
                logger.exception("could not pause %s", type(platform).__name__)
