"""Each default is written once: a setting that the code's own config also has defaults to the
code's value, so the settings, the core, the adapters and config.example.toml cannot drift apart
(config.example.toml is checked against the settings in test_settings.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.discord.config import DiscordConfig
from adapters.slack.config import SlackConfig
from adapters.telegram.config import TelegramConfig
from bot import settings
from facilitator.auto.room import AutoLimits
from facilitator.config import FacilitatorConfig
from facilitator.llm import ModelConfig
from facilitator.quotas import Quotas, Tier

# Settings that mean something else than the code's field of the same name, on purpose.
DIFFERENT_ON_PURPOSE = {
    ("BotSection", "first_use_notice"),  # on for `parley run`; off for the core embedded or in tests
    ("BotSection", "switched_off"),  # a list in the file, a frozenset in the core
    ("LLMSection", "provider"),  # "auto": named from the endpoint; the core is told the result
    ("LLMSection", "model"),  # the model client has no default model of its own
}
PAIRS = [
    (settings.TelegramSection, TelegramConfig),
    (settings.SlackSection, SlackConfig),
    (settings.DiscordSection, DiscordConfig),
    (settings.GroupsSection, FacilitatorConfig),
    (settings.BotSection, FacilitatorConfig),
    (settings.LLMSection, FacilitatorConfig),
    (settings.LLMSection, ModelConfig),
    (settings.AutoSection, AutoLimits),
    (settings.QuotasSection, Quotas),
    (settings.TierSection, Tier),
]


def code_defaults(config: type[Any]) -> dict[str, object]:
    """The dataclass's own defaults; a field that has none (a token) is left out."""
    found: dict[str, object] = {}
    for field in dataclasses.fields(config):
        if field.default is not dataclasses.MISSING:
            found[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            found[field.name] = field.default_factory()
    return found


@pytest.mark.parametrize(("section", "config"), PAIRS, ids=lambda each: each.__name__)
def test_a_setting_defaults_to_the_codes_own_default(section: type[BaseModel], config: type[Any]) -> None:
    defaults = code_defaults(config)
    shared = [name for name in section.model_fields if name in defaults]
    assert shared, f"{section.__name__} and {config.__name__} share no setting: a stale pair"
    drifted = {
        name: (section.model_fields[name].get_default(call_default_factory=True), defaults[name])
        for name in shared
        if (section.__name__, name) not in DIFFERENT_ON_PURPOSE
        and section.model_fields[name].get_default(call_default_factory=True) != defaults[name]
    }
    assert drifted == {}


def test_the_exceptions_are_still_real() -> None:
    """An exception that no longer differs, or names nothing, is taken off the list."""
    sections = {section.__name__: section for section, _ in PAIRS}
    for section_name, name in DIFFERENT_ON_PURPOSE:
        assert name in sections[section_name].model_fields
