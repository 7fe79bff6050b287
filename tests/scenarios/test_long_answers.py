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


@pytest.mark.parametrize("parley", LIMITED_PLATFORMS, indirect=True)
async def test_each_part_of_an_answer_is_noted_as_it_goes_out_so_a_restart_never_repeats_it(
    parley: Driver, fake_model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer owed hears the platform's id of every message posted, as it is posted: what
    a crash mid-answer leaves behind is known, and not posted again by the next process."""
    noted: list[str] = []
    note_posted = parley.store.note_posted

    async def noting(owed_id: int, part_id: str) -> None:
        noted.append(part_id)
        await note_posted(owed_id, part_id)

    monkeypatch.setattr(parley.store, "note_posted", noting)
    answer = SENTENCE * math.ceil(2.5 * parley.limit / len(SENTENCE))
    fake_model.script(Reply(text=answer, chunk_size=parley.limit // 4))
    async with parley.running():
        await parley.mention(TRIP, ALICE, "tell me everything")
        await until(lambda: len(parley.posted(TRIP)) >= 3)
        await parley.core.idle()
    assert len(noted) == len(parley.posted(TRIP)) and len(set(noted)) == len(noted)
    history = await parley.store.history(parley.conversation(TRIP), 50)
    assert {item.message_id for item in history if item.from_ai} == set(noted)  # the ids posted
