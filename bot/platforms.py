"""Which chat platforms run, built from the settings: their adapters, webhooks and checks.

Each platform's SDK is imported only when that platform is configured: a bot on one platform
does not pay another's import time at every start."""

from __future__ import annotations

import hashlib
import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from bot.http import HttpServer
from bot.settings import DiscordSettings, Settings, SettingsError, SlackSettings, TelegramSettings
from facilitator.ports import EventSink

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter, DiscordConfig
    from adapters.slack.adapter import SlackAdapter, SlackConfig
    from adapters.telegram.adapter import TelegramAdapter, TelegramConfig

logger = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/telegram"
SLACK_EVENTS_PATH = "/slack/events"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def telegram_secret(settings: TelegramSettings) -> str:
    """The webhook's shared secret: the one set, or one made from the token (stable across
    restarts, useless without the token); Telegram allows A-Z, a-z, 0-9, _ and -."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    assert settings.bot_token is not None
    return hashlib.sha256(b"parley-webhook:" + settings.bot_token.get_secret_value().encode()).hexdigest()


def telegram_config(settings: TelegramSettings) -> TelegramConfig:
    from adapters.telegram.adapter import TelegramConfig

    assert settings.bot_token is not None
    return TelegramConfig(
        token=settings.bot_token.get_secret_value(),
        api_base_url=settings.api_base_url,
        webhook=settings.mode == "webhook",
        group_edit_seconds=settings.group_edit_seconds,
    )


def slack_config(settings: SlackSettings) -> SlackConfig:
    from adapters.slack.adapter import SlackConfig

    assert settings.bot_token is not None
    return SlackConfig(
        bot_token=settings.bot_token.get_secret_value(),
        signing_secret=settings.signing_secret.get_secret_value() if settings.signing_secret else None,
        app_token=settings.app_token.get_secret_value() if settings.app_token else None,
        api_base_url=settings.api_base_url,
        admins=settings.admins,
        update_seconds=settings.update_seconds,
    )


def discord_config(settings: DiscordSettings) -> DiscordConfig:
    from adapters.discord.adapter import DiscordConfig

    assert settings.token is not None
    return DiscordConfig(
        token=settings.token.get_secret_value(),
        mention_role_ids=settings.mention_role_ids,
        admin_role_ids=settings.admin_role_ids,
        edit_seconds=settings.edit_seconds,
        size_limit_thread=settings.size_limit_thread,
        group_channel_id=settings.group_channel_id,
        api_base_url=settings.api_base_url,
        gateway_url=settings.gateway_url,
    )


class Platforms:
    """The configured platforms: built (and their webhooks routed) before the HTTP server
    starts, started after it, so that no webhook call finds nobody listening."""

    def __init__(self, settings: Settings, core: EventSink, http: HttpServer | None) -> None:
        self.names: list[str] = []
        self._telegram: TelegramAdapter | None = None
        self._slack: SlackAdapter | None = None
        self._discord: DiscordAdapter | None = None
        self._settings = settings
        telegram = settings.telegram
        if telegram.bot_token is not None:
            webhook = telegram.mode == "webhook"
            if webhook and (http is None or telegram.webhook_url is None):
                raise SettingsError(
                    "telegram.mode is webhook: set PORT (Parley's HTTP server receives the updates) "
                    "and telegram.webhook_url (its public https:// address), or use mode = polling"
                )
            from adapters.telegram.adapter import TelegramAdapter

            self._telegram = TelegramAdapter(core, telegram_config(telegram))
            if webhook and http is not None:
                http.add_webhook(
                    TELEGRAM_WEBHOOK_PATH,
                    TELEGRAM_SECRET_HEADER,
                    telegram_secret(telegram),
                    self._telegram.feed,
                )
            self.names.append("telegram")
        slack = settings.slack
        if slack.bot_token is not None:
            if slack.signing_secret is None and slack.app_token is None:
                raise SettingsError(
                    "Slack needs SLACK_SIGNING_SECRET (events over HTTP on $PORT/slack/events) "
                    "or SLACK_APP_TOKEN (Socket Mode) beside SLACK_BOT_TOKEN"
                )
            if slack.signing_secret is not None and http is None:
                raise SettingsError("Slack over HTTP needs PORT: Parley's HTTP server receives the events")
            from adapters.slack.adapter import SlackAdapter

            self._slack = SlackAdapter(core, slack_config(slack))
            self._slack.ai_name = settings.bot.name
            if slack.signing_secret is not None and http is not None:
                http.add_raw(SLACK_EVENTS_PATH, self._slack_http)
            self.names.append("slack")
        if settings.discord.token is not None:
            from adapters.discord.adapter import DiscordAdapter

            self._discord = DiscordAdapter(core, discord_config(settings.discord))
            self.names.append("discord")

    async def _slack_http(
        self, body: str, headers: dict[str, str], query: str
    ) -> tuple[int, str, dict[str, str]]:
        assert self._slack is not None
        answer = await self._slack.dispatch(body, headers, query)
        return answer.status, answer.body, answer.headers

    async def start(self, stack: AsyncExitStack) -> None:
        """Start each platform; `stack` stops them."""
        if self._discord is not None:
            from adapters.discord.adapter import DiscordStartError

            stack.push_async_callback(self._discord.stop)
            try:
                await self._discord.start()
            except DiscordStartError as exc:
                raise SettingsError(str(exc)) from None
        if self._slack is not None:
            from adapters.slack.adapter import SlackStartError

            try:
                await self._slack.start()
            except SlackStartError as exc:
                raise SettingsError(str(exc)) from None
            stack.push_async_callback(self._slack.stop)
        if self._telegram is not None:
            from adapters.telegram.adapter import TelegramStartError

            telegram = self._settings.telegram
            try:
                await self._telegram.start()
            except TelegramStartError as exc:
                raise SettingsError(str(exc)) from None
            stack.push_async_callback(self._telegram.stop)
            if telegram.mode == "webhook" and telegram.webhook_url is not None:
                url = telegram.webhook_url.rstrip("/") + TELEGRAM_WEBHOOK_PATH
                await self._telegram.set_webhook(url, telegram_secret(telegram))
