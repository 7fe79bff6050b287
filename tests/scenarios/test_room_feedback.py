"""Learning from the room, on every platform: in an `auto` group Parley joins in unprompted; a
member's 👎 on that turn, or its deletion, makes it join in less readily, a 👍 or a "thanks"
more; `auto` says so in a plain sentence, across a restart, and only an admin resets it.
Through the platform's SDK and loopback fake (its own reaction and deletion payloads), the real
core and store, and the loopback model scripted to decide to reply."""

from __future__ import annotations

import pytest

from facilitator import texts
from tests.support import until
from tests.support.auto import QUICK, decide
from tests.support.driver import ALICE, BOB, TRIP, Driver
from tests.support.drivers import EVERY_PLATFORM, does, platforms_where

DELETING = platforms_where(does("delete"))  # Telegram tells a bot of no deletion
QUESTIONS = (
    "does anyone know when the last train back leaves?",
    "does anyone know if the museum is open on mondays?",
    "does anyone know how long the ferry to the island takes?",
)


async def joined_in(parley: Driver, question: str) -> str:
    """Bob asks the group; Parley (the model scripted to reply) joins in: its message's id."""
    parley.model.script(decide("reply", message="The last one leaves at 23:40."))
    shown = len(parley.posted(TRIP))
    await parley.say(TRIP, BOB, question)
    await until(lambda: len(parley.posted(TRIP)) > shown, what="Parley joining in unprompted")
    await parley.core.idle()
    return (await parley.parleys(TRIP))[-1]


async def readiness_becomes(parley: Driver, expected: float) -> None:
    """The platform's delivery reached the core: the group's readiness is now `expected`."""

    async def moved() -> bool:
        await parley.core.idle()
        return abs(await parley.store.readiness(parley.conversation(TRIP)) - expected) < 1e-6

    await until(moved, what=f"readiness {expected}")


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_a_thumbs_down_is_learnt_shown_kept_and_reset_by_an_admin_a_thanks_raises(
    parley: Driver,
) -> None:
    async with parley.running(auto=QUICK):
        await parley.command(TRIP, ALICE, "mode auto")
        turn = await joined_in(parley, QUESTIONS[0])
        await parley.react(TRIP, ALICE, turn, "👎")
        await readiness_becomes(parley, 0.75)
        shown = await parley.command(TRIP, BOB, "auto")
        assert "I join in less readily than usual: 1 👎 this week" in shown
        assert "Alice" not in shown and "Ann" not in shown  # counts, never who
    async with parley.running(auto=QUICK):  # a restart, on the same store
        shown = await parley.command(TRIP, BOB, "auto")
        assert "less readily than usual: 1 👎 this week" in shown
        assert "Only this group's admins can use" in await parley.command(TRIP, BOB, "auto reset")
        assert (await parley.command(TRIP, ALICE, "auto reset")).startswith(texts.AUTO_RESET[:20])
        shown = await parley.command(TRIP, BOB, "auto")
        assert "about as readily as the people who run me set me to" in shown

        turn = await joined_in(parley, QUESTIONS[1])
        await parley.react(TRIP, ALICE, turn, "👍")
        await readiness_becomes(parley, 1.1)
        turn = await joined_in(parley, QUESTIONS[2])
        await parley.say(TRIP, ALICE, "thanks!")
        await readiness_becomes(parley, 1.2)
        shown = await parley.command(TRIP, BOB, "auto")
    assert "more readily than usual: 1 👍 and 1 thank-you this week" in shown


@pytest.mark.parametrize("parley", DELETING, indirect=True)
async def test_deleting_an_unprompted_turn_makes_it_join_in_less_readily(parley: Driver) -> None:
    async with parley.running(auto=QUICK):
        await parley.command(TRIP, ALICE, "mode auto")
        turn = await joined_in(parley, QUESTIONS[0])
        await parley.delete(TRIP, turn)
        await readiness_becomes(parley, 0.75)
        shown = await parley.command(TRIP, BOB, "auto")
    assert "less readily than usual: 1 deletion this week" in shown
