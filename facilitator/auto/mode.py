"""`auto` mode at work: each ordinary message of an `auto` (or `preview`) group heard, the gate's
candidates kept waiting in their conversation's `Room`, and a decision asked for when one is due.

For each message the local gate (gate.py) says whether it might want the AI; a candidate waits
in its room (room.py: a question, to see whether someone else answers it; the caps) and, when it
is due, the group is within its size and budget, the model is asked once (decision.py) whether
to reply, react or stay silent.

Where several processes share the store, each hears only the messages that reached it: before
hearing one and before deciding, a room takes in what the others heard (the store's recent
messages it has not accounted for), its caps are read again from the store, and a decision is
made only by the process holding the conversation (facilitator/owing.py), so that two never
speak up at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from facilitator import texts
from facilitator.actions import SendMessage
from facilitator.auto import gate
from facilitator.auto.decision import DecisionCall
from facilitator.auto.gate import Heard
from facilitator.auto.learning import RoomFeedback
from facilitator.auto.room import DAY, Room
from facilitator.chat import ConversationRef, Message, Mode
from facilitator.fair_use import FairUse
from facilitator.group_size import GroupSize
from facilitator.owing import Owing
from facilitator.ports import Adapter
from facilitator.services import Services
from facilitator.store.roles import HistoryItem

logger = logging.getLogger(__name__)

RECENT = 20  # messages the gate looks back over
ROOMS = 10_000  # auto-mode conversations kept in memory, most recently active
SHARED_RETRY = 5.0  # seconds a decision waits while another process speaks in its conversation


class AutoMode:
    def __init__(
        self,
        services: Services,
        decision: DecisionCall,
        group_size: GroupSize,
        fair_use: FairUse,
        owing: Owing,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._services = services
        self._owing = owing
        self._decision = decision
        self._group_size = group_size
        self._fair_use = fair_use
        self.limits = services.config.auto
        self._ai_names = services.config.names
        # A replay (the cost benchmark) brings its own clock and says when time has passed
        # (`run_due`); the running bot follows the wall clock with the event loop's timers.
        self._timers_on = clock is None
        self._clock = clock or time.time
        self._rooms: OrderedDict[tuple[str, str, str], Room] = OrderedDict()
        self.feedback = RoomFeedback(services, self._rooms, clock)  # the room's 👍/👎, learnt
        self._candidates: dict[tuple[str, str, str], dict[str, Message]] = {}  # of room.waiting
        self._timers: dict[tuple[str, str, str], asyncio.TimerHandle] = {}
        self._where: dict[tuple[str, str, str], tuple[ConversationRef, Adapter]] = {}  # per room

    # --- what is said -----------------------------------------------------------------------

    async def heard(self, message: Message, adapter: Adapter, addressed: bool) -> bool:
        """A member's message in an `auto` group (already stored): is it a candidate? True when it
        was the room's feedback on an unprompted turn ("thanks", "not now"): not to be answered."""
        conversation = message.conversation
        room = await self._room(conversation)
        self._where[conversation.key()] = (conversation, adapter)
        recent = await self._services.messages.history(conversation, RECENT)
        self._take_in(room, recent, but=message.id)
        before = [_heard(item) for item in recent if item.message_id != message.id]
        this = Heard(
            message.author.user_id,
            message.author.display_name,
            message.text,
            message.sent_at.timestamp(),
            replies_to_member=bool(message.reply_to) and not message.replies_to_ai,
            message_id=message.id,
            reply_to=message.reply_to,
        )
        names = _names(recent, message)
        this = replace(this, to_someone=gate.addressed_to_someone(this, names, self._ai_names))
        kind = None
        if not addressed:
            kind = gate.candidate(this, before, names, self._ai_names)
        author = message.author
        if kind is not None and await self._services.members.quiet(author.platform, author.user_id):
            kind = None  # they said `quiet me`: never answered unprompted
        # The gate compares platform times with platform times; the room waits on our clock, so
        # a platform's clock (or a late redelivery) cannot make a question due before it is read.
        features = gate.features_of(this, kind, before) if kind is not None else ()
        room.heard(replace(this, at=self._clock()), message.id, kind, features)
        if kind is not None:
            logger.info("candidate %s in %s: %s", message.id, conversation.chat_id, kind.value)
            self._candidates.setdefault(conversation.key(), {})[message.id] = message
        self._keep_waiting(conversation.key(), room)
        self._schedule(conversation, room, adapter)
        return await self.feedback.heard(message, recent)  # a "thanks", a "not now" on a turn?

    def _keep_waiting(self, key: tuple[str, str, str], room: Room) -> None:
        """The messages kept are those of the room's waiting candidates, no others."""
        waiting = self._candidates.get(key, {})
        for stale in waiting.keys() - {candidate.message_id for candidate in room.waiting}:
            del waiting[stale]

    def ai_spoke(self, conversation: ConversationRef) -> None:
        room = self._rooms.get(conversation.key())
        if room is not None:
            room.heard(Heard("", "", "", self._clock(), from_ai=True), "", None)

    async def hold_back(self, message: Message, adapter: Adapter, mode: Mode = Mode.AUTO) -> bool:
        """ "Parley, stop chiming in" in an `auto` (or `preview`) group: back to `mention`, said once."""
        if not gate.asks_to_hold_back(message.text):
            return False
        conversation = message.conversation
        await self._services.groups.set_mode(conversation, Mode.MENTION)
        room = self._rooms.get(conversation.key())
        if room is not None:
            room.clear()
        logger.info("asked to hold back in %s by %s", conversation.chat_id, message.author.user_id)
        said = texts.HELD_BACK_PREVIEW if mode is Mode.PREVIEW else texts.HELD_BACK
        await self._services.perform(adapter, SendMessage(conversation, said, reply_to=message.id))
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
            delay, lambda: self._services.spawn(self.decide_due(conversation, adapter))
        )

    async def decide_due(self, conversation: ConversationRef, adapter: Adapter) -> None:
        key = conversation.key()
        self._timers.pop(key, None)
        room = self._rooms.get(key)
        if room is None:
            return
        room.refused = None
        if self._owing.shared:
            await self._as_all_heard(conversation, room)
            if not await self._owing.hold(conversation):  # another process speaks there now
                self._later(conversation, adapter, SHARED_RETRY)
                return
            try:
                await self._decide(conversation, room, adapter)
            finally:
                await self._owing.let_go(conversation)
            return
        await self._decide(conversation, room, adapter)

    async def _decide(self, conversation: ConversationRef, room: Room, adapter: Adapter) -> None:
        key = conversation.key()
        moment = room.due(self._clock())
        waiting = self._candidates.get(key, {})
        found = [(c, waiting.pop(c.message_id)) for c in moment if c.message_id in waiting]
        self._keep_waiting(key, room)
        if not found:
            if room.refused is not None:
                logger.info("candidate in %s not taken up: %s", conversation.chat_id, room.refused)
            self._schedule(conversation, room, adapter)  # postponed while the room is busy
            return
        mode = await self._services.mode_of(conversation)
        if not mode.reads_the_room:
            return
        if not await self._group_size.within(conversation, adapter):
            return
        if not await self._fair_use.within_budget(conversation):
            logger.info("candidate in %s not taken up: the group's budget is spent", conversation.chat_id)
            return
        preview = mode is Mode.PREVIEW  # decided alike, nothing posted (auto/preview.py)
        await self._decision.decide(conversation, room, found, adapter, self._clock(), preview)
        self._schedule(conversation, room, adapter)  # a later candidate may still be waiting

    def _later(self, conversation: ConversationRef, adapter: Adapter, delay: float) -> None:
        if self._timers_on:
            self._timers[conversation.key()] = asyncio.get_running_loop().call_later(
                delay, lambda: self._services.spawn(self.decide_due(conversation, adapter))
            )

    # --- what other processes heard (a shared store) ---------------------------------------------

    def _take_in(self, room: Room, recent: Sequence[HistoryItem], but: str = "") -> None:
        """What the store holds and this room has not heard (another process did), heard now, in
        order; alone on the store, a process hears everything itself."""
        newest = max((item.seq for item in recent), default=0)
        if not self._owing.shared or room.accounted is None:
            room.accounted = newest  # a new room starts from now, not from the past
            return
        for item in recent:
            if item.seq <= room.accounted or item.message_id == but or room.knows(item.message_id):
                continue
            heard = _heard(item)  # at its time, or the room's latest: a room's clock never goes back
            room.heard(
                replace(heard, at=max(heard.at, room.pace[-1] if room.pace else 0.0)), item.message_id, None
            )
        room.accounted = max(room.accounted, newest)

    async def _as_all_heard(self, conversation: ConversationRef, room: Room) -> None:
        """The room as every process heard it, and its caps as every process counted them."""
        self._take_in(room, await self._services.messages.history(conversation, RECENT))
        events = await self._services.ledger.room_events(conversation, self._clock() - DAY)
        room.decisions = deque(at for kind, at in events if kind == "decision")
        room.interventions = deque(at for kind, at in events if kind == "intervention")

    # --- rooms ----------------------------------------------------------------------------------

    async def _room(self, conversation: ConversationRef) -> Room:
        key = conversation.key()
        room = self._rooms.get(key)
        if room is None:
            room = Room(self.limits)
            for kind, at in await self._services.ledger.room_events(conversation, self._clock() - DAY):
                (room.decisions if kind == "decision" else room.interventions).append(at)
            room = self._rooms.setdefault(key, room)
        room.readiness = await self._services.feedback.readiness(conversation)  # cached by the store
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


def _heard(item: HistoryItem) -> Heard:
    try:
        at = datetime.fromisoformat(item.sent_at).timestamp() if item.sent_at else 0.0
    except ValueError:
        at = 0.0
    return Heard(
        item.author_id,
        item.speaker,
        item.text,
        at,
        from_ai=item.from_ai,
        message_id=item.message_id,
        reply_to=item.reply_to,
    )


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
