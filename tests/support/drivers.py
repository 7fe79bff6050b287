"""A driver for each platform by name, its loopback fake started and stopped with it: what the
scenarios written once for every platform (tests/scenarios/) are parametrized over. Each
platform's driver (and SDK) is imported only when a test asks for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.driver import Driver

CHAT_PLATFORMS = ("telegram", "slack", "discord")  # each with a way to tell one member alone
EVERY_PLATFORM = (*CHAT_PLATFORMS, "shell")


@asynccontextmanager
async def driver_for(platform: str, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Driver]:
    """The platform's fake started, and a driver on it (Parley not started yet: `running()`)."""
    if platform == "shell":
        from tests.support.shell import ShellDriver

        yield ShellDriver(model, store)
    elif platform == "telegram":
        from tests.fakes.telegram_api import FakeTelegram
        from tests.support.telegram import TelegramDriver

        telegram = await FakeTelegram().start()
        try:
            yield TelegramDriver(telegram, model, store)
        finally:
            await telegram.stop()
    elif platform == "slack":
        from tests.fakes.slack_api import FakeSlack
        from tests.support.slack import SlackDriver

        slack = await FakeSlack().start()
        try:
            yield SlackDriver(slack, model, store)
        finally:
            await slack.stop()
    elif platform == "discord":
        from tests.fakes.discord_api import FakeDiscord
        from tests.support.discord import DiscordDriver, build

        discord = await build(FakeDiscord()).start()
        try:
            yield DiscordDriver(discord, model, store)
        finally:
            await discord.stop()
    else:
        raise ValueError(f"no driver for {platform!r}")
