"""Whether the AI speaks: a pure decision over facts the core has gathered.

The `auto` mode plugs in through `unprompted`: a later policy reads the room for messages
nobody addressed to the AI. Until then, `auto` behaves like `mention`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from facilitator.model import Mode


class Decision(Enum):
    IGNORE = "ignore"  # just remember the message
    ANSWER = "answer"
    SIZE_NOTICE = "size_notice"  # addressed in a group over the limit: explain, once
    STAY_OUT = "stay_out"  # addressed in a group over the limit, already explained


@dataclass(frozen=True, slots=True)
class Facts:
    mode: Mode
    is_direct: bool
    author_is_bot: bool
    mentioned: bool = False
    replied_to_ai: bool = False
    named: bool = False
    member_count: int | None = None
    size_limit: int = 20
    size_notice_sent: bool = False

    @property
    def addressed(self) -> bool:
        return self.is_direct or self.mentioned or self.replied_to_ai or self.named


def over_size_limit(member_count: int | None, size_limit: int) -> bool:
    return size_limit > 0 and member_count is not None and member_count > size_limit


def decide(facts: Facts, unprompted: Callable[[Facts], bool] | None = None) -> Decision:
    if facts.author_is_bot:
        return Decision.IGNORE
    if facts.is_direct:
        return Decision.ANSWER  # a direct chat has no mode and no size
    if facts.mode is Mode.OFF:
        return Decision.IGNORE
    wants = facts.addressed or (facts.mode is Mode.AUTO and unprompted is not None and unprompted(facts))
    if not wants:
        return Decision.IGNORE
    if over_size_limit(facts.member_count, facts.size_limit):
        if not facts.addressed:
            return Decision.IGNORE
        return Decision.STAY_OUT if facts.size_notice_sent else Decision.SIZE_NOTICE
    return Decision.ANSWER
