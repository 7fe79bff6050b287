"""What the Telegram adapter is configured with, and each value's default: the one place it is
written (bot/settings.py reads it for the `[telegram]` section). Imports no SDK, so the settings
can read it without loading python-telegram-bot."""

from __future__ import annotations

from dataclasses import dataclass

TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    api_base_url: str = TELEGRAM_API
    webhook: bool = False  # False: long polling
    group_edit_seconds: float = 3.0  # a growing answer in a group is edited at most this often
    draft_seconds: float = 0.6  # a private chat's draft is updated at most this often
