"""A Slack workspace with Parley installed for end-to-end tests: the real slack-bolt AsyncApp behind
Parley's own HTTP server, deliveries signed as Slack signs them, the loopback Web API fake."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from adapters.slack.adapter import SlackAdapter, SlackConfig
from bot.http import HttpServer
from facilitator.ports import EventSink
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import encode_form, sign

SECRET = "signing-secret-for-tests"


async def healthy() -> dict[str, object]:
    return {"status": "ok"}


class SlackRoom:
    """A workspace with Parley installed, reachable at its HTTP address."""

    def __init__(self, fake: FakeSlack, adapter: SlackAdapter, url: str, http: aiohttp.ClientSession) -> None:
        self.fake, self.adapter, self.url, self.http = fake, adapter, url, http

    async def deliver(self, body: dict[str, Any], **signing: Any) -> int:
        raw = json.dumps(body)
        async with self.http.post(self.url, data=raw, headers=sign(raw, SECRET, **signing)) as response:
            return response.status

    async def command(self, form: dict[str, str], **signing: Any) -> tuple[int, str]:
        raw = encode_form(form)
        async with self.http.post(self.url, data=raw, headers=sign(raw, SECRET, **signing)) as response:
            return response.status, await response.text()


@asynccontextmanager
async def open_room(fake: FakeSlack, core: EventSink) -> AsyncIterator[SlackRoom]:
    """Parley on Slack over HTTP, started (auth.test done) and stopped again."""
    adapter = SlackAdapter(
        core, SlackConfig(bot_token=fake.bot_token, signing_secret=SECRET, api_base_url=fake.base_url)
    )
    http = HttpServer("127.0.0.1", 0, healthy)

    async def relay(body: str, headers: dict[str, str], query: str) -> tuple[int, str, dict[str, str]]:
        answer = await adapter.receive(body, headers, query)
        return answer.status, answer.body, answer.headers

    http.add_raw("/slack/events", relay)
    await http.start()
    await adapter.start()
    try:
        async with aiohttp.ClientSession() as client:
            yield SlackRoom(fake, adapter, f"http://127.0.0.1:{http.port}/slack/events", client)
    finally:
        await adapter.stop()
        await http.stop()


async def until(condition: Callable[[], object], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the expected outcome did not happen in time"
        await asyncio.sleep(0.01)


def setup_channel(fake: FakeSlack, members: int = 3) -> None:
    fake.user("U1", "Alice Liddell", display_name="alice")
    fake.user("U2", "Bob Stone", display_name="bob")
    fake.user("UADMIN", "Ada Admin", display_name="ada", is_admin=True)
    fake.channel(
        "C1",
        "trip",
        members=["U1", "U2", "UADMIN"][:members] + [f"U9{n}" for n in range(max(0, members - 3))],
    )
