"""The facilitator: every platform's events in, the AI's actions out through the same adapter.

Every message is persisted, addressed or not. A message addressed to the AI starts a model
request at once; if more addressed messages arrive before the model has said anything, the
request is restarted with all of them, so a burst gets one answer without a fixed delay.
Each conversation answers in order; a semaphore caps model calls across all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from facilitator import texts, tools
from facilitator.addressing import addresses_by_name
from facilitator.auto import AutoMode
from facilitator.command_handler import CommandHandler
from facilitator.context import ContextSpec, build_context
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
    Profile,
    ProfileChanged,
    React,
    ReactionAdded,
    SendImage,
    SendMessage,
    ShowTyping,
    StreamMessage,
)
from facilitator.policy import Decision, Facts, decide, over_size_limit
from facilitator.ports import Adapter, ChatImage, ChatTurn, ModelClient, ModelError, Store, Tool, ToolCall
from facilitator.replying import ModelReply
from facilitator.room import AutoLimits
from facilitator.seeing import Seeing, asks_about_photos
from facilitator.tokens import TURN_OVERHEAD, EstimatingCounter, TokenCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FacilitatorConfig:
    ai_name: str = "Parley"
    aliases: tuple[str, ...] = ()
    default_mode: Mode = Mode.MENTION
    size_limit: int = 20
    context_tokens: int = 6000
    history_window: int = 200
    members_in_context: int = 50
    max_concurrent_calls: int = 1000
    burst_window_seconds: float = 3.0
    member_count_ttl_seconds: float = 300.0
    operator_prompt: str = ""
    seen_ids: int = 10_000
    # The model may react with an emoji instead of replying (a tool it is offered).
    reactions: bool = True
    # Images in the context window go to the model as image inputs (a vision model).
    vision: bool = False
    # The model may create an image (a tool; the model client needs an image model).
    image_generation: bool = False
    max_image_bytes: int = 10_000_000  # the largest download accepted before downscaling
    auto: AutoLimits = field(default_factory=AutoLimits)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.ai_name, *self.aliases)


@dataclass
class _Conversation:
    """What the core keeps in memory per conversation while it is answering."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: list[Message] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    responder: asyncio.Task[None] | None = None


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
        self.counter = counter or EstimatingCounter()
        self._slots = asyncio.Semaphore(config.max_concurrent_calls)
        self._conversations: dict[tuple[str, str, str], _Conversation] = {}
        self._member_counts: OrderedDict[tuple[str, str, str], tuple[float, int | None]] = OrderedDict()
        self._seen: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        self._commands = CommandHandler(store, config.ai_name, config.default_mode)
        self._seeing = Seeing(config.max_image_bytes)
        self._tools: tuple[Tool, ...] = (
            *((tools.REACT,) if config.reactions else ()),
            *((tools.CREATE_IMAGE,) if config.image_generation else ()),
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.auto = AutoMode(self, store, model, self._slots, config.auto, config.names, clock)

    # --- events in --------------------------------------------------------------------------

    async def handle(self, event: Event, adapter: Adapter) -> None:
        """Take one event; returns once it is stored (answers follow in the background)."""
        try:
            await self._dispatch(event, adapter)
        except Exception:
            logger.exception("failed to handle %s", type(event).__name__)

    async def _dispatch(self, event: Event, adapter: Adapter) -> None:
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
            self._member_counts.pop(event.conversation.key(), None)
            await self._store.remember_member(event.conversation, event.member)
        elif isinstance(event, MemberLeft):
            self._member_counts.pop(event.conversation.key(), None)
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
            if message.author.is_bot or conversation.is_direct:
                await self._store.add_message(message)
            elif (
                await self._store.add_message_once(message) and await self.mode_of(conversation) is Mode.AUTO
            ):
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
            count = await self._member_count(conversation, adapter)
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
            self._queue_answer(message, adapter)
        elif decision is Decision.SIZE_NOTICE:
            await self._store.set_size_notice(conversation, True)
            notice = texts.size_notice(count or 0, self.config.size_limit)
            await self._perform(
                adapter, SendMessage(conversation, notice, reply_to=message.id, notice="size_limit")
            )

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
        state = self._state(conversation)
        async with state.lock:  # in order with the answers of this conversation
            await self._store.remember_member(conversation, event.author)
            outcome = await self._commands.run(event)
        if state.responder is None or state.responder.done():
            self._release(conversation, state)
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

    async def _move(self, old: ConversationRef, new: ConversationRef) -> None:
        state = self._state(old)
        async with state.lock:  # after any answer under way in the old conversation
            await self._store.move_conversation(old, new)
        self._member_counts.pop(old.key(), None)
        self._release(old, state)
        logger.info("conversation %s moved to %s", old.chat_id, new.chat_id)

    # --- answering --------------------------------------------------------------------------

    def _queue_answer(self, message: Message, adapter: Adapter) -> None:
        state = self._state(message.conversation)
        state.pending.append(message)
        state.arrived.set()
        if state.responder is None or state.responder.done():
            state.responder = self.spawn(self._respond(message.conversation, state, adapter))

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
        self._release(conversation, state)

    async def _answer_pending(
        self, conversation: ConversationRef, state: _Conversation, adapter: Adapter
    ) -> None:
        self.spawn(self._perform(adapter, ShowTyping(conversation)))
        burst_started = time.monotonic()
        while True:
            state.arrived.clear()
            taken = len(state.pending)  # the messages this attempt's context can see
            target = state.pending[-1]
            turns = await self.context(conversation, adapter, asking=target)
            reply = ModelReply(self._model, turns, self._slots, self._tools)
            starting = asyncio.ensure_future(reply.start())
            arrival = asyncio.ensure_future(state.arrived.wait())
            try:
                await asyncio.wait({starting, arrival}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # shutting down: the request must not outlive us
                starting.cancel()
                arrival.cancel()
                raise
            in_window = time.monotonic() - burst_started < self.config.burst_window_seconds
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
        delivered = None
        if reply.first:
            try:
                delivered = await self._perform(
                    adapter,
                    StreamMessage(conversation, reply.chunks(), reply_to=target.id, answering=target.author),
                )
            finally:
                await reply.close()  # the adapter may have stopped reading early, or we were stopped
        made = await self._use_tools(conversation, target, reply.stats.tool_calls, adapter)
        if not reply.first and not made:
            await self._say_failed(adapter, conversation, "rejected", target.id)
            return
        await self._remember_reply(conversation, target, answered, delivered, reply, made)

    async def _use_tools(
        self, conversation: ConversationRef, target: Message, calls: list[ToolCall], adapter: Adapter
    ) -> list[Delivered | None]:
        """Carry out what the model asked for through its tools; returns what was done."""
        done: list[Delivered | None] = []
        for call in calls[:3]:  # a model looping over tools gets three
            emoji = tools.reaction(call) if self.config.reactions else None
            if emoji is not None:
                logger.info("reacting to %s in %s", target.id, conversation.chat_id)
                await self._perform(adapter, React(conversation, target.id, emoji))
                done.append(None)
                continue
            prompt = tools.image_prompt(call) if self.config.image_generation else None
            if prompt is not None:
                done.append(await self._create_image(conversation, target, prompt, adapter))
                continue
            logger.info("ignored a %r tool call in %s", call.name[:40], conversation.chat_id)
        return done

    async def _create_image(
        self, conversation: ConversationRef, target: Message, prompt: str, adapter: Adapter
    ) -> Delivered | None:
        logger.info("creating an image for %s in %s", target.id, conversation.chat_id)
        logger.debug("image prompt: %r", prompt)
        try:
            async with self._slots:
                data = await self._model.generate_image(prompt)
        except ModelError as exc:
            logger.warning("image generation failed in %s: %s", conversation.chat_id, exc)
            await self._perform(adapter, SendMessage(conversation, texts.IMAGE_FAILED, reply_to=target.id))
            return None
        mime = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
        image = SendImage(
            conversation,
            data,
            name="parley.jpg" if mime == "image/jpeg" else "parley.png",
            mime_type=mime,
            caption=texts.image_caption(prompt),
            reply_to=target.id,
        )
        return await self._perform(adapter, image)

    async def context(
        self,
        conversation: ConversationRef,
        adapter: Adapter | None = None,
        asking: Message | None = None,
        unprompted: str = "",
    ) -> list[ChatTurn]:
        """What the model would read now in this conversation (its recent window, never more).

        With a vision model and the adapter to fetch them, the window's images are shown, and
        members' photos when `asking` asks about them."""
        settings = await self._store.group_settings(conversation)
        history_read = self._store.history(conversation, self.config.history_window)
        members: list[Profile]
        if conversation.is_direct:
            history, members = await history_read, []
        else:  # both reads queued at once: the database thread runs them back to back
            history, members = await asyncio.gather(
                history_read, self._store.members(conversation, self.config.members_in_context)
            )
        spec = ContextSpec(
            ai_name=self.config.ai_name,
            platform=conversation.platform,
            is_direct=conversation.is_direct,
            group_instructions=settings.instructions,
            budget_tokens=self.config.context_tokens,
            operator_prompt=self.config.operator_prompt,
            unprompted=unprompted,
        )
        images: dict[str, tuple[ChatImage, ...]] = {}
        photos: tuple[ChatImage, ...] = ()
        if self.config.vision and adapter is not None:
            wants_photos = (
                asking is not None and not conversation.is_direct and asks_about_photos(asking.text)
            )
            images, photos = await asyncio.gather(
                self._seeing.in_history(adapter, history),
                self._seeing.photos(adapter, members) if wants_photos else _nothing(),
            )
        return build_context(spec, members, history, self.counter, images, photos)

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
        await self.auto.ai_spoke(conversation)
        # Servers that report no usage (llama.cpp's, some proxies) are counted by our own estimate.
        prompt = reply.stats.prompt_tokens or sum(
            self.counter.count(turn.content) + TURN_OVERHEAD for turn in reply.turns
        )
        completion = reply.stats.completion_tokens or self.counter.count(delivered.text if delivered else "")
        images = sum(1 for each in made if each is not None)
        await self._store.record_usage(
            target.author.platform, target.author.user_id, prompt, completion, images
        )
        logger.info(
            "answered %d message(s) in %s with %d part(s), %d tool call(s)",
            len(answered),
            conversation.chat_id,
            len(posted),
            len(made),
        )

    # --- helpers ----------------------------------------------------------------------------

    async def _member_count(self, conversation: ConversationRef, adapter: Adapter) -> int | None:
        key = conversation.key()
        cached = self._member_counts.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.config.member_count_ttl_seconds:
            return cached[1]
        try:
            count = await adapter.count_members(conversation)
        except Exception:
            logger.warning("could not count members of %s", conversation.chat_id, exc_info=True)
            count = cached[1] if cached else None
        self._member_counts[key] = (now, count)
        self._member_counts.move_to_end(key)
        if len(self._member_counts) > self.config.seen_ids:  # only recently active groups
            self._member_counts.popitem(last=False)
        return count

    def _already_seen(self, conversation: ConversationRef, message_id: str) -> bool:
        key = (*conversation.key(), message_id)
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > self.config.seen_ids:
            self._seen.popitem(last=False)
        return False

    def _release(self, conversation: ConversationRef, state: _Conversation) -> None:
        """Memory only for active conversations: drop the state once nothing waits on it."""
        if self._conversations.get(conversation.key()) is state and not state.pending:
            del self._conversations[conversation.key()]

    async def _say_failed(
        self, adapter: Adapter, conversation: ConversationRef, kind: str, reply_to: str | None
    ) -> None:
        await self._perform(adapter, SendMessage(conversation, texts.model_failed(kind), reply_to=reply_to))

    def _state(self, conversation: ConversationRef) -> _Conversation:
        key = conversation.key()
        state = self._conversations.get(key)
        if state is None:
            state = self._conversations[key] = _Conversation()
        return state

    async def mode_of(self, conversation: ConversationRef) -> Mode:
        if conversation.is_direct:
            return Mode.MENTION
        return (await self._store.group_settings(conversation)).mode or self.config.default_mode

    async def within_size(self, conversation: ConversationRef, adapter: Adapter) -> bool:
        count = await self._member_count(conversation, adapter)
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


async def _nothing() -> tuple[ChatImage, ...]:
    return ()


def _delivery_key(event: CommandReceived) -> str | None:
    """What makes a command's delivery unique on its platform: its message, else its event."""
    if event.message_id:
        where = event.conversation
        return f"message:{where.chat_id}:{where.thread_id or ''}:{event.message_id}"
    return f"event:{event.event_id}" if event.event_id else None


def _with_reply_flag(message: Message) -> Message:
    return replace(message, replies_to_ai=True)
