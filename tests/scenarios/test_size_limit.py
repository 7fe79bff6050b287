"""A group over the size limit (20 people by default) on every platform: Parley counts its
members as the platform reports them, stays out of it and says why, once, and the model is never
asked. Through the platform's SDK and loopback fake, the real core and store."""

from __future__ import annotations

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.driver import ALICE, BOB, TRIP, Driver
from tests.support.drivers import EVERY_PLATFORM


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_a_group_over_the_size_limit_hears_why_once_and_the_model_nothing(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    parley.grow(TRIP, 30)
    async with parley.running():
        await parley.mention(TRIP, ALICE, "hi")
        await until(lambda: parley.posted(TRIP))
        await parley.heard(TRIP, await parley.mention(TRIP, BOB, "hello?"))
    [notice] = parley.posted(TRIP)
    assert "This conversation has 30 people, and I take part in groups of up to 20" in notice
    assert fake_model.received == []
