"""What the core is told by its operator: names, limits, and which of the model's tools it has."""

from __future__ import annotations

from dataclasses import dataclass, field

from facilitator.auto.room import AutoLimits
from facilitator.chat import Mode
from facilitator.quotas import Quotas


@dataclass(frozen=True, slots=True)
class FacilitatorConfig:
    ai_name: str = "Parley"
    aliases: tuple[str, ...] = ()
    default_mode: Mode = Mode.MENTION
    size_limit: int = 20
    context_tokens: int = 6000
    history_window: int = 200
    members_in_context: int = 50
    max_concurrent_calls: int = 1000
    burst_window_seconds: float = 3.0
    member_count_ttl_seconds: float = 300.0
    operator_prompt: str = ""
    provider: str = "the model's provider"  # where messages go to be answered, for the notice
    # The first time a member addresses the AI in a chat: what it reads and where it goes. On in
    # `parley run` (bot.first_use_notice); off by default here, for embedding and tests.
    first_use_notice: bool = False
    # The operator's kill switch from the settings: `platform:id` (a chat, server or workspace)
    # or `platform:*`; `parley off` adds to it in the database.
    switched_off: frozenset[str] = frozenset()
    quotas: Quotas = field(default_factory=Quotas)  # tiers and budgets; none: nobody is limited
    # Strict content mode the operator forces (`platform:id` or `platform:*`), and whether the
    # provider's moderation endpoint checks what is said and answered in strict groups.
    forced_strict: frozenset[str] = frozenset()
    moderation: bool = False
    seen_ids: int = 10_000
    # The model may react with an emoji instead of replying (a tool it is offered).
    reactions: bool = True
    # Images in the context window go to the model as image inputs (a vision model).
    vision: bool = False
    # The model may create an image (a tool; the model client needs an image model).
    image_generation: bool = False
    max_image_bytes: int = 10_000_000  # the largest download accepted before downscaling
    auto: AutoLimits = field(default_factory=AutoLimits)
    # Answers owed across a restart: given if owed for at most this long, else the member is told
    # to ask again ("sorry") or nothing is said ("drop"). Messages older than this, delivered
    # late (a backlog after downtime, a catch-up), are stored and not answered.
    owed_within_seconds: float = 300.0
    late_answers: str = "sorry"  # "sorry" or "drop"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.ai_name, *self.aliases)
