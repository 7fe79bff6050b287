"""The `preview` command carried out by the core: anyone in the group may look, the answer is
theirs alone, and it lists the latest would-be turns (at most 10, newest last, with when, who
and what, and the tokens) and what the last 24 hours came to."""

from __future__ import annotations

import itertools
import time

from facilitator.actions import SendMessage
from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived
from facilitator.llm import OpenAIChatModel
from facilitator.store.roles import PreviewTurn
from facilitator.store.sqlite import SqliteStore
from facilitator.texts import PREVIEW_IN_DIRECT
from tests.fakes.recording_adapter import RecordingAdapter

GROUP = ConversationRef("test", "g1")
DIRECT = ConversationRef("test", "d1", is_direct=True)
ADMIN = Member("test", "ada", "Ada", is_admin=True)
BOB = Member("test", "bob", "Bob")
DAY = 86400.0
NUMBERS = itertools.count()  # each command its own id: none is a redelivery


def turn(number: int, at: float, action: str = "reply", detail: str = "") -> PreviewTurn:
    return PreviewTurn(
        at=at,
        message_id=f"m{number}",
        author_id=BOB.user_id,
        said_at=at - 60,
        excerpt=f"question {number}?",
        action=action,
        detail=detail or f"answer {number}",
        prompt_tokens=100,
        completion_tokens=10,
    )


async def ask(core: Facilitator, who: Member, text: str, where: ConversationRef = GROUP) -> SendMessage:
    adapter = RecordingAdapter()
    asked = CommandReceived(where, who, text, message_id=f"c{next(NUMBERS)}")
    await core.handle(asked, adapter)
    await core.idle()
    [answer] = [action for action in adapter.actions if isinstance(action, SendMessage)]
    return answer


async def test_anyone_may_look_and_is_told_alone(store: SqliteStore, model: OpenAIChatModel) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    await store.set_mode(GROUP, Mode.PREVIEW)
    await store.add_message(Message("m1", GROUP, BOB, "question 1?"))
    await store.add_preview(GROUP, turn(1, time.time() - 30, detail="Opens at 11."))
    answer = await ask(core, BOB, "preview")
    assert answer.private_to == BOB and not answer.announce
    assert 'Bob: "question 1?" → I\'d have said: "Opens at 11." (110 tokens)' in answer.text
    assert "not preview" not in answer.text
    assert answer.text.endswith("Last 24 h: 1 decision, 1 would-be turn, 110 tokens spent.")


async def test_the_latest_ten_newest_last_with_the_date_when_not_today(
    store: SqliteStore, model: OpenAIChatModel
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    now = time.time()
    await store.add_preview(GROUP, turn(0, now - 3 * DAY, detail="three days ago"))
    for number in range(1, 13):
        await store.add_preview(GROUP, turn(number, now - 3 * DAY + number))
    await store.add_preview(GROUP, turn(13, now - 120, action="silent", detail=" "))
    await store.add_preview(GROUP, turn(14, now - 60, action="react", detail="🎉"))
    await store.add_preview(GROUP, turn(15, now - 30, action="held"))
    text = (await ask(core, ADMIN, "preview")).text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == 10
    assert "answer 5" in lines[0] and "answer 12" in lines[7]  # 0 to 4 left out: newest last
    assert "I'd have reacted 🎉" in lines[8] and "strict content rules held the reply back" in lines[9]
    assert not any("answer 13" in line for line in lines)  # silence is no would-be turn
    assert lines[0][2:12].count("-") == 2  # 3 days ago: its date, then its time
    assert lines[9][2:7].count(":") == 1 and lines[9][7] == ","  # today: the time alone
    assert text.endswith("Last 24 h: 3 decisions, 2 would-be turns, 330 tokens spent.")


async def test_outside_preview_mode_it_says_how_to_switch_and_still_lists(
    store: SqliteStore, model: OpenAIChatModel
) -> None:
    core = Facilitator(FacilitatorConfig(), store, model)
    empty = (await ask(core, BOB, "preview")).text
    assert "`mention` mode, not preview" in empty and "`mode preview`" in empty
    assert "Nothing recorded here yet" in empty
    await store.add_preview(GROUP, turn(1, time.time() - 10, detail="Still listed."))
    assert "Still listed." in (await ask(core, BOB, "preview")).text
    assert (await ask(core, BOB, "preview", DIRECT)).text == PREVIEW_IN_DIRECT
