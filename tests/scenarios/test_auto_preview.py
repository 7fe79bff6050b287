"""`mode preview` on every platform: an admin tries reading the room before living with it.
Parley decides about an open question exactly as in `auto` (the same wait, the same decision
call, charged to the group) but posts nothing and reacts to nothing; `preview` then shows the
admin what it would have said, about which message, and for how many tokens; and once the admin
switches to `mode auto`, the same kind of moment gets its answer in the group. Through the
platform's SDK and loopback fake, the real core and store, and the loopback model scripted to
decide."""

from __future__ import annotations

from dataclasses import replace

import pytest

from facilitator.accounts import group_account
from facilitator.chat import utcnow
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.auto import QUICK, decide
from tests.support.driver import ALICE, BOB, TRIP, Driver
from tests.support.drivers import EVERY_PLATFORM

WOULD_SAY = "The museum on Main Street opens at 11 on Sundays."
QUESTION = "does anyone know when the museum on Main Street opens on sundays"
LIMITS = replace(QUICK, decisions_per_message=1.0)  # the second moment, soon after, earns its decision


@pytest.mark.parametrize("parley", EVERY_PLATFORM, indirect=True)
async def test_preview_posts_nothing_and_shows_the_admin_what_auto_would_have_said(
    parley: Driver, fake_model: FakeOpenAI
) -> None:
    where = parley.conversation(TRIP)
    parley.direct(ALICE)  # `preview` answers her alone: on Telegram, in her chat with the bot
    async with parley.running(auto=LIMITS):
        assert "preview" in await parley.command(TRIP, ALICE, "mode preview")
        posted, sent, reacted = len(parley.posted(TRIP)), parley.messages_sent(), parley.reactions_made()

        fake_model.script(decide("reply", message=WOULD_SAY))
        asked = await parley.say(TRIP, BOB, QUESTION)
        await until(lambda: fake_model.received, what="the decision about the open question")
        await parley.core.idle()
        [decision] = fake_model.received
        assert decision.tools == ["decide"] and QUESTION in decision.text  # decided as in auto
        assert len(parley.posted(TRIP)) == posted and parley.messages_sent() == sent
        assert parley.reactions_made() == reacted and parley.reactions(TRIP, asked) == []

        [turn] = await parley.store.previews(where)
        tokens = turn.prompt_tokens + turn.completion_tokens
        spent = await parley.store.usage(where.platform, group_account(where), utcnow().date())
        assert tokens > 0 and spent.prompt_tokens + spent.completion_tokens == tokens  # the group paid
        assert spent.replies == 0  # no answer was given: none counts against the group's

        shown = await parley.command(TRIP, ALICE, "preview")
        assert WOULD_SAY in shown and QUESTION in shown and "bob" in shown.lower()  # who asked
        assert f"({tokens} tokens)" in shown and "1 would-be turn" in shown
        assert len(fake_model.received) == 1  # looking costs nothing

        await parley.command(TRIP, ALICE, "mode auto")
        fake_model.script(decide("reply", message="Yes, the café there takes cards."))
        before = len(parley.posted(TRIP))
        await parley.say(TRIP, BOB, "does anyone know if the museum café takes cards?")
        await until(lambda: len(parley.posted(TRIP)) > before, what="the answer in auto mode")
        await parley.core.idle()
    assert parley.posted(TRIP)[before:] == ["Yes, the café there takes cards."]
