"""A driver for each platform Parley runs on, its loopback fake started and stopped with it: what
the scenarios written once for every platform (tests/scenarios/) are parametrized over.

The platforms are bot/registry.py's rows and the shell; each one's driver is the `Driver` in
tests/support/<name>.py whose `platform` is that name, found by import. A registered platform
without a driver is in every list here, so that every scenario fails on it rather than skip it
(tests/scenarios/test_drivers.py says which file is missing)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot import registry
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.driver import Driver


def every_platform() -> tuple[str, ...]:
    """The shell and every registered platform, by name."""
    return registry.names()


def driver_class(platform: str) -> type[Driver]:
    """The driver of `platform`: LookupError, saying what to write, when it has none."""
    module_name = f"tests.support.{platform}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise LookupError(
            f"platform {platform!r} has no driver: write tests/support/{platform}.py, "
            "a Driver on the shape of tests/support/driver.py"
        ) from exc
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Driver)
        and getattr(value, "platform", None) == platform
    ]
    if len(found) != 1:
        raise LookupError(
            f"tests/support/{platform}.py has {len(found)} Drivers with platform = {platform!r}"
        )
    return found[0]


def platforms_where(holds: Callable[[type[Driver]], bool]) -> tuple[str, ...]:
    """The platforms whose driver `holds` for (and any without a driver, to fail there)."""

    def chosen(platform: str) -> bool:
        try:
            return holds(driver_class(platform))
        except LookupError:
            return True

    return tuple(platform for platform in every_platform() if chosen(platform))


def does(verb: str) -> Callable[[type[Driver]], bool]:
    """Whether a driver does `verb`, one the base Driver leaves undone (NotImplementedError)."""
    return lambda driver: getattr(driver, verb) is not getattr(Driver, verb)


EVERY_PLATFORM = every_platform()
CHAT_PLATFORMS = platforms_where(does("told_alone"))  # each with a way to tell one member alone
LIMITED_PLATFORMS = platforms_where(lambda driver: driver.limit > 0)  # a longest message
RENAMING_PLATFORMS = platforms_where(does("rename"))  # each telling Parley of a new name


@asynccontextmanager
async def driver_for(platform: str, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Driver]:
    """The platform's fake started, and a driver on it (Parley not started yet: `running()`)."""
    async with driver_class(platform).on_its_fake(model, store) as driver:
        yield driver
