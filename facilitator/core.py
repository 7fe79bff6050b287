"""The facilitator: every platform's events in, the AI's actions out through the same adapter.

Every message is persisted, addressed or not, unless the operator switched the AI off there.
Whether to answer is decided here (addressed, the mode, the size limit, the quotas, strict
moderation); the answering itself is facilitator/answering.py, reading the room in `auto` mode
facilitator/auto.py, and the operator's and admins' controls facilitator/control.py. A
semaphore caps model calls across all conversations.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from facilitator import texts
from facilitator.addressing import addresses_by_name
from facilitator.answering import Answering
from facilitator.auto import AutoMode
from facilitator.command_handler import CommandHandler
from facilitator.config import FacilitatorConfig
from facilitator.control import Control
from facilitator.member_counts import MemberCounts
from facilitator.model import (
    Action,
    CommandReceived,
    ConversationMoved,
    ConversationRef,
    Delivered,
    Event,
    MemberJoined,
    MemberLeft,
    Message,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    Mode,
    ProfileChanged,
    ReactionAdded,
    SendMessage,
    StartGroup,
)
from facilitator.policy import Decision, Facts, decide, over_size_limit
from facilitator.ports import Adapter, ChatTurn, ModelClient, Store
from facilitator.reading import Reading
from facilitator.replying import ModelReply
from facilitator.tokens import EstimatingCounter, TokenCounter
from facilitator.tool_use import ToolUse

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
        self._model = model
        self._slots = asyncio.Semaphore(config.max_concurrent_calls)
        self._member_counts = MemberCounts(config.member_count_ttl_seconds, config.seen_ids)
        self._seen: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        self._commands = CommandHandler(
            store, config.ai_name, config.default_mode, config.quotas, config.forced_strict
        )
        self._reading = Reading(config, store, counter or EstimatingCounter())
        self._tool_use = ToolUse(
            model,
            self._slots,
            self._perform,
            reactions=config.reactions,
            images=config.image_generation,
            allowed=self.passes_moderation,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._control = Control(config, store, model, self._perform, self.spawn)
        self._answering = Answering(self, store, model, self._slots, self._tool_use)
        self.auto = AutoMode(self, store, model, self._slots, config.auto, config.names, clock)

    @property
    def counter(self) -> TokenCounter:
        return self._reading.counter

    @counter.setter
    def counter(self, counter: TokenCounter) -> None:
        """The exact tokenizer, once it has loaded (tokens are estimated until then)."""
        self._reading.counter = counter

    # --- events in --------------------------------------------------------------------------

    async def handle(self, event: Event, adapter: Adapter) -> None:
        """Take one event; returns once it is stored (answers follow in the background)."""
        try:
            await self._dispatch(event, adapter)
        except Exception:
            logger.exception("failed to handle %s", type(event).__name__)

    async def _dispatch(self, event: Event, adapter: Adapter) -> None:
        where = getattr(event, "conversation", None)
        if isinstance(where, ConversationRef) and self._control.switched_off(where):
            if isinstance(event, CommandReceived) and not event.author.is_bot:
                await self._perform(
                    adapter, SendMessage(where, texts.SWITCHED_OFF, reply_to=event.message_id)
                )
            return  # nothing is read, stored or answered where the operator switched it off
        if isinstance(event, MessageReceived):
            if event.earlier:
                await self._store.add_message(event.message)
            else:
                await self._on_message(event.message, adapter)
        elif isinstance(event, CommandReceived):
            await self._on_command(event, adapter)
        elif isinstance(event, MessageEdited):
            await self._store.edit_message(event.conversation, event.message_id, event.text)
        elif isinstance(event, MessageDeleted):
            await self._store.delete_message(event.conversation, event.message_id)
        elif isinstance(event, MemberJoined):
            self._member_counts.forget(event.conversation)
            await self._store.remember_member(event.conversation, event.member)
        elif isinstance(event, MemberLeft):
            self._member_counts.forget(event.conversation)
            await self._store.forget_membership(event.conversation, event.member)
        elif isinstance(event, ReactionAdded):
            logger.debug("reaction %s on %s", event.emoji, event.message_id)
        elif isinstance(event, ConversationMoved):
            await self._move(event.old, event.new)
        elif isinstance(event, ProfileChanged):
            await self._store.update_member(event.member)

    async def _on_message(self, message: Message, adapter: Adapter) -> None:
        conversation = message.conversation
        named = addresses_by_name(message.text, self.config.names)
        addressed = conversation.is_direct or message.mentions_ai or message.replies_to_ai or named
        if not addressed and message.reply_to and not message.author.is_bot:
            addressed = await self._store.is_ai_message(conversation, message.reply_to)
            if addressed:
                message = _with_reply_flag(message)
        if not addressed or message.author.is_bot:
            reads_the_room = (
                not message.author.is_bot
                and not conversation.is_direct
                and await self.mode_of(conversation) is Mode.AUTO
            )
            if not reads_the_room:
                await self._store.add_message(message)  # batched with the others: the common case
            elif await self._store.add_message_once(message):  # a redelivery is no new candidate
                await self.auto.heard(message, adapter, addressed=False)
            return
        # Persisted before any answer is attempted; a redelivery is stored once and answered once.
        if self._already_seen(conversation, message.id) or not await self._store.add_message_once(message):
            logger.info("duplicate message %s in %s: not answered again", message.id, conversation.chat_id)
            return
        if not conversation.is_direct and await self.mode_of(conversation) is Mode.AUTO:
            if await self.auto.hold_back(message, adapter):
                return
            await self.auto.heard(message, adapter, addressed=True)
        await self._consider(message, named, adapter)

    async def _consider(self, message: Message, named: bool, adapter: Adapter) -> None:
        conversation = message.conversation
        settings = await self._store.group_settings(conversation)
        mode = settings.mode or self.config.default_mode
        count = None
        if not conversation.is_direct and mode is not Mode.OFF and self.config.size_limit > 0:
            count = await self._member_counts.count(conversation, adapter)
        facts = Facts(
            mode=mode,
            is_direct=conversation.is_direct,
            author_is_bot=message.author.is_bot,
            mentioned=message.mentions_ai,
            replied_to_ai=message.replies_to_ai,
            named=named,
            member_count=count,
            size_limit=self.config.size_limit,
            size_notice_sent=settings.size_notice_sent,
        )
        decision = decide(facts)
        logger.info("message %s in %s: %s", message.id, conversation.chat_id, decision.value)
        logger.debug("text of %s: %r", message.id, message.text)
        if decision is Decision.ANSWER:
            if settings.size_notice_sent:
                await self._store.set_size_notice(conversation, False)
            if self.config.quotas.enabled and await self._control.over_quota(message, adapter):
                return
            if not await self.passes_moderation(conversation, message.text):
                logger.info("message %s in %s held back by moderation", message.id, conversation.chat_id)
                await self._perform(adapter, SendMessage(conversation, texts.MODERATED, reply_to=message.id))
                return
            self._answering.queue(message, adapter)
            if self._control.owes_first_use(message):
                self.spawn(self._control.tell_first_use(message, adapter))
        elif decision is Decision.SIZE_NOTICE:
            await self._store.set_size_notice(conversation, True)
            notice = texts.size_notice(count or 0, self.config.size_limit)
            await self._perform(
                adapter, SendMessage(conversation, notice, reply_to=message.id, notice="size_limit")
            )

    # --- the operator's and the admins' controls: see facilitator/control.py -------------------

    async def within_budget(self, conversation: ConversationRef) -> bool:
        return await self._control.within_budget(conversation)

    async def refresh_switches(self) -> None:
        """Read the kill switch from the database (`parley run` does so before any event)."""
        await self._control.refresh_switches()

    async def strict(self, conversation: ConversationRef) -> bool:
        return await self._control.strict(conversation)

    async def passes_moderation(self, conversation: ConversationRef, text: str) -> bool:
        return await self._control.passes_moderation(conversation, text)

    async def moderated(self, conversation: ConversationRef) -> bool:
        return await self._control.moderated(conversation)

    async def show_reply(
        self, conversation: ConversationRef, reply: ModelReply, target: Message, adapter: Adapter
    ) -> Delivered | None:
        return await self._answering.show(conversation, reply, target, adapter)

    async def _on_command(self, event: CommandReceived, adapter: Adapter) -> None:
        conversation = event.conversation
        if event.author.is_bot:  # bots cannot drive the AI, not even through commands
            return
        if event.message_id and self._already_seen(conversation, event.message_id):
            return
        key = _delivery_key(event)
        if key is not None and not await self._store.first_delivery(conversation.platform, key):
            logger.info("command %s redelivered in %s: not run again", key, conversation.chat_id)
            return
        state = self._answering.state(conversation)
        async with state.lock:  # in order with the answers of this conversation
            await self._store.remember_member(conversation, event.author)
            outcome = await self._commands.run(event)
        if state.responder is None or state.responder.done():
            self._answering.release(conversation, state)
        if outcome.start_group:
            await self._start_group(StartGroup(conversation, event.author, outcome.start_group), adapter)
            return
        private_to = event.author if outcome.private else None
        text = outcome.text
        if outcome.mode is Mode.AUTO:
            try:  # auto mode must see the whole conversation: say so if the platform hides some
                caveat = await adapter.partial_view(conversation)
            except Exception:
                logger.warning("could not tell what %s hides in %s", adapter.platform, conversation.chat_id)
                caveat = None
            if caveat:
                text = f"{text}\n\n{caveat}"
        await self._perform(
            adapter, SendMessage(conversation, text, reply_to=event.message_id, private_to=private_to)
        )

    async def _start_group(self, action: StartGroup, adapter: Adapter) -> None:
        """The adapter opens the group and says where it is; the direct chat keeps its history."""
        logger.info(
            "starting a group from %s with %d invitee(s)", action.conversation.chat_id, len(action.invitees)
        )
        try:
            await adapter.perform(action)
        except Exception:
            logger.exception("starting a group failed on %s", adapter.platform)
            await self._perform(adapter, SendMessage(action.conversation, texts.GROUP_FAILED))

    async def _move(self, old: ConversationRef, new: ConversationRef) -> None:
        state = self._answering.state(old)
        async with state.lock:  # after any answer under way in the old conversation
            await self._store.move_conversation(old, new)
        self._member_counts.forget(old)
        self._answering.release(old, state)
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
        return await self._reading.read(conversation, adapter, asking, unprompted, budget_tokens)

    # --- helpers ----------------------------------------------------------------------------

    def _already_seen(self, conversation: ConversationRef, message_id: str) -> bool:
        key = (*conversation.key(), message_id)
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > self.config.seen_ids:
            self._seen.popitem(last=False)
        return False

    async def mode_of(self, conversation: ConversationRef) -> Mode:
        if conversation.is_direct:
            return Mode.MENTION
        return (await self._store.group_settings(conversation)).mode or self.config.default_mode

    async def within_size(self, conversation: ConversationRef, adapter: Adapter) -> bool:
        count = await self._member_counts.count(conversation, adapter)
        return not over_size_limit(count, self.config.size_limit)

    async def perform(self, adapter: Adapter, action: Action) -> Delivered | None:
        return await self._perform(adapter, action)

    async def _perform(self, adapter: Adapter, action: Action) -> Delivered | None:
        try:
            return await adapter.perform(action)
        except Exception:
            logger.exception("%s failed on %s", type(action).__name__, adapter.platform)
            return None

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def idle(self) -> None:
        """Wait until every answer under way has been given (for scripts, tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Let answers under way finish, for a while; then stop them (a PaaS stops us soon)."""
        self.auto.close()
        try:
            await asyncio.wait_for(self.idle(), timeout=grace_seconds)
        except TimeoutError:
            logger.warning("stopping %d unfinished task(s) at shutdown", len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _delivery_key(event: CommandReceived) -> str | None:
    """What makes a command's delivery unique on its platform: its message, else its event."""
    if event.message_id:
        where = event.conversation
        return f"message:{where.chat_id}:{where.thread_id or ''}:{event.message_id}"
    return f"event:{event.event_id}" if event.event_id else None


def _with_reply_flag(message: Message) -> Message:
    return replace(message, replies_to_ai=True)
