"""Answers owed that this process did not start: those a crash or the last deploy left (taken
once a platform has started), and, where several processes share the store, those a process
that died left (looked for every `TAKE_OVER_EVERY` seconds) or handed over to this one because
it answers in their conversation (taken in at once, when word of them comes).

Each is decided again (the mode, the size and the quotas as they are now) through `take_up`,
the core's own path for an addressed message stored with its answer owed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from facilitator.addressing import addresses_by_name
from facilitator.answering import Answering
from facilitator.chat import ConversationRef, Message
from facilitator.kill_switch import KillSwitch
from facilitator.owing import TAKE_OVER_EVERY, Owing
from facilitator.ports import Adapter, StoreUnavailable
from facilitator.services import Services

logger = logging.getLogger(__name__)

TakeUp = Callable[[Message, bool, Adapter, int], Awaitable[None]]


class Takeover:
    def __init__(
        self,
        services: Services,
        owing: Owing,
        answering: Answering,
        kill_switch: KillSwitch,
        take_up: TakeUp,
    ) -> None:
        self._services = services
        self._owing = owing
        self._answering = answering
        self._kill_switch = kill_switch
        self._take_up = take_up
        self._adapters: dict[str, Adapter] = {}

    def serving(self, adapter: Adapter) -> None:
        """This process serves the adapter's platform (told of each event: a dict lookup)."""
        if adapter.platform not in self._adapters:
            self._adapters[adapter.platform] = adapter
            self._owing.platforms.add(adapter.platform)

    async def resume(self, adapter: Adapter, *, stopping: bool) -> int:
        """Take up what this platform is owed and nobody is giving; how many were claimed."""
        self.serving(adapter)
        fresh, taken = await self._owing.after_restart(adapter, stopping=stopping)
        for each in fresh:
            message = each.message
            if self._kill_switch.is_off(message.conversation):  # switched off while we were down
                await self._owing.settle((each.id,))
                continue
            named = addresses_by_name(message.text, self._services.config.names)
            try:  # decided again: the mode, the size and the quotas as they are now
                await self._take_up(message, named, adapter, each.id)
            except StoreUnavailable:
                raise
            except Exception:
                logger.exception("could not take up the answer owed to %s", message.id)
        return taken

    async def keep_taking_over(self, adapter: Adapter, stopping: Callable[[], bool]) -> None:
        """Where other processes share the store: what a dead one left, taken over within
        seconds of its lease running out. Returns at once when this process is alone."""
        if not self._owing.shared:
            return
        while not stopping():
            await asyncio.sleep(TAKE_OVER_EVERY)
            try:
                taken = await self.resume(adapter, stopping=stopping())
            except Exception as exc:  # the database is away: look again next round
                logger.warning("could not look for answers left by other processes (%s)", type(exc).__name__)
                continue
            if taken:
                logger.info("%s: took over %d answer(s) another process left", adapter.platform, taken)

    def heard(self, topic: str) -> None:
        """Word from the store: an answer handed over to the conversation this process answers in."""
        if not topic.startswith("owed:"):
            return
        try:
            platform, chat_id, thread_id = json.loads(topic[len("owed:") :])
        except (ValueError, TypeError):
            logger.warning("word of an answer handed over, unreadable: %r", topic[:100])
            return
        adapter = self._adapters.get(platform)
        if adapter is None:
            return
        conversation = ConversationRef(platform, chat_id, thread_id or None)  # known by its key
        if self._answering.answering_in(conversation):  # else a sweep takes it, or the holder's next
            self._services.spawn(self._answering.adopt(conversation, adapter))
