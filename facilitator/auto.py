"""`auto` mode at work: the gate and the room's caps in, a decision call, and what it chose out.

For each ordinary message of a group in `auto` mode the local gate says whether it might want
the AI; a candidate waits in its conversation's `Room` (a question, to see whether someone else
answers it) and, when it is due and the caps allow, the model is asked once, with the `decide`
tool, whether to reply, react or stay silent. Decision calls are charged to the group.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from facilitator import gate, texts, tools
from facilitator.context import human_line
from facilitator.gate import Heard, Kind
from facilitator.model import ConversationRef, Delivered, Message, Mode, React, SendMessage
from facilitator.ports import Adapter, ChatTurn, HistoryItem, ModelClient, ModelError, Store, StreamStats
from facilitator.replying import ModelReply, tokens_used
from facilitator.room import DAY, AutoLimits, Candidate, Room
from facilitator.tokens import TokenCounter

logger = logging.getLogger(__name__)

RECENT = 20  # messages the gate looks back over
ROOMS = 10_000  # auto-mode conversations kept in memory, most recently active

WHY = {
    Kind.OPEN_QUESTION: "a question to the group that nobody has answered",
    Kind.OPTIONS: "a request for options or a decision",
    Kind.DISPUTE: "a disagreement about a fact",
    Kind.SUMMARY: "a call for a summary",
    Kind.FOLLOW_UP: "a question right after you spoke",
}


class Host(Protocol):
    """What auto mode needs of the core."""

    counter: TokenCounter

    async def context(
        self,
        conversation: ConversationRef,
        adapter: Adapter | None = None,
        asking: Message | None = None,
        unprompted: str = "",
        budget_tokens: int | None = None,
    ) -> list[ChatTurn]: ...

    async def perform(self, adapter: Adapter, action: Any) -> Delivered | None: ...

    async def mode_of(self, conversation: ConversationRef) -> Mode: ...

    async def within_size(self, conversation: ConversationRef, adapter: Adapter) -> bool: ...

    async def within_budget(self, conversation: ConversationRef) -> bool: ...

    async def passes_moderation(self, conversation: ConversationRef, text: str) -> bool: ...

    async def show_reply(
        self, conversation: ConversationRef, reply: ModelReply, target: Message, adapter: Adapter
    ) -> Delivered | None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[None]: ...


class AutoMode:
    def __init__(
        self,
        host: Host,
        store: Store,
        model: ModelClient,
        slots: asyncio.Semaphore,
        limits: AutoLimits,
        ai_names: Sequence[str],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._host = host
        self._store = store
        self._model = model
        self._slots = slots
        self.limits = limits
        self._ai_names = tuple(ai_names)
        # A replay (the cost benchmark) brings its own clock and says when time has passed
        # (`run_due`); the running bot follows the wall clock with the event loop's timers.
        self._timers_on = clock is None
        self._clock = clock or time.time
        self._rooms: OrderedDict[tuple[str, str, str], Room] = OrderedDict()
        self._candidates: dict[tuple[str, str, str], dict[str, Message]] = {}  # of room.waiting
        self._timers: dict[tuple[str, str, str], asyncio.TimerHandle] = {}
        self._where: dict[tuple[str, str, str], tuple[ConversationRef, Adapter]] = {}  # per room

    # --- what is said -----------------------------------------------------------------------

    async def heard(self, message: Message, adapter: Adapter, addressed: bool) -> None:
        """A member's message in an `auto` group (already stored): is it a candidate?"""
        conversation = message.conversation
        room = await self._room(conversation)
        self._where[conversation.key()] = (conversation, adapter)
        recent = await self._store.history(conversation, RECENT)
        before = [_heard(item) for item in recent if item.message_id != message.id]
        this = Heard(
            message.author.user_id,
            message.author.display_name,
            message.text,
            message.sent_at.timestamp(),
            replies_to_member=bool(message.reply_to) and not message.replies_to_ai,
        )
        kind = None
        if not addressed:
            kind = gate.candidate(this, before, _names(recent, message), self._ai_names)
        # The gate compares platform times with platform times; the room waits on our clock, so
        # a platform's clock (or a late redelivery) cannot make a question due before it is read.
        room.heard(replace(this, at=self._clock()), message.id, kind)
        if kind is not None:
            logger.info("candidate %s in %s: %s", message.id, conversation.chat_id, kind.value)
            self._candidates.setdefault(conversation.key(), {})[message.id] = message
        self._keep_waiting(conversation.key(), room)
        self._schedule(conversation, room, adapter)

    def _keep_waiting(self, key: tuple[str, str, str], room: Room) -> None:
        """The messages kept are those of the room's waiting candidates, no others."""
        waiting = self._candidates.get(key, {})
        for stale in waiting.keys() - {candidate.message_id for candidate in room.waiting}:
            del waiting[stale]

    def ai_spoke(self, conversation: ConversationRef) -> None:
        room = self._rooms.get(conversation.key())
        if room is not None:
            room.heard(Heard("", "", "", self._clock(), from_ai=True), "", None)

    async def hold_back(self, message: Message, adapter: Adapter) -> bool:
        """ "Parley, stop chiming in" in an `auto` group: back to `mention`, said once."""
        if not gate.asks_to_hold_back(message.text):
            return False
        conversation = message.conversation
        await self._store.set_mode(conversation, Mode.MENTION)
        room = self._rooms.get(conversation.key())
        if room is not None:
            room.clear()
        logger.info("asked to hold back in %s by %s", conversation.chat_id, message.author.user_id)
        await self._host.perform(adapter, SendMessage(conversation, texts.HELD_BACK, reply_to=message.id))
        return True

    # --- when a candidate is due --------------------------------------------------------------

    def _schedule(self, conversation: ConversationRef, room: Room, adapter: Adapter) -> None:
        key = conversation.key()
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        due = room.next_due()
        if due is None or not self._timers_on:
            return
        delay = max(0.0, due - self._clock())
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(
            delay, lambda: self._host.spawn(self.decide_due(conversation, adapter))
        )

    async def decide_due(self, conversation: ConversationRef, adapter: Adapter) -> None:
        key = conversation.key()
        self._timers.pop(key, None)
        room = self._rooms.get(key)
        if room is None:
            return
        room.refused = None
        moment = room.due(self._clock())
        waiting = self._candidates.get(key, {})
        found = [(c, waiting.pop(c.message_id)) for c in moment if c.message_id in waiting]
        self._keep_waiting(key, room)
        if not found:
            if room.refused is not None:
                logger.info("candidate in %s not taken up: %s", conversation.chat_id, room.refused)
            self._schedule(conversation, room, adapter)  # postponed while the room is busy
            return
        if await self._host.mode_of(conversation) is not Mode.AUTO:
            return
        if not await self._host.within_size(conversation, adapter):
            return
        if not await self._host.within_budget(conversation):
            logger.info("candidate in %s not taken up: the group's budget is spent", conversation.chat_id)
            return
        await self._decide(conversation, room, found, adapter)
        self._schedule(conversation, room, adapter)  # a later candidate may still be waiting

    async def _decide(
        self,
        conversation: ConversationRef,
        room: Room,
        found: list[tuple[Candidate, Message]],
        adapter: Adapter,
    ) -> None:
        now = self._clock()
        room.decided(now)
        await self._store.note_room_event(conversation, "decision", now)
        message = found[0][1]  # a reply answers the moment's first message
        moment = "You may join in unprompted: the conversation holds\n" + "\n".join(
            f"- {WHY[candidate.kind]}: "
            + human_line(HistoryItem(0, m.id, m.author.display_name, None, m.text, False))
            for candidate, m in found
        )
        note = (
            f"{moment}\nFirst decide, with the decide tool, whether joining in clearly helps "
            "the group; if you reply, put your reply in `message`"
        )
        # Deciding needs the moment, not the whole evening: a smaller window, a cheaper call.
        turns = await self._host.context(
            conversation, adapter, unprompted=note, budget_tokens=self.limits.decision_context_tokens
        )
        stats = StreamStats()
        try:
            async with self._slots:
                text = "".join([c async for c in self._model.stream(turns, stats, (tools.DECIDE,), "decide")])
        except ModelError as exc:
            logger.warning("decision call failed in %s: %s", conversation.chat_id, exc.kind)
            return
        choice = tools.decision(stats.tool_calls, text)
        logger.info(
            "decided %s on %s in %s: %s",
            choice.action.value,
            message.id,
            conversation.chat_id,
            choice.reason,
        )
        # The decision's tokens; an answer it wrote counts as one answer of the group's.
        answered = choice.action is tools.Action.REPLY and bool(choice.message)
        await self._charge(conversation, turns, stats, text, replies=int(answered))
        if choice.action is tools.Action.SILENT:
            return
        room.intervened(now)
        await self._store.note_room_event(conversation, "intervention", now)
        if choice.action is tools.Action.REACT:
            await self._host.perform(adapter, React(conversation, message.id, choice.emoji))
        elif choice.message:
            if not await self._host.passes_moderation(conversation, choice.message):
                logger.info("an unprompted reply in %s held back by moderation", conversation.chat_id)
                return
            sent = await self._host.perform(
                adapter, SendMessage(conversation, choice.message, reply_to=message.id)
            )
            await self._remember(conversation, message, sent)
        else:
            await self._reply(conversation, message, f"{moment}\nYou decided to reply", adapter)

    async def _reply(
        self, conversation: ConversationRef, message: Message, note: str, adapter: Adapter
    ) -> None:
        """The model chose to reply but wrote nothing yet: one more call, shown as any answer
        is (streamed, or checked whole where moderation is on)."""
        turns = await self._host.context(conversation, adapter, unprompted=note)
        reply = ModelReply(self._model, turns, self._slots)
        try:
            await reply.start()
        except ModelError as exc:
            logger.warning("unprompted reply failed in %s: %s", conversation.chat_id, exc.kind)
            return
        sent = await self._host.show_reply(conversation, reply, message, adapter)
        await self._remember(conversation, message, sent)
        await self._charge(conversation, turns, reply.stats, sent.text if sent else "", replies=1)

    async def _remember(
        self, conversation: ConversationRef, message: Message, sent: Delivered | None
    ) -> None:
        for message_id, text in sent.parts if sent else ():
            await self._store.add_ai_message(conversation, message_id, text, message.id)

    async def _charge(
        self,
        conversation: ConversationRef,
        turns: list[ChatTurn],
        stats: StreamStats,
        text: str,
        replies: int,
    ) -> None:
        """Unprompted turns are the group's own cost, not any member's: they count in its
        unprompted account and in its totals."""
        prompt, completion = tokens_used(self._host.counter, stats, turns, text)
        accounts = (auto_account(conversation), group_account(conversation))
        await self._store.record_usage(conversation.platform, accounts, prompt, completion, replies=replies)

    # --- rooms ----------------------------------------------------------------------------------

    async def _room(self, conversation: ConversationRef) -> Room:
        key = conversation.key()
        room = self._rooms.get(key)
        if room is None:
            room = Room(self.limits)
            for kind, at in await self._store.room_events(conversation, self._clock() - DAY):
                (room.decisions if kind == "decision" else room.interventions).append(at)
            room = self._rooms.setdefault(key, room)
        self._rooms.move_to_end(key)
        if len(self._rooms) > ROOMS:
            old, _ = self._rooms.popitem(last=False)
            self._candidates.pop(old, None)
            self._where.pop(old, None)
            timer = self._timers.pop(old, None)
            if timer is not None:
                timer.cancel()
        return room

    def next_due(self) -> float | None:
        """When the earliest waiting candidate is due (for a replay that keeps its own time)."""
        dues = [due for room in self._rooms.values() if (due := room.next_due()) is not None]
        return min(dues, default=None)

    async def run_due(self) -> None:
        """Decide every candidate due by the clock now (a replay calls this; timers do live)."""
        now = self._clock()
        for key, room in list(self._rooms.items()):
            due = room.next_due()
            if due is not None and due <= now and key in self._where:
                await self.decide_due(*self._where[key])

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


def group_account(conversation: ConversationRef) -> str:
    """The usage account of a group's totals: every answer there, prompted or not."""
    return f"group:{conversation.chat_id}"


def auto_account(conversation: ConversationRef) -> str:
    """The usage account of a group's own spending: its unprompted turns (auto mode)."""
    return f"auto:{conversation.chat_id}"


def _heard(item: HistoryItem) -> Heard:
    try:
        at = datetime.fromisoformat(item.sent_at).timestamp() if item.sent_at else 0.0
    except ValueError:
        at = 0.0
    return Heard(item.author_id, item.speaker, item.text, at, from_ai=item.from_ai)


def _names(recent: Sequence[HistoryItem], message: Message) -> set[str]:
    """Names people here go by: the recent speakers' names, first names and handles."""
    names: set[str] = set()
    for item in recent:
        if item.from_ai or item.author_id == message.author.user_id:
            continue
        names.add(item.speaker)
        names.add(item.speaker.split()[0] if item.speaker.split() else item.speaker)
        if item.handle:
            names.add(item.handle)
    return names
