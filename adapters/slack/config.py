"""What the Slack adapter is configured with, and each value's default: the one place it is
written (bot/settings.py reads it for the `[slack]` section). Imports no SDK, so the settings
can read it without loading slack-bolt."""

from __future__ import annotations

from dataclasses import dataclass

SLACK_API = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    bot_token: str
    signing_secret: str | None = None  # HTTP mode
    app_token: str | None = None  # Socket Mode
    api_base_url: str = SLACK_API
    admins: tuple[str, ...] = ()  # member ids who may change settings, besides workspace admins
    update_seconds: float = 1.0  # a growing answer is updated at most this often per channel
    stream_seconds: float = 0.3  # a streamed answer is appended to at most this often
