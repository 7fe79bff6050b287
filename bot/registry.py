"""The chat platforms Parley runs on, one row each: the single list the bot keeps of them.

Everything else about platforms is derived from these rows: which are configured (a row's first
secret is set), the secrets refused in the TOML file and redacted from the log with their usual
environment names, the `platform:id` targets of the kill switch and strict mode, start-up and
`parley check`. Adding a platform is a row here, its adapter package, its settings section
(bot/settings.py) and its wiring module (bot/wiring/). A row names its wiring rather than
importing it: a platform's SDK is imported only when that platform is configured.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from facilitator.ports import Adapter

if TYPE_CHECKING:
    from bot.http import HttpServer
    from bot.settings import Settings
    from facilitator.ports import EventSink

SHELL = "shell"  # the terminal's own chats: always there, configured by nothing


@dataclass(frozen=True, slots=True)
class Secret:
    key: str  # the setting in the platform's section
    env: str  # the name its own documentation uses; PARLEY_<SECTION>__<KEY> works too


@dataclass(frozen=True, slots=True)
class Platform:
    name: str  # its settings section `[name]`, its targets `name:<id>`, its events' platform
    title: str  # as an operator reads it
    secrets: tuple[Secret, ...]  # the first one configures the platform when it is set
    wiring: str  # the module with `build` and `check` (the `Wiring` protocol below)
    setup: str  # what to set to configure it, for `parley run` when nothing is configured
    sdks: tuple[str, ...] = ()  # the top-level modules its SDK is imported as


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        name="telegram",
        title="Telegram",
        secrets=(
            Secret("bot_token", "TELEGRAM_BOT_TOKEN"),
            Secret("webhook_secret", "TELEGRAM_WEBHOOK_SECRET"),
        ),
        wiring="bot.wiring.telegram",
        setup="TELEGRAM_BOT_TOKEN (docs/telegram.md)",
        sdks=("telegram",),
    ),
    Platform(
        name="slack",
        title="Slack",
        secrets=(
            Secret("bot_token", "SLACK_BOT_TOKEN"),
            Secret("signing_secret", "SLACK_SIGNING_SECRET"),
            Secret("app_token", "SLACK_APP_TOKEN"),
        ),
        wiring="bot.wiring.slack",
        setup="SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN (docs/slack.md)",
        sdks=("slack_bolt", "slack_sdk"),
    ),
    Platform(
        name="discord",
        title="Discord",
        secrets=(Secret("token", "DISCORD_TOKEN"),),
        wiring="bot.wiring.discord",
        setup="DISCORD_TOKEN (docs/discord.md)",
        sdks=("discord",),
    ),
)


class Started(Protocol):
    """A platform's adapter, built (its webhooks routed) before the HTTP server starts."""

    @property
    def adapter(self) -> Adapter | None:
        """What the core answers through: its events' answers, and those still owed from before
        a restart; None while it stands by (Discord's shards all run elsewhere)."""
        ...

    async def start(self, stack: AsyncExitStack) -> None:
        """Connect to the platform; `stack` stops it (raise SettingsError if it refuses)."""
        ...

    async def pause(self) -> None:
        """Take no new events, for a stop is coming: what is under way goes on, and the platform
        keeps the rest for the next process (unacknowledged, or a session to resume)."""
        ...


LateStart = Callable[[Adapter], Awaitable[None]]


class Wiring(Protocol):
    """What a platform's wiring module provides: its adapter from the settings, and its check."""

    def build(
        self, settings: Settings, core: EventSink, http: HttpServer | None, late: LateStart | None = None
    ) -> Started:
        """The adapter for these settings; SettingsError for a setting it cannot work with.
        `late` is told of an adapter that started after the others (a standby taking over)."""
        ...

    async def check(self, settings: Settings) -> int:
        """Print what `parley check` found about this platform; the number of problems."""
        ...


def secrets() -> Iterator[tuple[Platform, Secret]]:
    for platform in PLATFORMS:
        for secret in platform.secrets:
            yield platform, secret


def names() -> tuple[str, ...]:
    """Every platform's name, the shell's too: what a target may start with."""
    return (SHELL, *(platform.name for platform in PLATFORMS))


def target_pattern() -> str:
    """`platform:id` of a chat, a server or workspace, or `platform:*`, for a known platform."""
    return rf"^({'|'.join(re.escape(name) for name in names())}):\S+$"


def is_target(text: str) -> bool:
    return re.match(target_pattern(), text) is not None


def configured(settings: Settings) -> list[Platform]:
    """The platforms whose first secret is set, in the table's order."""
    return [p for p in PLATFORMS if getattr(getattr(settings, p.name), p.secrets[0].key) is not None]


def wiring(platform: Platform) -> Wiring:
    """Its wiring module, imported now (and with it the platform's adapter and SDK)."""
    return cast(Wiring, importlib.import_module(platform.wiring))
