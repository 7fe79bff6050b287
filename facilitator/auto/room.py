"""Reading the room in `auto` mode: which candidate is due for a decision, and the caps.

Pure state per conversation, driven by the clock it is handed: the core feeds it what is said
with the wall clock, the cost benchmark with a transcript's times. A question waits to see
whether someone else answers; other candidates wait a moment for the conversation to settle.
Caps keep the AI considerate and its cost bounded: a few unprompted turns per hour, a
cool-down after each, none while the room is busy, and a daily cap on decision calls.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace

from facilitator.auto import weights
from facilitator.auto.features import Features, of_waiting, score
from facilitator.auto.gate import Heard, Kind, answers
from facilitator.auto.reading import read

COOLING_DOWN = "cooling down"
EARNING = "too little said since the last decision"
MAX_WAITING = 8
SEEN = 200  # message ids a room remembers having heard
MAX_POSTPONED = 3
PACE_LINES = 12  # the room's pace: the gaps between its last few lines ...
PAUSE_SECONDS = 1800.0  # ... within a sitting (a night is no gap)
SLOW_ROOM = 2.5  # a question waits up to this many times the operator's wait in a slow room
LULL = 2 / 3  # while talk goes on, a question waits for a pause of this share of its wait ...
LATEST = 8 / 3  # ... but no longer than this many waits after it was asked
HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class AutoLimits:
    interventions_per_hour: int = 8
    cooldown_seconds: float = 120.0
    decisions_per_day: int = 40
    question_wait_seconds: float = 90.0  # how long a question is left to the group
    settle_seconds: float = 20.0  # other candidates: let the moment settle first
    busy_messages: int = 6  # this many human messages ...
    busy_seconds: float = 60.0  # ... this recently: a lively exchange, not the AI's moment
    recheck_seconds: float = 60.0  # after a decision, the next one waits at least this long
    fresh_seconds: float = 300.0  # a candidate older than this has had its moment
    decision_context_tokens: int = 2000  # what a decision call reads: the recent moment
    # Decisions earned by talk: each member's line adds this share of one, so a group's calls
    # follow its conversation (5 per 100 lines at most) and a burst of questions cannot run up.
    decisions_per_message: float = 0.1
    decisions_saved: float = 3.0  # at most this many kept for later
    join_threshold: float = weights.THRESHOLD  # the score a candidate needs when due (features.py)
    # Feedback from the room (👍/👎, a deletion, "not now", a thank-you) moves a group's
    # readiness between these bounds; 1.0 is the operator's caps as set.
    readiness_floor: float = 0.25
    readiness_ceiling: float = 1.5
    feedback_down: float = 0.25  # one complaint outweighs ...
    feedback_up: float = 0.1  # ... one thank-you


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: Kind
    message_id: str
    author_id: str
    at: float  # when it was said
    due: float  # when it is decided about
    text: str = ""  # what was asked, to tell whether someone answers it
    features: Features = ()  # the message as said (features.py), for the score when it is due
    answered: bool = False  # someone took it up, and its asker has not come back to it since
    heard_since: int = 0  # lines by others since it was asked
    replies: int = 0  # direct replies to it
    shrugged: bool = False  # someone said they do not know either
    asker_back: bool = False  # its asker spoke again
    reasked: bool = False  # ... asking again, or doubting what they were told

    def worth(self) -> float:
        """How likely a thoughtful member would join in now, from what was said and since."""
        waited = of_waiting(
            self.heard_since, self.replies, self.answered, self.shrugged, self.asker_back, self.reasked
        )
        return score((*self.features, *waited), weights.WEIGHTS, weights.BIAS)


@dataclass
class Room:
    limits: AutoLimits = field(default_factory=AutoLimits)
    waiting: list[Candidate] = field(default_factory=list)  # oldest first
    interventions: deque[float] = field(default_factory=deque)  # when the AI spoke unprompted
    decisions: deque[float] = field(default_factory=deque)  # when a decision call was made
    recent: deque[float] = field(default_factory=deque)  # when humans spoke lately
    pace: deque[float] = field(default_factory=lambda: deque(maxlen=1))  # the last human line
    gaps: deque[float] = field(default_factory=lambda: deque(maxlen=PACE_LINES))  # between lines
    postponed: int = 0
    credit: float = field(init=False)  # decisions earned and not spent: it starts with all saved
    refused: str | None = None  # why the last due candidate was not taken up
    # How readily this group wants the AI to join in, learnt from its feedback (the store keeps
    # it): below 1 fewer and later unprompted turns, above 1 a lower bar, never past the caps.
    readiness: float = 1.0
    # The ids of the messages heard lately, to tell what another process heard (shared store).
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    accounted: int | None = None  # the store's newest message (seq) the room has taken into account

    def __post_init__(self) -> None:
        self.credit = self.limits.decisions_saved

    def knows(self, message_id: str) -> bool:
        return message_id in self.seen

    def heard(self, heard: Heard, message_id: str, kind: Kind | None, features: Features = ()) -> None:
        """Something was said: it may answer a waiting question, or be a candidate itself."""
        if message_id:
            self.seen[message_id] = None
            if len(self.seen) > SEEN:
                self.seen.popitem(last=False)
        if heard.from_ai:
            self.waiting.clear()  # the AI has spoken since: the moment is taken
            return
        quiet_hours = (heard.at - self.pace[-1]) / HOUR if self.pace else 0.0
        earned = self.limits.decisions_per_message + max(quiet_hours, 0.0)  # and one an hour of quiet
        self.credit = min(self.limits.decisions_saved, self.credit + earned)
        self.recent.append(heard.at)
        while self.recent and heard.at - self.recent[0] > self.limits.busy_seconds:
            self.recent.popleft()
        if self.pace and heard.at - self.pace[-1] < PAUSE_SECONDS:
            self.gaps.append(heard.at - self.pace[-1])
        self.pace.append(heard.at)
        self.waiting = [followed for waiting in self.waiting if (followed := _follow(waiting, heard))]
        # Talk goes on: wait for the lull (one decision then covers all that is waiting), but
        # never so long that the moment passes.
        wait = self.limits.question_wait_seconds
        self.waiting = [
            replace(w, due=min(max(w.due, heard.at + LULL * wait), w.at + LATEST * wait))
            if w.kind is Kind.OPEN_QUESTION
            else w
            for w in self.waiting
        ]
        if kind is not None:
            wait = self.question_wait() if kind is Kind.OPEN_QUESTION else self.limits.settle_seconds
            due = heard.at + wait
            if self.decisions:  # the model has just read this conversation: not again at once
                due = max(due, self.decisions[-1] + self.limits.recheck_seconds)
            self.waiting.append(
                Candidate(kind, message_id, heard.author_id, heard.at, due, heard.text, features)
            )
            del self.waiting[:-MAX_WAITING]

    def due(self, now: float) -> list[Candidate]:
        """The candidates to decide about now, oldest first: none until one's time has come
        and the caps allow; then all that are waiting, since one decision covers the moment."""
        bar = self.bar()
        self.waiting = [
            w
            for w in self.waiting
            if w.due > now or (w.worth() >= bar and not (w.answered and w.kind is Kind.OPEN_QUESTION))
        ]  # the rest were the group's own
        ready = [waiting for waiting in self.waiting if waiting.due <= now]
        if not ready:
            return []
        if self.busy(now) and self.postponed < MAX_POSTPONED:
            self.postponed += 1
            self.waiting = [
                replace(w, due=now + self.limits.settle_seconds) if w in ready else w for w in self.waiting
            ]
            return []
        self.postponed = 0
        self.refused = self.refusal(now)
        if self.refused is None:
            moment, self.waiting = sorted(self.waiting, key=lambda waiting: waiting.at), []
            return moment
        # Cooling down: the moments still fresh when it ends wait for it; the rest pass.
        until = self._cooled_at() if self.refused == COOLING_DOWN else None
        if self.refused == EARNING:  # looked at again shortly: talk may have earned it by then
            until = now + self.limits.settle_seconds
        self.waiting = [
            replace(w, due=until) if w in ready and until is not None else w
            for w in self.waiting
            if w not in ready or (until is not None and until - w.at <= self.limits.fresh_seconds)
        ]
        return []

    def _cooled_at(self) -> float:
        return self.interventions[-1] + self.cooldown()

    # --- what the group's readiness changes (never past the operator's caps) -----------------

    def question_wait(self) -> float:
        """How long a question is left to the group: longer where people answer slowly (three
        of the room's usual gaps, up to 2.5 times the operator's wait), longer again for a group
        that wants less of the AI, down to half for one that wants more."""
        wait = self.limits.question_wait_seconds
        if self.gaps:
            usual = sorted(self.gaps)[len(self.gaps) // 2]
            wait = min(max(wait, 3 * usual), SLOW_ROOM * wait)
        return wait / min(max(self.readiness, 0.5), 2.0)

    def bar(self) -> float:
        """The score a due candidate needs: the operator's, higher for a group that wants less of
        the AI (up to 0.375 more), lower for one that wants more."""
        threshold = self.limits.join_threshold
        if self.readiness < 1:
            return min(threshold + (1 - self.readiness) / 2, 0.95)
        return threshold / self.readiness

    def cooldown(self) -> float:
        return self.limits.cooldown_seconds / min(self.readiness, 1.0)

    def hourly_cap(self) -> int:
        cap = self.limits.interventions_per_hour
        return max(1, int(cap * self.readiness)) if self.readiness < 1 and cap else cap

    def clear(self) -> None:
        self.waiting.clear()

    def next_due(self) -> float | None:
        """When the next candidate is due; an answered question waits for nothing (unless its
        asker comes back to it)."""
        return min(
            (w.due for w in self.waiting if not (w.answered and w.kind is Kind.OPEN_QUESTION)),
            default=None,
        )

    def busy(self, now: float) -> bool:
        lively = [at for at in self.recent if now - at <= self.limits.busy_seconds]
        return len(lively) >= self.limits.busy_messages

    def refusal(self, now: float) -> str | None:
        """Which cap stops an unprompted turn now, or None."""
        self._expire(now)
        if len(self.decisions) >= self.limits.decisions_per_day:
            return "daily cap on decisions"
        if self.credit < 1:
            return EARNING
        recent = [at for at in self.interventions if now - at < HOUR]
        if len(recent) >= self.hourly_cap():
            return "hourly cap on interventions"
        if recent and now - recent[-1] < self.cooldown():
            return COOLING_DOWN
        return None

    def decided(self, now: float) -> None:
        self.decisions.append(now)
        self.credit = max(self.credit - 1, 0.0)

    def intervened(self, now: float) -> None:
        self.interventions.append(now)
        self.waiting.clear()

    def _expire(self, now: float) -> None:
        while self.decisions and now - self.decisions[0] >= DAY:
            self.decisions.popleft()
        while self.interventions and now - self.interventions[0] >= DAY:
            self.interventions.popleft()


def _follow(waiting: Candidate, heard: Heard) -> Candidate | None:
    """A waiting candidate after what was just said: what the group did is noted for its score
    (answered, replied to, shrugged at, its asker back and asking again); it is gone when its
    asker found out or let it go, or when it was laughed at (None)."""
    said = read(heard.text)
    direct = heard.reply_to == waiting.message_id
    asked = waiting.kind in (Kind.OPEN_QUESTION, Kind.OPTIONS)  # what its asker can be satisfied on
    if heard.author_id == waiting.author_id:
        if asked and (said.settled or said.thanks):
            return None
        doubt = not (said.agrees or said.laughs) or said.asks or said.shrugs or said.says_no
        return replace(
            waiting,
            asker_back=True,
            reasked=waiting.reasked or doubt,
            answered=waiting.answered and not doubt,  # "ok but which subclass", "i'm serious"
        )
    if asked and direct and said.laughs and said.size <= 4:
        return None  # laughed at: banter, not a question
    shrug = said.shrugs and said.size <= 8  # "no idea", "then idk": still open
    # The next turn after a question is heard as its answer (conversation's adjacency pairs),
    # as is a direct reply or one on its subject.
    next_turn = (
        not waiting.heard_since
        and heard.at < waiting.due
        and not (said.laughs or said.reacts or said.emoji_only or said.asks or heard.to_someone)
    )
    answered = not shrug and answers(waiting.text, heard.text, direct=direct or next_turn)
    return replace(
        waiting,
        heard_since=waiting.heard_since + 1,
        replies=waiting.replies + direct,
        shrugged=waiting.shrugged or shrug,
        answered=(waiting.answered or answered) and not shrug,
    )
