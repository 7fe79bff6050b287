"""A Slack channel in `auto` mode, through the whole stack: signed message events to the real
slack-bolt app, the real core and store, the real openai client deciding through its loopback
server, and what the AI chose carried out by the Slack SDK against the fake Web API."""

from __future__ import annotations

import asyncio

from facilitator.auto.room import AutoLimits
from facilitator.store.sqlite import SqliteStore
from tests.adapters.slack.room import open_room, setup_channel, until
from tests.conftest import core_with
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import FakeSlack

QUICK = AutoLimits(question_wait_seconds=0.3, settle_seconds=0.05, cooldown_seconds=0, recheck_seconds=0)


def decide(action: str, **fields: str) -> Reply:
    arguments = {"action": action, "reason": "test", **fields}
    return Reply(text="", tool_calls=[{"name": "decide", "arguments": arguments}])


async def test_an_unanswered_question_in_an_auto_channel_gets_the_reply_the_model_chose(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    setup_channel(fake)
    fake_model.script(decide("reply", message="The ferry leaves at *7:40*."))
    async with core_with(fake_model, store, auto=QUICK) as core, open_room(fake, core) as room:
        await room.command(fake.slash_command("C1", "UADMIN", "mode auto"))
        asked = fake.event_message("C1", "U1", "does anyone know when the first ferry leaves tomorrow?")
        await room.deliver(asked)
        await until(lambda: any("7:40" in text for text in fake.posted("C1", asked["event"]["ts"])))
        await core.idle()
    [decision] = fake_model.received
    assert decision.tools == ["decide"]
    assert "first ferry" in decision.text


async def test_a_question_someone_answers_costs_no_call_and_small_talk_none_either(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    setup_channel(fake)
    async with core_with(fake_model, store, auto=QUICK) as core, open_room(fake, core) as room:
        await room.command(fake.slash_command("C1", "UADMIN", "mode auto"))
        for user, text in [
            ("U1", "morning all!"),
            ("U1", "does anyone know when the first ferry leaves tomorrow?"),
            ("U2", "the first ferry is at 7:40, I checked"),
            ("U1", "lol perfect"),
        ]:
            await room.deliver(fake.event_message("C1", user, text))
        await asyncio.sleep(0.6)
        await core.idle()
    assert fake_model.received == []


async def test_the_model_can_choose_to_react_and_stop_chiming_in_is_heard(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    setup_channel(fake)
    fake_model.script(decide("react", emoji="👍"))
    async with core_with(fake_model, store, auto=QUICK) as core, open_room(fake, core) as room:
        await room.command(fake.slash_command("C1", "UADMIN", "mode auto"))
        asked = fake.event_message("C1", "U1", "which one should we book, the cabin or the yurt?")
        await room.deliver(asked)
        await until(lambda: fake.calls_of("reactions.add"))
        [reaction] = fake.message("C1", asked["event"]["ts"])["reactions"]
        assert reaction["name"] in {"+1", "thumbsup"}

        stop = fake.event_message("C1", "U2", f"<@{fake.bot_user_id}> stop chiming in please")
        await room.deliver(stop)
        await room.deliver(fake.event_app_mention("C1", "U2", stop["event"]["text"], ts=stop["event"]["ts"]))
        await until(lambda: any("stop chiming in" in text for text in fake.posted("C1", stop["event"]["ts"])))
        await room.deliver(fake.event_message("C1", "U1", "any ideas for dinner after the hike?"))
        await asyncio.sleep(0.5)
        await core.idle()
    assert len(fake_model.received) == 1  # the reaction's decision; nothing after the request
