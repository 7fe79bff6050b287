"""The room of an `auto` conversation on a clock of its own: when a candidate is decided about,
and the caps that keep the AI considerate."""

from __future__ import annotations

from facilitator.auto.gate import Heard, Kind
from facilitator.auto.room import AutoLimits, Room

LIMITS = AutoLimits(
    interventions_per_hour=2,
    cooldown_seconds=100,
    decisions_per_day=3,
    question_wait_seconds=90,
    settle_seconds=20,
    busy_messages=4,
    busy_seconds=30,
    recheck_seconds=60,
)


def said(
    room: Room, at: float, text: str, who: str = "alice", kind: Kind | None = None, number: int = 0
) -> str:
    message_id = f"m{number or int(at)}"
    room.heard(Heard(who, who.title(), text, at), message_id, kind)
    return message_id


def test_a_question_waits_for_the_group_then_is_due() -> None:
    room = Room(LIMITS)
    asked = said(room, 0, "anyone know a good plumber?", kind=Kind.OPEN_QUESTION)
    assert room.due(89) == [] and room.next_due() == 90
    [candidate] = room.due(90)
    assert candidate.message_id == asked and room.waiting == []


def test_a_question_someone_else_answers_is_dropped_but_chatter_is_not_an_answer() -> None:
    room = Room(LIMITS)
    said(room, 0, "what time does the museum open?", kind=Kind.OPEN_QUESTION)
    said(room, 10, "oh no", who="bob")
    said(room, 20, "no idea sorry", who="carol")
    assert room.next_due() == 90
    said(room, 30, "10am, I checked", who="bob")
    assert room.next_due() is None


def test_the_ai_speaking_takes_the_moment() -> None:
    room = Room(LIMITS)
    said(room, 0, "which one should we pick?", kind=Kind.OPTIONS)
    room.heard(Heard("", "", "", 5, from_ai=True), "", None)
    assert room.due(100) == []


def test_one_decision_covers_every_candidate_waiting() -> None:
    room = Room(LIMITS)
    said(room, 0, "anyone know a good plumber?", kind=Kind.OPEN_QUESTION)
    said(room, 50, "no way, it was 1969", who="bob", kind=Kind.DISPUTE)
    moment = room.due(70)  # the dispute is due; the question goes along with it
    assert [c.kind for c in moment] == [Kind.OPEN_QUESTION, Kind.DISPUTE]
    assert room.waiting == []


def test_the_next_decision_waits_after_one_was_made() -> None:
    room = Room(LIMITS)
    said(room, 0, "which one?", kind=Kind.OPTIONS)
    assert room.due(20) != []
    room.decided(20)
    said(room, 30, "no, it was 12", who="bob", kind=Kind.DISPUTE)
    assert room.next_due() == 80  # 20 + recheck, not 30 + settle


def test_a_busy_room_is_not_interrupted_for_a_while() -> None:
    room = Room(LIMITS)
    said(room, 0, "any ideas for dinner?", kind=Kind.OPTIONS)
    for n, at in enumerate((15, 16, 17, 18)):
        said(room, at, "lol", who="bob" if n % 2 else "carol", number=100 + n)
    assert room.due(20) == []  # four messages in 30 s: postponed
    assert room.next_due() == 40


def test_the_hourly_cap_and_the_cooldown() -> None:
    room = Room(LIMITS)
    room.intervened(0)
    said(room, 10, "any ideas?", kind=Kind.OPTIONS)
    assert room.due(30) == [] and room.refused == "cooling down"
    assert room.next_due() == 100  # still fresh when the cool-down ends: it waits for it
    assert room.due(100) != []
    room.intervened(100)
    said(room, 300, "which one should we take?", kind=Kind.OPTIONS)
    assert room.due(320) == [] and room.refused == "hourly cap on interventions"
    assert room.waiting == []  # the moment passes
    said(room, 3700, "which one should we take?", kind=Kind.OPTIONS)
    assert room.due(3720) != []  # an hour after the first, one is allowed again


def test_a_stale_moment_is_not_kept_for_after_the_cooldown() -> None:
    room = Room(AutoLimits(cooldown_seconds=600, fresh_seconds=300, settle_seconds=20))
    room.intervened(0)
    said(room, 10, "any ideas?", kind=Kind.OPTIONS)
    assert room.due(30) == [] and room.waiting == []  # 600 s away: it would be stale


def test_the_daily_cap_on_decisions() -> None:
    room = Room(LIMITS)
    for at in (0, 1000, 2000):
        room.decided(at)
    said(room, 3000, "any ideas?", kind=Kind.OPTIONS)
    assert room.due(3020) == [] and room.refused == "daily cap on decisions"
    said(room, 86_500, "any ideas?", kind=Kind.OPTIONS)
    assert room.due(86_520) != []  # a day after the first decision
