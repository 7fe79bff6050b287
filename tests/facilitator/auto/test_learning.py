"""Learning from the room through the real core, store and openai client (facilitator/auto/
learning.py): which reactions, deletions and short replies count, for which turns, how often,
and `quiet me`. The platforms' own deliveries are tests/scenarios/test_room_feedback.py's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from facilitator.chat import ConversationRef, Member, Message, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageDeleted, MessageReceived, ReactionAdded
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.auto import QUICK, decide

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice")
BOB = Member("test", "bob", "Bob")
ADMIN = Member("test", "ada", "Ada", is_admin=True)
A_BOT = Member("test", "b0t", "Helper", is_bot=True)
QUESTION = "does anyone know when the last train back leaves?"
QUESTIONS = (
    QUESTION,
    "does anyone know if the museum is open on mondays?",
    "does anyone know how long the ferry to the island takes?",
)


class Room:
    """A group in auto mode on the recording adapter; `joined_in` makes Parley take a turn."""

    def __init__(self, core: Facilitator, model: FakeOpenAI) -> None:
        self.core, self.model, self.adapter, self.number = core, model, RecordingAdapter(), 0

    def _id(self) -> str:
        self.number += 1
        return f"m{self.number}"

    async def handle(self, event: object) -> None:
        await self.core.handle(event, self.adapter)  # type: ignore[arg-type]
        await self.core.idle()

    async def say(self, author: Member, text: str, **fields: object) -> str:
        message_id = self._id()
        await self.handle(MessageReceived(Message(message_id, GROUP, author, text, **fields)))  # type: ignore[arg-type]
        return message_id

    async def command(self, author: Member, text: str) -> str:
        before = len(self.adapter.texts)
        await self.handle(CommandReceived(GROUP, author, text, message_id=self._id()))
        return self.adapter.texts[before]

    async def joined_in(self, asker: Member = ALICE, question: str = QUESTION) -> str:
        """Parley's unprompted reply to a question: its id."""
        self.model.script(decide("reply", message="The last train leaves at 23:40."))
        before = len(self.adapter.texts)
        await self.say(asker, question)
        await until(lambda: len(self.adapter.texts) > before)
        await self.core.idle()
        return f"ai-{self.adapter._ids}"

    async def react(self, who: Member, message_id: str, emoji: str) -> None:
        await self.handle(ReactionAdded(GROUP, message_id, who, emoji))

    async def readiness(self) -> float:
        return await self.core._store.readiness(GROUP)


@pytest.fixture
async def room(store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI) -> AsyncIterator[Room]:
    core = Facilitator(FacilitatorConfig(auto=QUICK), store, model)
    room = Room(core, fake_model)
    await room.command(ADMIN, "mode auto")
    yield room
    await core.close()


async def test_a_thumbs_down_lowers_and_a_thumbs_up_raises_once_per_member(room: Room) -> None:
    turn = await room.joined_in()
    await room.react(BOB, turn, "👎")
    assert await room.readiness() == 0.75
    for _ in range(5):  # toggled again and again: one member, one signal
        await room.react(BOB, turn, "👎")
    await room.react(BOB, turn, "👍")  # a change of heart is not a second signal either
    assert await room.readiness() == 0.75
    await room.react(ALICE, turn, "👍")
    assert await room.readiness() == 0.85


async def test_bots_other_emoji_and_prompted_answers_never_count(room: Room) -> None:
    turn = await room.joined_in()
    await room.react(A_BOT, turn, "👎")
    await room.react(BOB, turn, "🎉")
    await room.say(BOB, "@parley what time is it?", mentions_ai=True)
    answer = f"ai-{room.adapter._ids}"  # an answer to a mention is no unprompted turn
    await room.react(BOB, answer, "👎")
    await room.react(BOB, "m1", "👎")  # nor is a member's message
    assert await room.readiness() == 1.0


async def test_deleting_an_unprompted_turn_lowers_once(room: Room) -> None:
    turn = await room.joined_in()
    await room.handle(MessageDeleted(GROUP, turn))
    await room.handle(MessageDeleted(GROUP, turn))  # delivered again
    assert await room.readiness() == 0.75
    assert "1 deletion this week" in await room.command(BOB, "auto")


async def test_a_thank_you_right_after_or_in_reply_raises_and_a_not_now_lowers(room: Room) -> None:
    turn = await room.joined_in()
    await room.say(BOB, "thanks!")
    assert await room.readiness() == 1.1
    await room.say(ALICE, "not now", reply_to=turn)  # a reply, whatever was said between
    assert await room.readiness() == 0.85
    await room.say(ALICE, "stop", reply_to=turn)  # Alice said hers already
    assert await room.readiness() == 0.85
    assert len(room.model.received) == 1  # only the decision: replies of feedback are not answered
    await room.say(BOB, "thanks parley")  # addressed by name, but no longer right after the turn
    assert len(room.model.received) == 2  # so answered as ever


async def test_thanks_parley_right_after_its_turn_is_taken_not_answered(room: Room) -> None:
    await room.joined_in()
    await room.say(BOB, "thanks parley!")
    assert await room.readiness() == 1.1 and len(room.model.received) == 1


async def test_a_thank_you_for_someone_else_or_too_late_is_not_for_parley(room: Room) -> None:
    await room.joined_in()
    await room.say(BOB, "thanks alice")  # names her: hers
    await room.joined_in(BOB, QUESTIONS[1])
    await room.say(ALICE, "ok")
    await room.say(BOB, "thanks")  # not the next message: for Alice's "ok"
    await room.joined_in(ALICE, QUESTIONS[2])
    late = utcnow() + timedelta(seconds=150)
    await room.say(BOB, "thanks", sent_at=late)  # after the two minutes
    assert await room.readiness() == 1.0


async def test_auto_shows_what_was_learnt_and_only_an_admin_resets_it(room: Room) -> None:
    assert "about as readily as the people who run me set me to" in await room.command(BOB, "auto")
    turn = await room.joined_in()
    await room.react(BOB, turn, "👎")
    await room.react(ALICE, turn, ":-1:")
    shown = await room.command(BOB, "auto")
    assert "less readily than usual: 2 👎 this week" in shown and "Bob" not in shown and "bob" not in shown
    assert "Mode here: auto" in shown
    assert await room.command(BOB, "auto reset") == "Only this group's admins can use `auto`."
    assert await room.readiness() == 0.5
    assert (await room.command(ADMIN, "auto reset")).startswith("OK: I've forgotten")
    assert await room.readiness() == 1.0
    assert "about as readily" in await room.command(BOB, "auto")


async def test_a_quiet_member_s_question_is_left_alone_and_told_privately(
    room: Room, fake_model: FakeOpenAI
) -> None:
    told = await room.command(BOB, "quiet me")
    private = room.adapter.actions[-1]
    assert told.startswith("OK: I won't join in unprompted") and private.private_to == BOB  # type: ignore[union-attr]
    await room.say(BOB, QUESTION)
    await asyncio.sleep(QUICK.question_wait_seconds + 0.3)
    await room.core.idle()
    assert fake_model.received == []
    await room.say(BOB, "@parley when does the last train leave?", mentions_ai=True)
    assert len(fake_model.received) == 1  # addressed, answered
    assert (await room.command(BOB, "quiet")).startswith("You asked me never to join in")
    await room.command(BOB, "quiet off")
    await room.joined_in(BOB)
    assert fake_model.received[-1].tools == ["decide"]
