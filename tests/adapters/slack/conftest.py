"""The Slack fake and Parley installed in it, for the adapter's end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from facilitator.core import Facilitator
from tests.adapters.slack.room import SlackRoom, open_room
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def room(fake: FakeSlack, facilitator: Facilitator) -> AsyncIterator[SlackRoom]:
    async with open_room(fake, facilitator) as opened:
        yield opened
