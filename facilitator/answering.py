"""Answering a conversation: its messages queued in order, a burst answered once, the reply
shown (streamed, or checked whole where moderation is on), and what was said remembered.

Each conversation answers in order; the first addressed message starts the model request at
once, and one arriving before the model has said anything restarts it with both (a burst gets
one answer, with no fixed delay). The state lives only while something is pending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from facilitator import texts
from facilitator.auto import group_account
from facilitator.model import ConversationRef, Delivered, Message, SendMessage, ShowTyping, StreamMessage
from facilitator.ports import Adapter, ModelClient, ModelError, Store
from facilitator.replying import ModelReply, tokens_used
from facilitator.tool_use import ToolUse

if TYPE_CHECKING:
    from facilitator.core import Facilitator

logger = logging.getLogger(__name__)


@dataclass
class _Conversation:
    """What the core keeps in memory per conversation while it is answering."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: list[Message] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    responder: asyncio.Task[None] | None = None


class Answering:
    def __init__(
        self, core: Facilitator, store: Store, model: ModelClient, slots: asyncio.Semaphore, tool_use: ToolUse
    ) -> None:
        self._core = core
        self._store = store
        self._model = model
        self._slots = slots
        self._tool_use = tool_use
        self._conversations: dict[tuple[str, str, str], _Conversation] = {}

    def queue(self, message: Message, adapter: Adapter) -> None:
        state = self.state(message.conversation)
        state.pending.append(message)
        state.arrived.set()
        if state.responder is None or state.responder.done():
            state.responder = self._core.spawn(self._respond(message.conversation, state, adapter))

    async def _respond(self, conversation: ConversationRef, state: _Conversation, adapter: Adapter) -> None:
        async with state.lock:
            while state.pending:
                try:
                    await self._answer_pending(conversation, state, adapter)
                except Exception:  # the store or the adapter broke: say so, keep the bot alive
                    logger.exception("answering in %s failed", conversation.chat_id)
                    target = state.pending[-1].id if state.pending else None
                    state.pending.clear()
                    await self._say_failed(adapter, conversation, "unavailable", target)
        self.release(conversation, state)

    async def _answer_pending(
        self, conversation: ConversationRef, state: _Conversation, adapter: Adapter
    ) -> None:
        self._core.spawn(self._core.perform(adapter, ShowTyping(conversation)))
        burst_started = time.monotonic()
        while True:
            state.arrived.clear()
            taken = len(state.pending)  # the messages this attempt's context can see
            target = state.pending[-1]
            turns = await self._core.context(conversation, adapter, asking=target)
            tier = self._core.config.quotas.tier_for(target.author, conversation)
            reply = ModelReply(self._model, turns, self._slots, self._tool_use.offered, tier.model)
            starting = asyncio.ensure_future(reply.start())
            arrival = asyncio.ensure_future(state.arrived.wait())
            try:
                await asyncio.wait({starting, arrival}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # shutting down: the request must not outlive us
                starting.cancel()
                arrival.cancel()
                raise
            in_window = time.monotonic() - burst_started < self._core.config.burst_window_seconds
            if not starting.done() and in_window:
                starting.cancel()  # more of the burst arrived before the model spoke: start over
                await asyncio.gather(starting, return_exceptions=True)
                logger.info(
                    "burst in %s: restarting with %d messages", conversation.chat_id, len(state.pending)
                )
                continue
            arrival.cancel()
            break
        answered = state.pending[:taken]
        del state.pending[:taken]  # what came later gets an answer of its own
        try:
            await starting
        except ModelError as exc:
            logger.warning("model failed for %s in %s: %s", target.id, conversation.chat_id, exc)
            await self._say_failed(adapter, conversation, exc.kind, target.id)
            return
        except Exception:
            logger.exception("model call crashed for %s", target.id)
            await self._say_failed(adapter, conversation, "unavailable", target.id)
            return
        delivered = await self.show(conversation, reply, target, adapter) if reply.first else None
        made = await self._tool_use.carry_out(conversation, target, reply.stats.tool_calls, adapter)
        if not reply.first and not made:
            await self._say_failed(adapter, conversation, "rejected", target.id)
            return
        await self._remember_reply(conversation, target, answered, delivered, reply, made)

    async def show(
        self, conversation: ConversationRef, reply: ModelReply, target: Message, adapter: Adapter
    ) -> Delivered | None:
        """A started reply, as an answer to `target`: streamed, or, where moderation is on,
        checked whole before anyone sees it."""
        if not await self._core.moderated(conversation):
            try:
                return await self._core.perform(
                    adapter,
                    StreamMessage(conversation, reply.chunks(), reply_to=target.id, answering=target.author),
                )
            finally:
                await reply.close()  # the adapter may have stopped reading early, or we were stopped
        try:
            text = "".join([chunk async for chunk in reply.chunks()])
        finally:
            await reply.close()
        if not await self._core.passes_moderation(conversation, text):
            logger.info("answer to %s in %s held back by moderation", target.id, conversation.chat_id)
            text = texts.MODERATED
        return await self._core.perform(adapter, SendMessage(conversation, text, reply_to=target.id))

    async def _remember_reply(
        self,
        conversation: ConversationRef,
        target: Message,
        answered: list[Message],
        delivered: Delivered | None,
        reply: ModelReply,
        made: list[Delivered | None],
    ) -> None:
        posted = [part for each in (delivered, *made) if each is not None for part in each.parts]
        for message_id, text in posted:
            await self._store.add_ai_message(conversation, message_id, text, target.id)
        self._core.auto.ai_spoke(conversation)
        prompt, completion = tokens_used(
            self._core.counter, reply.stats, reply.turns, delivered.text if delivered else ""
        )
        images = sum(1 for each in made if each is not None)
        accounts: tuple[str, ...] = (target.author.user_id,)
        if not conversation.is_direct:  # the group's totals, for its budget and the usage export
            accounts += (group_account(conversation),)
        await self._store.record_usage(conversation.platform, accounts, prompt, completion, images)
        logger.info(
            "answered %d message(s) in %s with %d part(s), %d tool call(s)",
            len(answered),
            conversation.chat_id,
            len(posted),
            len(made),
        )

    def release(self, conversation: ConversationRef, state: _Conversation) -> None:
        """Memory only for active conversations: drop the state once nothing waits on it."""
        if self._conversations.get(conversation.key()) is state and not state.pending:
            del self._conversations[conversation.key()]

    async def _say_failed(
        self, adapter: Adapter, conversation: ConversationRef, kind: str, reply_to: str | None
    ) -> None:
        await self._core.perform(
            adapter, SendMessage(conversation, texts.model_failed(kind), reply_to=reply_to)
        )

    def state(self, conversation: ConversationRef) -> _Conversation:
        key = conversation.key()
        state = self._conversations.get(key)
        if state is None:
            state = self._conversations[key] = _Conversation()
        return state
