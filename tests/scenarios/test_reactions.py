"""The model's `react` tool on every platform: asked to react instead of answering, Parley puts
the emoji on the member's message and posts nothing. Through the platform's SDK and loopback
fake, the real core and store, and the loopback model scripted to call the tool."""

from __future__ import annotations

import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.support import until
from tests.support.driver import ALICE, TRIP, Driver
from tests.support.drivers import EVERY_PLATFORM


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_the_model_reacts_to_a_mention_instead_of_answering(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    fake_model.script(Reply(text="", tool_calls=[{"name": "react", "arguments": {"emoji": "👍"}}]))
    async with parley.running():
        said = await parley.mention(TRIP, ALICE, "we booked the cabin!")
        await until(lambda: parley.reactions(TRIP, said))
        await parley.core.idle()
    assert parley.reactions(TRIP, said) == ["👍"] and parley.reactions_made() == 1
    assert "react" in fake_model.received[0].tools
    assert parley.posted(TRIP) == [] and parley.messages_sent() == 0
