"""Slack as the bot runs it: events over HTTP on Parley's server (signed) or Socket Mode, and its
check (the token's scopes against what the enabled features need)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from adapters.slack.adapter import SlackAdapter, SlackStartError
from adapters.slack.adapter import facts as slack_facts
from adapters.slack.config import SlackConfig
from bot.http import HttpServer
from bot.registry import LateStart
from bot.settings import Settings, SettingsError, SlackSection
from facilitator.ports import EventSink

EVENTS_PATH = "/slack/events"


def adapter_config(section: SlackSection) -> SlackConfig:
    assert section.bot_token is not None
    return SlackConfig(
        bot_token=section.bot_token.get_secret_value(),
        signing_secret=section.signing_secret.get_secret_value() if section.signing_secret else None,
        app_token=section.app_token.get_secret_value() if section.app_token else None,
        api_base_url=section.api_base_url,
        admins=section.admins,
        update_seconds=section.update_seconds,
    )


class Slack:
    def __init__(self, settings: Settings, core: EventSink, http: HttpServer | None) -> None:
        section = settings.slack
        if section.signing_secret is None and section.app_token is None:
            raise SettingsError(
                "Slack needs SLACK_SIGNING_SECRET (events over HTTP on $PORT/slack/events) "
                "or SLACK_APP_TOKEN (Socket Mode) beside SLACK_BOT_TOKEN"
            )
        if section.signing_secret is not None and http is None:
            raise SettingsError("Slack over HTTP needs PORT: Parley's HTTP server receives the events")
        self.adapter = SlackAdapter(core, adapter_config(section))
        self.adapter.ai_name = settings.bot.name
        if section.signing_secret is not None and http is not None:
            http.add_raw(EVENTS_PATH, self._receive)

    async def _receive(
        self, body: str, headers: dict[str, str], query: str
    ) -> tuple[int, str, dict[str, str]]:
        answer = await self.adapter.receive(body, headers, query)
        return answer.status, answer.body, answer.headers

    async def start(self, stack: AsyncExitStack) -> None:
        try:
            await self.adapter.start()
        except SlackStartError as exc:
            raise SettingsError(str(exc)) from None
        stack.push_async_callback(self.adapter.stop)

    async def pause(self) -> None:
        """Take no new events (a deploy or a stop); those under way finish."""
        await self.adapter.pause()


def build(
    settings: Settings, core: EventSink, http: HttpServer | None, late: LateStart | None = None
) -> Slack:
    """`late` is for a platform that may start after the others; this one starts with them."""
    return Slack(settings, core, http)


async def check(settings: Settings) -> int:
    slack = settings.slack
    if slack.signing_secret is None and slack.app_token is None:
        print("slack: PROBLEM: set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
        return 1
    try:
        facts = await slack_facts(adapter_config(slack))
    except SlackStartError as exc:  # its text names Slack's error code, never the token
        print(f"slack: PROBLEM: {exc}")
        return 1
    except Exception as exc:
        print(f"slack: PROBLEM: {type(exc).__name__}")
        return 1
    mode = "HTTP at $PORT/slack/events" if slack.signing_secret else "Socket Mode"
    # Files are read only to show images to a vision model, and written only for images it makes.
    unused = set()
    if not settings.llm.vision:
        unused.add("files:read")
    if not settings.llm.image_model:
        unused.add("files:write")
    unused.add("mpim:write")  # only `group` needs it: a note below, not a problem
    missing = [scope for scope in facts.missing_scopes if scope not in unused]
    if "mpim:write" in facts.missing_scopes:
        print("slack: note: without the mpim:write scope, `group` cannot open group DMs")
    if missing:
        print(
            f"slack: PROBLEM: {facts.user} in {facts.team} lacks the scopes "
            f"{', '.join(missing)} (add them under OAuth & Permissions, or create the app "
            "from docs/slack-manifest.yml, then reinstall it)"
        )
        return 1
    print(f"slack: OK ({facts.user} in {facts.team}; {mode})")
    return 0
