"""What the core's parts may use, handed to each of them explicitly as one frozen value.

No part of the core imports `Facilitator` or calls back into it: each receives `Services` (and
the other parts it uses, by name, in its constructor), so who depends on whom reads in
facilitator/core.py, where they are put together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from facilitator.actions import Action, Delivered
from facilitator.chat import ConversationRef, Mode
from facilitator.config import FacilitatorConfig
from facilitator.ports import Adapter, ModelClient
from facilitator.store.roles import (
    FeedbackLog,
    GroupStore,
    Ledger,
    MemberStore,
    MessageStore,
    OwedAnswers,
    PreviewLog,
)
from facilitator.tokens import EstimatingCounter, TokenCounter

logger = logging.getLogger(__name__)


class Tokens:
    """The token counter, swappable: tokens are estimated until the exact tokenizer loads."""

    def __init__(self, counter: TokenCounter | None = None) -> None:
        self.counter: TokenCounter = counter or EstimatingCounter()

    @property
    def name(self) -> str:
        return self.counter.name

    def count(self, text: str) -> int:
        return self.counter.count(text)


class Tasks:
    """The core's background work (answers, notices, timers' decisions), so that it can be
    awaited before a shutdown and none is garbage-collected while it runs."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def __len__(self) -> int:
        return len(self._running)

    async def idle(self) -> None:
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*list(self._running), return_exceptions=True)


@dataclass(frozen=True, slots=True)
class Services:
    config: FacilitatorConfig
    messages: MessageStore
    members: MemberStore
    groups: GroupStore
    ledger: Ledger
    owed: OwedAnswers
    feedback: FeedbackLog  # the room's feedback on unprompted turns (auto/learning.py)
    previews: PreviewLog  # what `preview` mode would have done (auto/preview.py)
    model: ModelClient
    slots: asyncio.Semaphore  # caps model calls across every conversation
    tokens: Tokens = field(default_factory=Tokens)
    tasks: Tasks = field(default_factory=Tasks)

    async def perform(self, adapter: Adapter, action: Action) -> Delivered | None:
        """Carry out an action; a platform that fails is logged, and the bot goes on."""
        try:
            return await adapter.perform(action)
        except Exception:
            logger.exception("%s failed on %s", type(action).__name__, adapter.platform)
            return None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[None]:
        return self.tasks.spawn(coro)

    async def mode_of(self, conversation: ConversationRef) -> Mode:
        """A direct chat is always answered when addressed; a group has its admins' mode."""
        if conversation.is_direct:
            return Mode.MENTION
        return (await self.groups.group_state(conversation)).mode or self.config.default_mode
