"""What Parley knows of a group's members, on every platform that tells it of a new name (Slack's
display names, Discord's nicknames; Telegram tells a bot no such thing): end to end through the
platform's SDK and loopback fake, the real core and SQLite store."""

from __future__ import annotations

import pytest

from tests.support import until
from tests.support.driver import BOB, TRIP, Driver
from tests.support.drivers import RENAMING_PLATFORMS


@pytest.mark.parametrize("parley", RENAMING_PLATFORMS, indirect=True)
async def test_a_new_name_is_known_before_the_member_speaks_again(parley: Driver) -> None:
    async with parley.running():
        said = await parley.say(TRIP, BOB, "hello all")
        await parley.heard(TRIP, said)
        await parley.rename(TRIP, BOB, "Captain Bob")

        async def known_anew() -> bool:
            members = await parley.store.members(parley.conversation(TRIP), 10)
            return [member.name for member in members] == ["Captain Bob"]

        await until(known_anew, what="Bob's new name in the store, and his alone")
