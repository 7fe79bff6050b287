"""Answering a conversation: its messages queued in order, a burst answered once, the reply
shown (streamed, or checked whole where moderation is on), and what was said remembered.

Each conversation answers in order; the first addressed message starts the model request at
once, and one arriving before the model has said anything restarts it with both (a burst gets
one answer, with no fixed delay), for `burst_window_seconds` after the first; later ones get an
answer of their own. The state lives only while something is pending.

Each queued message comes with its answer owed (facilitator/owing.py): the parts are recorded
as they go out, and the debt is settled once the answer or a friendly error is delivered. An
answer stopped half-way (a shutdown) stays owed, for the next process.

Where several processes share the store, a conversation is answered by the one holding it
(facilitator/owing.py): a process that finds another holding it hands its messages over, and
the holder takes them in (`adopt`) in order with its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from facilitator import texts
from facilitator.accounts import group_account
from facilitator.actions import Delivered, SendMessage, ShowTyping
from facilitator.auto.mode import AutoMode
from facilitator.chat import ConversationRef, Message
from facilitator.fair_use import FairUse
from facilitator.model_reply import ModelReply, tokens_used
from facilitator.owing import Owing
from facilitator.ports import Adapter, ModelError
from facilitator.services import Services
from facilitator.showing import Showing
from facilitator.tool_calls import ToolCalls
from facilitator.window import Window

logger = logging.getLogger(__name__)


@dataclass
class _Conversation:
    """What the core keeps in memory per conversation while it is answering."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: list[Message] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    responder: asyncio.Task[None] | None = None
    owed: dict[str, int] = field(default_factory=dict)  # message id -> its answer owed


