"""The quotas' rules, pure: which tier a member is on, and whether an answer is still within it
(checked before each answer by facilitator/fair_use.py, which reads the usage).

The AI's answers count against the member answered (an unprompted answer against the group's
own budget); messages between people cost nothing. A tier gives replies and tokens per day
(UTC) and, optionally, its own model. With no tiers configured, nobody is limited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from facilitator.chat import ConversationRef, Member
from facilitator.store.roles import Usage


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    replies_per_day: int = 0  # 0: no limit
    tokens_per_day: int = 0
    model: str | None = None  # None: the operator's default model


UNLIMITED = Tier("unlimited")


@dataclass(frozen=True, slots=True)
class Quotas:
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    default_tier: str = ""
    members: Mapping[str, str] = field(default_factory=dict)  # "platform:user_id" -> tier
    roles: Mapping[str, str] = field(default_factory=dict)  # "platform:role_id" -> tier
    groups: Mapping[str, str] = field(default_factory=dict)  # "platform:chat or space id" -> tier
    group_replies_per_day: int = 0  # each group's answers a day, prompted or not
    daily_tokens: int = 0  # everything together, per day: the operator's spend cap

    @property
    def enabled(self) -> bool:
        return bool(self.tiers) or self.daily_tokens > 0 or self.group_replies_per_day > 0

    def tier_for(self, member: Member, conversation: ConversationRef) -> Tier:
        """The member's own tier first, then the best of their roles', then the group's, then
        the default."""
        platform = member.platform
        named = self.members.get(f"{platform}:{member.user_id}")
        if named is not None and named in self.tiers:
            return self.tiers[named]
        candidates = [self.roles.get(f"{platform}:{role}") for role in member.roles]
        candidates += [
            self.groups.get(f"{platform}:{conversation.chat_id}"),
            self.groups.get(f"{platform}:{conversation.space}") if conversation.space else None,
        ]
        found = [self.tiers[name] for name in candidates if name is not None and name in self.tiers]
        if found:
            return max(found, key=_generosity)
        return self.tiers.get(self.default_tier, UNLIMITED)


def _generosity(tier: Tier) -> tuple[float, float]:
    def room(limit: int) -> float:
        return float("inf") if limit == 0 else float(limit)

    return room(tier.replies_per_day), room(tier.tokens_per_day)


def over_limit(tier: Tier, used: Usage) -> str | None:
    """What is used up ("replies", "tokens"), or None while there is room for another answer."""
    if tier.replies_per_day and used.replies >= tier.replies_per_day:
        return "replies"
    if tier.tokens_per_day and used.prompt_tokens + used.completion_tokens >= tier.tokens_per_day:
        return "tokens"
    return None


def resets_in(now: datetime) -> timedelta:
    """Until midnight UTC, when every day's count starts again."""
    now = now.astimezone(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - now
