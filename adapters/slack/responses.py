"""A slash command's answer, where it was asked. Nobody but the member who typed `/parley` sees
the command (unlike a command typed in a Telegram group, or Discord's "used /parley"), so its
answer goes to them alone (ephemeral) unless the core says it is meant for the group
(`SendMessage.announce`: a change to the group's settings, such as a new mode). Help, a setting
shown, usage, a refusal, a mistake are for the one who asked. And Parley may not be in that
channel at all (a command works in any channel), so what it cannot post there goes through the
`response_url` Slack gave with the command, which works anywhere for half an hour.

The commands are kept by the id the core answers them with (`reply_to`, their trigger id), a
bounded few, as Discord's sender keeps its interactions.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

from slack_sdk.webhook.async_client import AsyncWebhookClient

logger = logging.getLogger(__name__)

KEPT = 1_000  # commands awaiting an answer at once, at most
VALID_SECONDS = 30 * 60  # Slack accepts a response_url's answers for 30 minutes
CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


@dataclass(frozen=True, slots=True)
class PendingCommand:
    channel: str
    user: str
    response_url: str
    at: float  # time.monotonic() when it arrived


class PendingCommands:
    def __init__(self, proxy: str | None) -> None:
        self._proxy = proxy
        self._kept: OrderedDict[str, PendingCommand] = OrderedDict()

    def keep(self, key: str, channel: str, user: str, response_url: str) -> None:
        if not key:
            return
        self._kept[key] = PendingCommand(channel, user, response_url, time.monotonic())
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)

    def take(self, key: str | None) -> PendingCommand | None:
        """The command `key` answers, once; None when it is not one (or its URL has expired)."""
        command = self._kept.pop(key or "", None)
        if command is None or time.monotonic() - command.at > VALID_SECONDS:
            return None
        return command

    async def respond(self, command: PendingCommand, text: str, *, in_channel: bool) -> bool:
        """Answer through the command's response_url; whether Slack took it."""
        if not command.response_url:
            return False
        client = AsyncWebhookClient(command.response_url, proxy=self._proxy)
        if proxy_bypass_environment(urlsplit(command.response_url).hostname or ""):
            client.proxy = None  # slack-sdk reads HTTPS_PROXY but not NO_PROXY
        try:
            answer = await client.send(
                text=text,
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=False,
            )
        except Exception as exc:
            logger.warning(
                "the response_url of a command in %s failed: %s", command.channel, type(exc).__name__
            )
            return False
        if answer.status_code != 200:
            logger.warning(
                "the response_url of a command in %s answered %d", command.channel, answer.status_code
            )
            return False
        return True
