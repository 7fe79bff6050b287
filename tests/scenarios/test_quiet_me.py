"""`quiet me` on every platform: a member who asked is never answered unprompted in an `auto`
group (no decision is even asked for about what they say), while another member's question is
taken up as before; `quiet off` undoes it, and their choice is told to them alone. Through the
platform's SDK and loopback fake, the real core and store, and the loopback model scripted to
decide to reply."""

from __future__ import annotations

import asyncio

import pytest

from facilitator import texts
from tests.support import until
from tests.support.auto import QUICK, decide
from tests.support.driver import ALICE, BOB, TRIP, Driver
from tests.support.drivers import CHAT_PLATFORMS, EVERY_PLATFORM

WAIT = QUICK.question_wait_seconds * 4 + 0.5  # a question's wait, even at the lowest readiness


async def taken_up(parley: Driver, who: str, question: str) -> None:
    """`who` asks the group and Parley, deciding to reply, joins in."""
    parley.model.script(decide("reply", message="The last one leaves at 23:40."))
    shown = len(parley.posted(TRIP))
    await parley.say(TRIP, who, question)
    await until(lambda: len(parley.posted(TRIP)) > shown, what=f"Parley taking up {who}'s question")
    await parley.core.idle()


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_a_quiet_member_s_question_is_left_to_the_group_and_quiet_off_undoes_it(
    parley: Driver,
) -> None:
    parley.direct(BOB)  # Bob has opened his direct chat: where Telegram tells him alone
    async with parley.running(auto=QUICK):
        await parley.command(TRIP, ALICE, "mode auto")
        told = await parley.command(TRIP, BOB, "quiet me")
        assert told.startswith("OK: I won't join in unprompted on anything you say")
        shown = len(parley.posted(TRIP))
        said = await parley.say(TRIP, BOB, "does anyone know when the last train back leaves?")
        await parley.heard(TRIP, said)
        await asyncio.sleep(WAIT)
        await parley.core.idle()
        assert parley.model.received == []  # not even a decision about it
        assert parley.posted(TRIP)[shown:] == []

        await taken_up(parley, ALICE, "does anyone know if the museum is open on mondays?")
        assert len(parley.model.received) == 1

        assert (await parley.command(TRIP, BOB, "quiet")).startswith("You asked me never to join in")
        assert (await parley.command(TRIP, BOB, "quiet off")).startswith("OK: I may join in on what you say")
        await taken_up(parley, BOB, "does anyone know how long the ferry to the island takes?")
        assert len(parley.model.received) == 2


@pytest.mark.parametrize("parley", CHAT_PLATFORMS, indirect=True)
async def test_the_quiet_state_is_told_to_the_member_alone(parley: Driver) -> None:
    parley.direct(BOB)
    async with parley.running(auto=QUICK):
        answers = [await parley.command(TRIP, BOB, text) for text in ("quiet me", "quiet", "quiet off")]
        await parley.core.idle()
    assert [answer[:20] for answer in answers] == [
        texts.QUIET_ON[:20],
        texts.QUIET_IS_ON[:20],
        texts.QUIET_OFF[:20],
    ]
    shown = " ".join(parley.posted(TRIP))
    assert all(answer[:20] not in shown for answer in answers)  # the group saw none of it
