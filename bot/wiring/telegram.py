"""Telegram as the bot runs it: polling or a webhook on Parley's HTTP server, and its check
(the token, and privacy mode, which hides a group's conversation from the bot)."""

from __future__ import annotations

import hashlib
from contextlib import AsyncExitStack

from adapters.telegram.adapter import TelegramAdapter, TelegramStartError
from adapters.telegram.adapter import facts as telegram_facts
from adapters.telegram.config import TelegramConfig
from bot.http import HttpServer
from bot.registry import LateStart
from bot.settings import Settings, SettingsError, TelegramSection
from facilitator.ports import EventSink

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(section: TelegramSection) -> str:
    """The webhook's shared secret: the one set, or one made from the token (stable across
    restarts, useless without the token); Telegram allows A-Z, a-z, 0-9, _ and -."""
    if section.webhook_secret is not None:
        return section.webhook_secret.get_secret_value()
    assert section.bot_token is not None
    return hashlib.sha256(b"parley-webhook:" + section.bot_token.get_secret_value().encode()).hexdigest()


def adapter_config(section: TelegramSection) -> TelegramConfig:
    assert section.bot_token is not None
    return TelegramConfig(
        token=section.bot_token.get_secret_value(),
        api_base_url=section.api_base_url,
        webhook=section.mode == "webhook",
        group_edit_seconds=section.group_edit_seconds,
    )


class Telegram:
    def __init__(self, settings: Settings, core: EventSink, http: HttpServer | None) -> None:
        section = self.section = settings.telegram
        webhook = section.mode == "webhook"
        if webhook and (http is None or section.webhook_url is None):
            raise SettingsError(
                "telegram.mode is webhook: set PORT (Parley's HTTP server receives the updates) "
                "and telegram.webhook_url (its public https:// address), or use mode = polling"
            )
        self.adapter = TelegramAdapter(core, adapter_config(section))
        if webhook and http is not None:
            http.add_webhook(WEBHOOK_PATH, SECRET_HEADER, webhook_secret(section), self.adapter.receive)

    async def pause(self) -> None:
        await self.adapter.pause()

    async def start(self, stack: AsyncExitStack) -> None:
        try:
            await self.adapter.start()
        except TelegramStartError as exc:
            raise SettingsError(str(exc)) from None
        stack.push_async_callback(self.adapter.stop)
        if self.section.mode == "webhook" and self.section.webhook_url is not None:
            url = self.section.webhook_url.rstrip("/") + WEBHOOK_PATH
            await self.adapter.set_webhook(url, webhook_secret(self.section))


def build(
    settings: Settings, core: EventSink, http: HttpServer | None, late: LateStart | None = None
) -> Telegram:
    """`late` is for a platform that may start after the others; this one starts with them."""
    return Telegram(settings, core, http)


async def check(settings: Settings) -> int:
    try:
        facts = await telegram_facts(adapter_config(settings.telegram))
    except Exception as exc:  # its text may quote the token: the kind of error is enough
        print(f"telegram: PROBLEM: Telegram refused the token or could not be reached ({type(exc).__name__})")
        return 1
    if facts.can_read_all_group_messages:
        print(f"telegram: OK (@{facts.username}; privacy mode is off: it follows whole conversations)")
    else:
        print(
            f"telegram: OK (@{facts.username}), but privacy mode is ON: in groups Parley sees only the "
            "messages that address it, so it cannot follow the conversation or use the auto mode.\n"
            "  To change it: in BotFather send /setprivacy, choose the bot, Disable; then remove the bot "
            "from each group and add it again."
        )
    return 0
