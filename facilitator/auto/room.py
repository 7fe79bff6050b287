"""Reading the room in `auto` mode: which candidate is due for a decision, and the caps.

Pure state per conversation, driven by the clock it is handed: the core feeds it what is said
with the wall clock, the cost benchmark with a transcript's times. A question waits to see
whether someone else answers; other candidates wait a moment for the conversation to settle.
Caps keep the AI considerate and its cost bounded: a few unprompted turns per hour, a
cool-down after each, none while the room is busy, and a daily cap on decision calls.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

from facilitator.auto.gate import Heard, Kind, answers

COOLING_DOWN = "cooling down"
MAX_WAITING = 8
MAX_POSTPONED = 3
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


@dataclass
class Room:
    limits: AutoLimits = field(default_factory=AutoLimits)
    waiting: list[Candidate] = field(default_factory=list)  # oldest first
    interventions: deque[float] = field(default_factory=deque)  # when the AI spoke unprompted
    decisions: deque[float] = field(default_factory=deque)  # when a decision call was made
    recent: deque[float] = field(default_factory=deque)  # when humans spoke lately
    postponed: int = 0
    refused: str | None = None  # why the last due candidate was not taken up
    # How readily this group wants the AI to join in, learnt from its feedback (the store keeps
    # it): below 1 fewer and later unprompted turns, above 1 a lower bar, never past the caps.
    readiness: float = 1.0

    def heard(self, heard: Heard, message_id: str, kind: Kind | None) -> None:
        """Something was said: it may answer a waiting question, or be a candidate itself."""
        if heard.from_ai:
            self.waiting.clear()  # the AI has spoken since: the moment is taken
            return
        self.recent.append(heard.at)
        while self.recent and heard.at - self.recent[0] > self.limits.busy_seconds:
            self.recent.popleft()
        self.waiting = [
            waiting
            for waiting in self.waiting
            if waiting.kind is not Kind.OPEN_QUESTION
            or waiting.author_id == heard.author_id
            or not answers(waiting.text, heard.text)  # someone else took the question
        ]
        if kind is not None:
            wait = (
                self.limits.question_wait_seconds
                if kind is Kind.OPEN_QUESTION
                else self.limits.settle_seconds
            )
            due = heard.at + wait
            if self.decisions:  # the model has just read this conversation: not again at once
                due = max(due, self.decisions[-1] + self.limits.recheck_seconds)
            self.waiting.append(Candidate(kind, message_id, heard.author_id, heard.at, due, heard.text))
            del self.waiting[:-MAX_WAITING]

    def due(self, now: float) -> list[Candidate]:
        """The candidates to decide about now, oldest first: none until one's time has come
        and the caps allow; then all that are waiting, since one decision covers the moment."""
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
        self.waiting = [
            replace(w, due=until) if w in ready and until is not None else w
            for w in self.waiting
            if w not in ready or (until is not None and until - w.at <= self.limits.fresh_seconds)
        ]
        return []

    def _cooled_at(self) -> float:
        return self.interventions[-1] + self.limits.cooldown_seconds

    def clear(self) -> None:
        self.waiting.clear()

    def next_due(self) -> float | None:
        return min((waiting.due for waiting in self.waiting), default=None)

    def busy(self, now: float) -> bool:
        lively = [at for at in self.recent if now - at <= self.limits.busy_seconds]
        return len(lively) >= self.limits.busy_messages

    def refusal(self, now: float) -> str | None:
        """Which cap stops an unprompted turn now, or None."""
        self._expire(now)
        if len(self.decisions) >= self.limits.decisions_per_day:
            return "daily cap on decisions"
        recent = [at for at in self.interventions if now - at < HOUR]
        if len(recent) >= self.limits.interventions_per_hour:
            return "hourly cap on interventions"
        if recent and now - recent[-1] < self.limits.cooldown_seconds:
            return COOLING_DOWN
        return None

    def decided(self, now: float) -> None:
        self.decisions.append(now)

    def intervened(self, now: float) -> None:
        self.interventions.append(now)
        self.waiting.clear()

    def _expire(self, now: float) -> None:
        while self.decisions and now - self.decisions[0] >= DAY:
            self.decisions.popleft()
        while self.interventions and now - self.interventions[0] >= DAY:
            self.interventions.popleft()
