"""Learning from the room: what members say of the AI's unprompted turns moves how readily it
joins in there (each group's readiness, which the rooms read: facilitator/auto/room.py).

A turn is known as unprompted because decision.py notes its messages when it posts them
(`FeedbackLog.note_unprompted`). A reaction on one of them, its deletion, or a short reply
("thanks", "not now": facilitator/auto/feedback.py tells which) in reply to it or as the next
message within two minutes, is one signal; each member counts once per turn, bots never.
The store keeps the signal and the new readiness; the rooms in memory take it at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from facilitator.auto import feedback
from facilitator.auto.feedback import Signal
from facilitator.auto.room import Room
from facilitator.chat import ConversationRef, Member, Message
from facilitator.events import MessageDeleted, ReactionAdded
from facilitator.services import Services
from facilitator.store.roles import HistoryItem

logger = logging.getLogger(__name__)

DELETED_BY = ""  # platforms do not say who deleted a message: a deletion counts once per turn


class RoomFeedback:
    def __init__(
        self,
        services: Services,
        rooms: Mapping[tuple[str, str, str], Room],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._services = services
        self._rooms = rooms  # the rooms in memory (auto mode's), by conversation key
        self._clock = clock or time.time
        self._ai_names = services.config.names
        self._moving = asyncio.Lock()  # one readiness change at a time: each reads the last

    async def heard(self, message: Message, recent: Sequence[HistoryItem]) -> bool:
        """A member's message in an `auto` group: a thank-you or a "not now" about a turn? True
        when it was (counted now, or this member's view of that turn known already)."""
        author = message.author
        others = _names(recent, author.user_id)
        signal = feedback.from_text(message.text, self._ai_names, others, message.mentions_ai)
        if signal is None or author.is_bot:
            return False
        conversation = message.conversation
        about = message.reply_to
        if about is None:  # no reply: the first message after the turn, soon after it
            before = [item for item in recent if item.message_id != message.id]
            last = before[-1] if before else None
            if last is None or not last.from_ai or not _soon_after(last, message):
                return False
            about = last.message_id
        turn = await self._services.feedback.unprompted_turn(conversation, about)
        if turn is None:
            return False
        await self._signal(conversation, turn, author.user_id, signal)
        return True

    async def reacted(self, event: ReactionAdded) -> None:
        signal = feedback.from_reaction(event.emoji)
        if signal is None or _not_a_member(event.member):
            return
        turn = await self._services.feedback.unprompted_turn(event.conversation, event.message_id)
        if turn is not None:
            await self._signal(event.conversation, turn, event.member.user_id, signal)

    async def deleted(self, event: MessageDeleted) -> None:
        turn = await self._services.feedback.unprompted_turn(event.conversation, event.message_id)
        if turn is not None:
            await self._signal(event.conversation, turn, DELETED_BY, Signal.DELETED)

    async def _signal(self, conversation: ConversationRef, turn: str, member_id: str, signal: Signal) -> None:
        store, limits = self._services.feedback, self._services.config.auto
        async with self._moving:
            if not await store.note_feedback(conversation, turn, member_id, signal.value, self._clock()):
                return  # this member already said what they thought of this turn
            readiness = feedback.moved(await store.readiness(conversation), signal, limits)
            await store.set_readiness(conversation, readiness)
        for (platform, chat_id, _), room in list(self._rooms.items()):
            if (platform, chat_id) == (conversation.platform, conversation.chat_id):
                room.readiness = readiness
        logger.info(
            "feedback %s on %s in %s: readiness %.2f", signal.value, turn, conversation.chat_id, readiness
        )


def _not_a_member(member: Member) -> bool:
    return member.is_bot or not member.user_id


def _soon_after(turn: HistoryItem, message: Message) -> bool:
    try:
        posted = datetime.fromisoformat(turn.sent_at).timestamp()
    except ValueError:
        return False
    return message.sent_at.timestamp() - posted <= feedback.WINDOW_SECONDS


def _names(recent: Sequence[HistoryItem], author_id: str) -> set[str]:
    """The names others here go by: a thank-you that names one of them is theirs."""
    names: set[str] = set()
    for item in recent:
        if item.from_ai or item.author_id == author_id:
            continue
        names.update(item.speaker.split()[:1] + ([item.handle] if item.handle else []))
    return names
