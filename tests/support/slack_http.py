"""Slack delivering events over HTTP to a `parley run` process: signed posts, retries marked as
Slack marks them."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign
from tests.support import until
from tests.support.process import A_PROCESS

SECRET = "slack-secret-for-tests"


class HttpSlack:
    """Slack delivering over HTTP to Parley's port: signed posts, retries marked as such."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session, self.url = session, f"http://127.0.0.1:{port}/slack/events"

    async def post(self, raw: str, headers: dict[str, str]) -> int:
        try:
            async with self.session.post(self.url, data=raw, headers=headers) as response:
                return response.status
        except (TimeoutError, aiohttp.ClientError):  # stopped, or not up yet
            return 0

    async def deliver(self, body: dict[str, Any], retry: int = 0) -> int:
        raw = json.dumps(body)
        headers = sign(raw, SECRET, retry_num=retry or None, retry_reason="http_timeout" if retry else None)
        return await self.post(raw, headers)

    async def ready(self, fake: FakeSlack) -> None:
        challenge = json.dumps(fake.url_verification())
        await until(lambda: self._answers(challenge), within=A_PROCESS, what="Parley answering on its port")

    async def _answers(self, raw: str) -> bool:
        return await self.post(raw, sign(raw, SECRET)) == 200
