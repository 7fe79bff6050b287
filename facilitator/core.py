"""The facilitator: every platform's events in, the AI's actions out through the same adapter.

Every message is persisted, addressed or not, unless the operator switched the AI off there.
Here the core routes each event and decides whether to answer (addressed, the mode, the size
limit, the quotas, strict moderation); its parts do the rest, each handed `Services` and the
parts it uses, and put together in `Facilitator.__init__`, the one place that knows them all:
answering a conversation (its queue and bursts) in facilitator/answering.py, reading the room
in facilitator/auto/, the commands in facilitator/commanding.py, redeliveries in
facilitator/redelivery.py, the kill switch, quotas and strict mode in facilitator/kill_switch.py,
facilitator/fair_use.py and facilitator/strictness.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import assert_never

from facilitator import texts
from facilitator.actions import SendMessage
from facilitator.addressing import addresses_by_name
from facilitator.answering import Answering
from facilitator.auto.decision import DecisionCall
from facilitator.auto.mode import AutoMode
from facilitator.chat import ConversationRef, Message, Mode
from facilitator.command_runner import CommandRunner
from facilitator.commanding import Commanding
from facilitator.config import FacilitatorConfig
from facilitator.events import (
    CommandReceived,
    ConversationMoved,
    Event,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    ProfileChanged,
    ReactionAdded,
)
from facilitator.fair_use import FairUse
from facilitator.first_use import FirstUse
from facilitator.group_size import GroupSize
from facilitator.kill_switch import KillSwitch
from facilitator.owing import Owing
from facilitator.policy import Decision, Facts, decide
from facilitator.ports import Adapter, ChatTurn, ModelClient, ResumePoint, StoreUnavailable
from facilitator.redelivery import Redeliveries
from facilitator.services import Services, Tasks, Tokens
from facilitator.showing import Showing
from facilitator.store.roles import Store
from facilitator.strictness import Strictness
from facilitator.takeover import Takeover
from facilitator.tokens import TokenCounter
from facilitator.tool_calls import ToolCalls
from facilitator.window import Window

__all__ = ["Facilitator", "FacilitatorConfig"]  # the settings are read where the core is

logger = logging.getLogger(__name__)


class Facilitator:
    def __init__(
        self,
        config: FacilitatorConfig,
        store: Store,
        model: ModelClient,
        counter: TokenCounter | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`clock`: seconds since the epoch, for a replay that keeps its own time; it then
        calls `auto.run_due()` itself as its time passes (the live bot uses timers)."""
        self.config = config
        self._store = store
        self._tasks = Tasks()
        services = Services(
            config=config,
            messages=store,
            members=store,
            groups=store,
            ledger=store,
            owed=store,
            feedback=store,
            previews=store,
            model=model,
            slots=asyncio.Semaphore(config.max_concurrent_calls),
            tokens=Tokens(counter),
            tasks=self._tasks,
        )
        self._services = services
        strictness = Strictness(services)
        window = Window(services)
        showing = Showing(services, strictness)
        self._group_size = GroupSize(services)
        self._fair_use = FairUse(services)
        self._kill_switch = KillSwitch(services)
        self._first_use = FirstUse(services)
        self._strictness = strictness
        self._commands = CommandRunner(services)
        self._window = window
        self._clock = clock or time.time
        self._owing = Owing(services, clock)
        self._redeliveries = Redeliveries(services, self._owing)
        self._closing = False
        decision = DecisionCall(services, window, strictness, showing)
        self.auto = AutoMode(services, decision, self._group_size, self._fair_use, self._owing, clock)
        tool_calls = ToolCalls(services, strictness)
        self._answering = Answering(
            services, window, showing, tool_calls, self.auto, self._owing, self._fair_use
        )
        self._commanding = Commanding(services, self._redeliveries, self._answering, self._commands)
        self._takeover = Takeover(services, self._owing, self._answering, self._kill_switch, self._take_up)
        store.watch(self._heard)

    @property
    def counter(self) -> TokenCounter:
        return self._services.tokens.counter

    @counter.setter
    def counter(self, counter: TokenCounter) -> None:
        """The exact tokenizer, once it has loaded (tokens are estimated until then)."""
        self._services.tokens.counter = counter

    # --- events in --------------------------------------------------------------------------

    async def handle(self, event: Event, adapter: Adapter) -> None:
        """Take one event; returns once it is stored (answers follow in the background)."""
        self._takeover.serving(adapter)
        try:
            await self._dispatch(event, adapter)
        except StoreUnavailable as exc:  # not durable: the platform must deliver it again
            logger.error("could not store %s (%s): left unacknowledged", type(event).__name__, exc)
            raise
        except Exception:
            logger.exception("failed to handle %s", type(event).__name__)

    async def _dispatch(self, event: Event, adapter: Adapter) -> None:
        where = getattr(event, "conversation", None)
        if isinstance(where, ConversationRef) and self._kill_switch.is_off(where):
            if isinstance(event, CommandReceived) and not event.author.is_bot:
                await self._services.perform(
                    adapter, SendMessage(where, texts.SWITCHED_OFF, reply_to=event.message_id)
                )
            return  # nothing is read, stored or answered where the operator switched it off
        if isinstance(event, MessageReceived):
            if event.by_ai:  # the AI's own, read back from the platform (another process posted it)
                message = event.message
                await self._services.messages.add_ai_message(
                    message.conversation, message.id, message.text, message.reply_to, as_seen=True
                )
            elif event.earlier:
                await self._services.messages.add_message(event.message)
            else:
                await self._on_message(event.message, adapter)
        elif isinstance(event, CommandReceived):
            await self._commanding.on_command(event, adapter)
        elif isinstance(event, MessageEdited):
            await self._services.messages.edit_message(event.conversation, event.message_id, event.text)
        elif isinstance(event, MessageDeleted):
            await self._services.messages.delete_message(event.conversation, event.message_id)
            await self.auto.feedback.deleted(event)  # one of its unprompted turns, taken back?
        elif isinstance(event, MemberJoined):
            self._group_size.forget(event.conversation)
            await self._services.members.remember_member(event.conversation, event.member)
        elif isinstance(event, MemberLeft):
            self._group_size.forget(event.conversation)
            await self._services.members.forget_membership(event.conversation, event.member)
        elif isinstance(event, ReactionAdded):
            logger.debug("reaction %s on %s", event.emoji, event.message_id)
            await self.auto.feedback.reacted(event)  # a 👍 or 👎 on an unprompted turn counts
        elif isinstance(event, ConversationMoved):
            await self._move(event.old, event.new)
        elif isinstance(event, ProfileChanged):
            await self._services.members.update_member(event.member)
        else:
            assert_never(event)

    async def _on_message(self, message: Message, adapter: Adapter) -> None:
        conversation = message.conversation
        named = addresses_by_name(message.text, self.config.names)
        addressed = conversation.is_direct or message.mentions_ai or message.replies_to_ai or named
        if not addressed and message.reply_to and not message.author.is_bot:
            addressed = await self._services.messages.is_ai_message(conversation, message.reply_to)
            if addressed:
                message = _with_reply_flag(message)
        if not addressed or message.author.is_bot:
            reads_the_room = (
                not message.author.is_bot
                and not conversation.is_direct
                and (await self._services.mode_of(conversation)).reads_the_room
            )
            if not reads_the_room:
                await self._services.messages.add_message(message)  # batched with the others: the common case
            elif await self._services.messages.add_message_once(message) and self._fresh(message):
                await self.auto.heard(message, adapter, addressed=False)  # a redelivery is no new candidate
            return
        # Stored with its answer owed, in one transaction, before anything else: a crash leaves
        # it for the next start, and a redelivery is stored once and answered once.
        owed = await self._redeliveries.new_message(message)
        if owed is None:
            return
        if not self._fresh(message):  # delivered late (a backlog, a catch-up): kept, not answered
            logger.info("message %s in %s came too late to answer", message.id, conversation.chat_id)
            await self._owing.settle((owed,))
            return
        await self._take_up(message, named, adapter, owed)

    async def _take_up(self, message: Message, named: bool, adapter: Adapter, owed: int) -> None:
        """Decide on an addressed message stored with its answer owed: queue the answer, or
        settle the debt (no answer is due: the mode, the size limit, a quota, moderation)."""
        try:
            queued = await self._decide(message, named, adapter, owed)
        except asyncio.CancelledError:
            raise  # stopping: left owed, for the next start
        except Exception:
            await self._owing.settle((owed,))
            raise
        if not queued:
            await self._owing.settle((owed,))

    async def _decide(self, message: Message, named: bool, adapter: Adapter, owed: int) -> bool:
        conversation = message.conversation
        mode = await self._services.mode_of(conversation)
        if not conversation.is_direct and mode.reads_the_room:  # auto, or preview
            if await self.auto.hold_back(message, adapter, mode):
                return False
            if await self.auto.heard(message, adapter, addressed=True):
                return False  # "thanks" or "not now" on an unprompted turn: taken to heart, not answered
        return await self._consider(message, named, adapter, owed)

    async def _consider(self, message: Message, named: bool, adapter: Adapter, owed: int) -> bool:
        """Whether the answer was queued (or left owed for the next process, when stopping)."""
        conversation = message.conversation
        state = await self._services.groups.group_state(conversation)
        mode = state.mode or self.config.default_mode
        count = None
        if not conversation.is_direct and mode is not Mode.OFF and self.config.size_limit > 0:
            count = await self._group_size.count(conversation, adapter)
        facts = Facts(
            mode=mode,
            is_direct=conversation.is_direct,
            author_is_bot=message.author.is_bot,
            mentioned=message.mentions_ai,
            replied_to_ai=message.replies_to_ai,
            named=named,
            member_count=count,
            size_limit=self.config.size_limit,
            size_notice_sent=state.size_notice_sent,
        )
        decision = decide(facts)
        logger.info("message %s in %s: %s", message.id, conversation.chat_id, decision.value)
        logger.debug("text of %s: %r", message.id, message.text)
        if decision is Decision.ANSWER:
            if state.size_notice_sent:
                await self._services.groups.set_size_notice(conversation, False)
            if self.config.quotas.enabled and await self._fair_use.over_quota(message, adapter):
                return False
            if not await self._strictness.passes(conversation, message.text):
                logger.info("message %s in %s held back by moderation", message.id, conversation.chat_id)
                await self._services.perform(
                    adapter, SendMessage(conversation, texts.MODERATED, reply_to=message.id)
                )
                return False
            if self._closing:
                return True  # stays owed: the next process gives it
            self._answering.queue(message, adapter, owed)
            if self._first_use.owed(message):
                self._services.spawn(self._first_use.tell(message, adapter))
            return True
        if decision is Decision.SIZE_NOTICE:
            await self._services.groups.set_size_notice(conversation, True)
            notice = texts.size_notice(count or 0, self.config.size_limit)
            await self._services.perform(
                adapter, SendMessage(conversation, notice, reply_to=message.id, notice="size_limit")
            )
        return False

    async def _move(self, old: ConversationRef, new: ConversationRef) -> None:
        async with self._answering.in_turn(old):  # after any answer under way in the old conversation
            await self._services.groups.move_conversation(old, new)
        self._group_size.forget(old)
        logger.info("conversation %s moved to %s", old.chat_id, new.chat_id)

    # --- answering --------------------------------------------------------------------------

    async def context(
        self,
        conversation: ConversationRef,
        adapter: Adapter | None = None,
        asking: Message | None = None,
        unprompted: str = "",
        budget_tokens: int | None = None,
    ) -> list[ChatTurn]:
        """What the model would read now in this conversation (its recent window, never more)."""
        return await self._window.turns(conversation, adapter, asking, unprompted, budget_tokens)

    def _fresh(self, message: Message) -> bool:
        return self._clock() - message.sent_at.timestamp() <= self.config.owed_within_seconds

    # --- answers owed from before a restart -------------------------------------------------

    async def resume_owed(self, adapter: Adapter) -> int:
        """Take up what this platform was still owed when the last process stopped (a crash, a
        deploy): call it once the platform has started. Returns how many were taken."""
        return await self._takeover.resume(adapter, stopping=self._closing)

    async def keep_taking_over(self, adapter: Adapter) -> None:
        """Run beside the platform: where processes share the store, what a dead one left is
        given within seconds. Returns at once on a store one process has alone."""
        await self._takeover.keep_taking_over(adapter, lambda: self._closing)

    def _heard(self, topic: str) -> None:
        """A change another process made (or the database was away: "*")."""
        if topic in ("switch", "*"):
            self._services.spawn(self._kill_switch.refresh())
        self._takeover.heard(topic)

    # --- what adapters keep across restarts --------------------------------------------------

    async def recall(self, platform: str, key: str) -> str | None:
        return await self._store.recall(platform, key)

    async def keep(self, platform: str, key: str, value: str) -> None:
        await self._store.keep(platform, key, value)

    async def resume_points(self, platform: str, active_since: datetime) -> list[ResumePoint]:
        return await self._store.resume_points(platform, active_since)

    async def playing(self, role: str) -> bool:
        return await self._store.playing(role)

    # --- lifetime ---------------------------------------------------------------------------

    async def refresh_switches(self) -> None:
        """Read the kill switch from the database (`parley run` does so before any event), and
        say this process is running (`parley check` lists those alive)."""
        await self._kill_switch.refresh()
        self._owing.begin()

    async def idle(self) -> None:
        """Wait until every answer under way has been given (for scripts, tests, shutdown)."""
        await self._tasks.idle()

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Let answers under way finish, for a while; then stop them (a PaaS stops us soon) and
        leave what is still owed to the next process. Events may still be stored afterwards
        (their answers owed, not started), until the store closes."""
        if self._closing:
            return
        self._closing = True
        self.auto.close()
        try:
            await asyncio.wait_for(self.idle(), timeout=grace_seconds)
        except TimeoutError:
            logger.warning(
                "stopping %d unfinished task(s) at shutdown; their answers stay owed", len(self._tasks)
            )
            await self._tasks.cancel()
        await self._owing.release()


def _with_reply_flag(message: Message) -> Message:
    return replace(message, replies_to_ai=True)
