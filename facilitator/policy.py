"""Whether the AI answers an addressed message: a pure decision over facts the core gathered
(the mode, a direct chat, a bot, the group's size against its limit, the notice already sent).

Messages nobody addressed to the AI are never answered from here: in `auto` mode the gate and
the room (facilitator/auto/) decide whether to join in, with the same size limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from facilitator.chat import Mode
from facilitator.config import FacilitatorConfig
from facilitator.group_size import over_size_limit


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
    size_limit: int = FacilitatorConfig().size_limit  # the core's default, written once there
    size_notice_sent: bool = False

    @property
    def addressed(self) -> bool:
        return self.is_direct or self.mentioned or self.replied_to_ai or self.named


def decide(facts: Facts) -> Decision:
    if facts.author_is_bot:
        return Decision.IGNORE
    if facts.is_direct:
        return Decision.ANSWER  # a direct chat has no mode and no size
    if facts.mode is Mode.OFF:
        return Decision.IGNORE
    if not facts.addressed:
        return Decision.IGNORE
    if over_size_limit(facts.member_count, facts.size_limit):
        return Decision.STAY_OUT if facts.size_notice_sent else Decision.SIZE_NOTICE
    return Decision.ANSWER
