"""Fixtures of the Slack tests: the loopback Web API fake, the driver playing Parley's world in
it (tests/support/slack.py), and that workspace with Parley installed for the `facilitator`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.support.slack import SlackDriver


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def parley(fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore) -> SlackDriver:
    """Parley on Slack, not started yet: `async with parley.running(**core_options):`."""
    return SlackDriver(fake, fake_model, store)


@pytest.fixture
async def room(parley: SlackDriver, facilitator: Facilitator) -> AsyncIterator[SlackDriver]:
    """Parley installed and reachable (`deliver`, `slash`), on the `facilitator` fixture."""
    async with parley.running(core=facilitator):
        yield parley
