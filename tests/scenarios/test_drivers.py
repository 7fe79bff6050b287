"""The scenarios run on every platform Parley runs on: each registered platform (bot/registry.py)
and the shell has a driver, found by its name, so that a new platform cannot skip them."""

from __future__ import annotations

import pytest

from bot import registry
from tests.support.driver import Driver
from tests.support.drivers import (
    CHAT_PLATFORMS,
    EVERY_PLATFORM,
    LIMITED_PLATFORMS,
    RENAMING_PLATFORMS,
    driver_class,
    every_platform,
)

UNDRIVEN = registry.Platform(name="undriven", title="Undriven", secrets=(), wiring="", setup="")


@pytest.mark.parametrize("platform", EVERY_PLATFORM)
def test_every_platform_has_its_driver(platform: str) -> None:
    driver = driver_class(platform)
    assert issubclass(driver, Driver) and driver.platform == platform


def test_the_platforms_are_the_registry_s_and_the_shell() -> None:
    assert set(EVERY_PLATFORM) == {registry.SHELL, *(row.name for row in registry.PLATFORMS)}
    assert set(CHAT_PLATFORMS) == {row.name for row in registry.PLATFORMS}  # the shell tells no one alone
    assert set(LIMITED_PLATFORMS) <= set(CHAT_PLATFORMS)
    assert {"slack", "discord"} <= set(RENAMING_PLATFORMS)


def test_a_registered_platform_without_a_driver_fails_rather_than_skips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "PLATFORMS", (*registry.PLATFORMS, UNDRIVEN))
    assert "undriven" in every_platform()
    with pytest.raises(LookupError, match=r"write tests/support/undriven\.py"):
        driver_class("undriven")
