"""The operator's kill switch for a whole server or workspace (`parley off platform:<space>`),
on every platform: a command there gets the switched-off notice, a mention nothing. Through the
platform's SDK and loopback fake, the real core and store."""

from __future__ import annotations

import pytest

from facilitator import texts
from tests.support import until
from tests.support.driver import ALICE, TRIP, Driver
from tests.support.drivers import EVERY_PLATFORM


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_switched_off_for_the_whole_server_a_command_is_told_so_and_a_mention_ignored(
    parley: Driver,
) -> None:
    where = parley.conversation(TRIP)
    target = f"{where.platform}:{where.space or where.chat_id}"  # the server where there is one
    async with parley.running(switched_off=frozenset({target})):
        assert (await parley.command(TRIP, ALICE, "help")).strip() == texts.SWITCHED_OFF
        said = await parley.mention(TRIP, ALICE, "are you there?")
        await until(lambda: parley.model.received == [] and said)
        await parley.core.idle()
    assert parley.model.received == []
    assert await parley.store.history(where, 10) == []  # nothing read, nothing kept
