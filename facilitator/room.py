"""Reading the room in `auto` mode: which candidate is due for a decision, and the caps.

Pure state per conversation, driven by the clock it is handed: the core feeds it what is said
with the wall clock, the cost benchmark with a transcript's times. A question waits to see
whether someone else answers; other candidates wait a moment for the conversation to settle.
Caps keep the AI considerate and its cost bounded: a few unprompted turns per hour, a
cool-down after each, none while the room is busy, and a daily cap on decision calls.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from facilitator.gate import Heard, Kind

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class AutoLimits:
    interventions_per_hour: int = 3
    cooldown_seconds: float = 600.0
    decisions_per_day: int = 40
    question_wait_seconds: float = 90.0  # how long a question is left to the group
    settle_seconds: float = 20.0  # other candidates: let the moment settle first
    busy_messages: int = 6  # this many human messages ...
    busy_seconds: float = 60.0  # ... this recently: a lively exchange, not the AI's moment


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: Kind
    message_id: str
    author_id: str
    at: float  # when it was said
    due: float  # when it is decided about


@dataclass
class Room:
    limits: AutoLimits = field(default_factory=AutoLimits)
    pending: Candidate | None = None
    interventions: deque[float] = field(default_factory=deque)  # when the AI spoke unprompted
    decisions: deque[float] = field(default_factory=deque)  # when a decision call was made
    recent: deque[float] = field(default_factory=deque)  # when humans spoke lately
    postponed: int = 0
    refused: str | None = None  # why the last due candidate was not taken up

    def heard(self, heard: Heard, message_id: str, kind: Kind | None) -> None:
        """Something was said: it may answer a pending question, or be a candidate itself."""
        if heard.from_ai:
            self.pending = None  # the AI has spoken since: nothing is left unanswered
            return
        self.recent.append(heard.at)
        while self.recent and heard.at - self.recent[0] > self.limits.busy_seconds:
            self.recent.popleft()
        pending = self.pending
        if pending is not None and heard.author_id != pending.author_id:
            if pending.kind is Kind.OPEN_QUESTION:
                self.pending = None  # someone else took the question
        if kind is not None:
            wait = (
                self.limits.question_wait_seconds
                if kind is Kind.OPEN_QUESTION
                else self.limits.settle_seconds
            )
            self.pending = Candidate(kind, message_id, heard.author_id, heard.at, heard.at + wait)
            self.postponed = 0

    def due(self, now: float) -> Candidate | None:
        """The candidate whose time has come and that the caps allow, taken off the room."""
        pending = self.pending
        if pending is None or pending.due > now:
            return None
        if self.busy(now) and self.postponed < 3:
            self.postponed += 1
            self.pending = Candidate(
                pending.kind,
                pending.message_id,
                pending.author_id,
                pending.at,
                now + self.limits.settle_seconds,
            )
            return None
        self.pending = None
        self.refused = self.refusal(now)
        return pending if self.refused is None else None

    def next_due(self) -> float | None:
        return self.pending.due if self.pending is not None else None

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
            return "cooling down"
        return None

    def decided(self, now: float) -> None:
        self.decisions.append(now)

    def intervened(self, now: float) -> None:
        self.interventions.append(now)
        self.pending = None

    def _expire(self, now: float) -> None:
        while self.decisions and now - self.decisions[0] >= DAY:
            self.decisions.popleft()
        while self.interventions and now - self.interventions[0] >= DAY:
            self.interventions.popleft()
