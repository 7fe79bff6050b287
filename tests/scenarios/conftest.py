"""The platform a scenario runs on: `@pytest.mark.parametrize("parley", EVERY_PLATFORM,
indirect=True)` gives each test a driver on that platform, its fake started, Parley not yet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.driver import Driver
from tests.support.drivers import driver_for


@pytest.fixture
async def parley(
    request: pytest.FixtureRequest, fake_model: FakeOpenAI, store: SqliteStore
) -> AsyncIterator[Driver]:
    async with driver_for(request.param, fake_model, store) as driver:
        yield driver
