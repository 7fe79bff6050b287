"""An answer longer than the platform takes in one message, on every platform that has a limit:
it arrives whole, in messages each within the limit. Through the platform's SDK and loopback
fake (which refuses what the platform refuses), the real core and store."""

from __future__ import annotations

import math

import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.support import until
from tests.support.driver import ALICE, TRIP, Driver
from tests.support.drivers import LIMITED_PLATFORMS

SENTENCE = "This is one more sentence of a very long answer. "


@pytest.mark.parametrize("parley", LIMITED_PLATFORMS, indirect=True)
async def test_a_long_answer_goes_on_in_messages_each_within_the_limit(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    answer = SENTENCE * math.ceil(2.5 * parley.limit / len(SENTENCE))
    fake_model.script(Reply(text=answer, chunk_size=parley.limit // 4))
    async with parley.running():
        await parley.mention(TRIP, ALICE, "tell me everything")
        await until(lambda: len(parley.posted(TRIP)) >= 3)
        await parley.core.idle()
    parts = parley.posted(TRIP)
    assert len(parts) >= 3 and all(len(part) <= parley.limit for part in parts)
    assert "".join(parts).replace(" ", "") == answer.replace(" ", "")