class Answering:
    def __init__(
        self,
        services: Services,
        window: Window,
        showing: Showing,
        tool_calls: ToolCalls,
        auto: AutoMode,
        owing: Owing,
        fair_use: FairUse,
    ) -> None:
        self._services = services
        self._fair_use = fair_use
        self._owing = owing
        self._window = window
        self._showing = showing
        self._tool_calls = tool_calls
        self._auto = auto  # told when the AI spoke, for the room's cool-down
        self._conversations: dict[tuple[str, str, str], _Conversation] = {}

    def queue(self, message: Message, adapter: Adapter, owed_id: int | None = None) -> None:
        state = self._state(message.conversation)
        state.pending.append(message)
        if owed_id is not None:
            state.owed[message.id] = owed_id
        state.arrived.set()
        if state.responder is None or state.responder.done():
            state.responder = self._services.spawn(self._respond(message.conversation, state, adapter))

    def answering_in(self, conversation: ConversationRef) -> bool:
        """Whether this process is answering in the conversation now."""
        state = self._conversations.get(conversation.key())
        return state is not None and state.responder is not None and not state.responder.done()

    async def adopt(self, conversation: ConversationRef, adapter: Adapter) -> None:
        """Take in what another process handed over here, while this one answers here."""
        for each in await self._owing.take_in(conversation):
            logger.info(
                "answering %s in %s, handed over by another process", each.message.id, conversation.chat_id
            )
            self.queue(each.message, adapter, each.id)

    async def _holds(self, conversation: ConversationRef, state: _Conversation) -> bool:
        """Whether this process answers here now; if another does, what is owed goes to it."""
        if any(m.id not in state.owed for m in state.pending):  # not all of it can be handed over
            return True
        try:
            if await self._owing.hold(conversation):
                return True
        except Exception:  # the database is busy: answering beats waiting for order
            logger.warning("could not tell who answers in %s; answering here", conversation.chat_id)
            return True
        if any(m.id not in state.owed for m in state.pending):  # came while we asked
            return True
        owed = tuple(state.owed[m.id] for m in state.pending)
        state.pending.clear()
        state.owed = {}
        await self._owing.hand_over(conversation, owed)
        return False

    async def _respond(self, conversation: ConversationRef, state: _Conversation, adapter: Adapter) -> None:
        async with state.lock:
            while state.pending:  # more may come while handing over or letting go: again, then
                if not await self._holds(conversation, state):
                    continue
                await self._answer_all(conversation, state, adapter)
                try:
                    await self._owing.let_go(conversation)
                except Exception:  # the lease runs out by itself
                    logger.warning("could not let go of %s", conversation.chat_id)
        self._release(conversation, state)

    async def _answer_all(
        self, conversation: ConversationRef, state: _Conversation, adapter: Adapter
    ) -> None:
        while state.pending:
            try:
                await self._answer_pending(conversation, state, adapter)
            except Exception:  # the store or the adapter broke: say so, keep the bot alive
                logger.exception("answering in %s failed", conversation.chat_id)
                target = state.pending[-1].id if state.pending else None
                state.pending.clear()
                await self._say_failed(adapter, conversation, "unavailable", target)
                owed, state.owed = tuple(state.owed.values()), {}
                await self._settle(owed)

    async def _answer_pending(
        self, conversation: ConversationRef, state: _Conversation, adapter: Adapter
    ) -> None:
        self._services.spawn(self._services.perform(adapter, ShowTyping(conversation)))
        burst_started = time.monotonic()
        while True:
            state.arrived.clear()
            taken = len(state.pending)  # the messages this attempt's context can see
            target = state.pending[-1]
            turns = await self._window.turns(conversation, adapter, asking=target)
            tier = self._services.config.quotas.tier_for(target.author, conversation)
            reply = ModelReply(
                self._services.model, turns, self._services.slots, self._tool_calls.offered, tier.model
            )
            starting = asyncio.ensure_future(reply.start())
            arrival = asyncio.ensure_future(state.arrived.wait())
            try:
                await asyncio.wait({starting, arrival}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # shutting down: the request must not outlive us
                starting.cancel()
                arrival.cancel()
                raise
            in_window = time.monotonic() - burst_started < self._services.config.burst_window_seconds
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
        owed = tuple(state.owed[m.id] for m in answered if m.id in state.owed)
        counted = (
            await self._fair_use.reserve(target, adapter) if self._services.config.quotas.enabled else ()
        )
        if counted is None:  # the day's answers ran out meanwhile (another process gave the last)
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await self._settle(owed, state)
            return
        given = False
        try:
            given = await self._give(conversation, state, adapter, reply, starting, answered, owed, counted)
        finally:
            if not given and counted:
                await self._fair_use.refund(target, counted)

    async def _give(
        self,
        conversation: ConversationRef,
        state: _Conversation,
        adapter: Adapter,
        reply: ModelReply,
        starting: asyncio.Future[None],
        answered: list[Message],
        owed: tuple[int, ...],
        counted: tuple[str, ...],
    ) -> bool:
        """The reply shown and remembered (True), or a friendly error said instead."""
        target = answered[-1]
        try:
            await starting
        except ModelError as exc:
            logger.warning("model failed for %s in %s: %s", target.id, conversation.chat_id, exc)
            await self._say_failed(adapter, conversation, exc.kind, target.id)
            await self._settle(owed, state)
            return False
        except Exception:
            logger.exception("model call crashed for %s", target.id)
            await self._say_failed(adapter, conversation, "unavailable", target.id)
            await self._settle(owed, state)
            return False

        async def posted(part_id: str) -> None:
            for owed_id in owed:
                await self._owing.posted(owed_id, part_id)

        on_part = posted if owed else None
        delivered = (
            await self._showing.show(conversation, reply, target, adapter, on_part) if reply.first else None
        )
        made = await self._tool_calls.carry_out(conversation, target, reply.stats.tool_calls, adapter)
        if not reply.first and not made:
            await self._say_failed(adapter, conversation, "rejected", target.id)
            await self._settle(owed, state)
            return False
        await self._remember_reply(conversation, target, answered, delivered, reply, made, counted)
        await self._settle(owed, state)
        return True

    async def _remember_reply(
        self,
        conversation: ConversationRef,
        target: Message,
        answered: list[Message],
        delivered: Delivered | None,
        reply: ModelReply,
        made: list[Delivered | None],
        counted: tuple[str, ...] = (),
    ) -> None:
        posted = [part for each in (delivered, *made) if each is not None for part in each.parts]
        for message_id, text in posted:
            await self._services.messages.add_ai_message(conversation, message_id, text, target.id)
        self._auto.ai_spoke(conversation)
        prompt, completion = tokens_used(
            self._services.tokens, reply.stats, reply.turns, delivered.text if delivered else ""
        )
        images = sum(1 for each in made if each is not None)
        accounts: tuple[str, ...] = (target.author.user_id,)
        if not conversation.is_direct:  # the group's totals, for its budget and the usage export
            accounts += (group_account(conversation),)
        ledger = self._services.ledger
        if counted:  # its answer was counted as it began (fair_use.reserve): its tokens now
            await ledger.record_usage(conversation.platform, counted, prompt, completion, images, replies=0)
            accounts = tuple(account for account in accounts if account not in counted)
        if accounts:
            await ledger.record_usage(conversation.platform, accounts, prompt, completion, images)
        logger.info(
            "answered %d message(s) in %s with %d part(s), %d tool call(s)",
            len(answered),
            conversation.chat_id,
            len(posted),
            len(made),
        )

    @asynccontextmanager
    async def in_turn(self, conversation: ConversationRef) -> AsyncIterator[None]:
        """Something else done in order with this conversation's answers (a command, a move)."""
        state = self._state(conversation)
        try:
            async with state.lock:
                yield
        finally:
            if state.responder is None or state.responder.done():
                self._release(conversation, state)

    def _release(self, conversation: ConversationRef, state: _Conversation) -> None:
        """Memory only for active conversations: drop the state once nothing waits on it."""
        if self._conversations.get(conversation.key()) is state and not state.pending:
            del self._conversations[conversation.key()]

    async def _settle(self, owed: tuple[int, ...], state: _Conversation | None = None) -> None:
        """Nothing is owed any more for these: the answer (or why there is none) was delivered."""
        if state is not None:
            state.owed = {key: value for key, value in state.owed.items() if value not in owed}
        await self._owing.settle(owed)

    async def _say_failed(
        self, adapter: Adapter, conversation: ConversationRef, kind: str, reply_to: str | None
    ) -> None:
        await self._services.perform(
            adapter, SendMessage(conversation, texts.model_failed(kind), reply_to=reply_to)
        )

    def _state(self, conversation: ConversationRef) -> _Conversation:
        key = conversation.key()
        state = self._conversations.get(key)
        if state is None:
            state = self._conversations[key] = _Conversation()
        return state
