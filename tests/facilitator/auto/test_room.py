"""The room of an `auto` conversation on a clock of its own: when a candidate is decided about,
and the caps that keep the AI considerate."""

from __future__ import annotations

from dataclasses import replace

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
    join_threshold=0.0,  # the caps under test, not the score (tests/benchmarks and test_gate.py)
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


def test_a_guess_or_a_shrug_leaves_a_question_open_and_a_thank_you_closes_it() -> None:
    room = Room(LIMITS)
    said(room, 0, "how long does cooked rice keep in the fridge?", kind=Kind.OPEN_QUESTION)
    said(room, 10, "I think 3 days? don't quote me", who="bob")
    said(room, 20, "no idea honestly", who="carol")
    assert [c.message_id for c in room.due(90)] == ["m0"]  # still open: the AI may help
    room = Room(LIMITS)
    said(room, 0, "how long does cooked rice keep in the fridge?", kind=Kind.OPEN_QUESTION)
    said(room, 10, "rice keeps 3 to 4 days, the food agency says", who="bob")
    assert room.next_due() is None  # answered: nothing to decide
    said(room, 30, "wait, even if it sat out for an hour?", number=30)
    assert room.next_due() is not None  # its asker came back unsatisfied: open again
    said(room, 40, "thanks, makes sense", number=40)
    assert room.waiting == []


def test_a_slow_group_is_given_longer_to_answer_and_talk_waits_for_a_lull() -> None:
    slow = Room(LIMITS)
    for at in range(0, 2400, 300):  # a line every five minutes
        said(slow, at, "hm", who="bob" if at % 600 else "carol", number=at + 1)
    said(slow, 2400, "what's the difference between a roth and a traditional ira?", kind=Kind.OPEN_QUESTION)
    assert slow.next_due() == 2400 + 2.5 * 90  # three usual gaps, at most 2.5 waits
    busy = Room(LIMITS)
    said(busy, 0, "what's the difference between a roth and a traditional ira?", kind=Kind.OPEN_QUESTION)
    said(busy, 80, "wait who's cooking tonight?", who="bob")
    assert busy.next_due() == 80 + 60  # the lull after the talk, not 90
    for at in range(100, 300, 40):
        said(busy, at, "sounds good", who="carol", number=at)
    assert busy.next_due() == 240  # but never later than 8/3 waits after it was asked


def test_a_group_that_wants_less_of_the_ai_gets_less_and_later() -> None:
    room = Room(LIMITS)
    room.readiness = 0.5
    assert room.question_wait() == 180 and room.cooldown() == 200 and room.hourly_cap() == 1
    assert room.bar() == 0.25  # the operator's bar (0 here) raised
    eager = Room(LIMITS)
    eager.readiness = 1.5
    assert eager.question_wait() == 60 and eager.cooldown() == 100 and eager.hourly_cap() == 2


def test_a_burst_of_questions_cannot_run_up_decisions() -> None:
    limits = AutoLimits(decisions_per_day=100, recheck_seconds=0, busy_messages=100, join_threshold=0.0)
    room = Room(replace(limits, decisions_saved=2))  # and starts with them
    for at in (0, 20):  # the two saved are spent on the first two
        said(room, at, "any ideas?", kind=Kind.OPTIONS, number=at + 1)
        assert room.due(at + 20) != []
        room.decided(at + 20)
    said(room, 40, "any ideas?", kind=Kind.OPTIONS, number=41)
    assert room.due(60) == [] and room.refused == "too little said since the last decision"
    for number in range(10):  # ten lines of talk earn one more
        said(room, 61 + number, "hm", who="bob", number=100 + number)
    said(room, 80, "any ideas?", kind=Kind.OPTIONS, number=81)
    assert room.due(100) != []


def test_a_candidate_under_the_bar_is_not_decided() -> None:
    room = Room(AutoLimits(join_threshold=0.99, settle_seconds=20))
    said(room, 0, "any ideas?", kind=Kind.OPTIONS)
    assert room.due(20) == [] and room.waiting == []
