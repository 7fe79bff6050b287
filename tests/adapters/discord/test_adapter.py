"""The Discord adapter end to end: the real discord.py client against the loopback fake of
Discord's REST API and gateway, with the real core, store and model client. What must hold on
every platform is in tests/scenarios/; here, what Discord does its own way."""

from __future__ import annotations

import asyncio
import threading

import pytest
from discord.gateway import KeepAliveHandler

from adapters.discord.adapter import DiscordAdapter, DiscordStartError
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord, Intent, pointed_at
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.support import until
from tests.support.discord import ANN, BOB, GENERAL, GUILD, DiscordDriver, adapter_for, answers, build
from tests.support.driver import ALICE, TRIP


async def test_a_mention_is_answered_as_a_reply_streamed_by_edits(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    reply = "word " * 60
    fake_model.script(Reply(text=reply, chunk_size=10, chunk_delay=0.03))
    ann = fake.users[ANN]
    await fake.dispatch_message(GENERAL, fake.users[BOB], "The train leaves at 9:40.")
    asked = await fake.dispatch_message(
        GENERAL, ann, f"<@{fake.bot_id}> when do we leave?", mentions=[fake.bot_user]
    )
    await until(lambda: [text.strip() for text in answers(fake)] == [reply.strip()])
    await facilitator.idle()
    sent = fake.calls_of("POST", "/channels/{id}/messages")[0]
    assert str(sent["json"]["message_reference"]["message_id"]) == str(asked["id"])
    assert fake.calls_of("PATCH", "/channels/{id}/messages/{id}")  # grew by edits
    assert fake.typing
    assert "9:40" in fake_model.received[0].text and "Annie" in fake_model.received[0].text


async def test_everyone_bots_and_webhooks_never_trigger_it(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    other = fake.user(1_450_000_000_000_000_001, "helper", bot=True)
    await fake.dispatch_message(GENERAL, fake.users[ANN], "@everyone dinner at 8", mention_everyone=True)
    await fake.dispatch_message(GENERAL, other, f"<@{fake.bot_id}> bot to bot", mentions=[fake.bot_user])
    await fake.dispatch_message(
        GENERAL, fake.users[BOB], f"<@{fake.bot_id}> hook", mentions=[fake.bot_user], webhook_id=77
    )
    await asyncio.sleep(0.3)
    await facilitator.idle()
    assert fake_model.received == [] and answers(fake) == []


async def test_a_dm_and_a_thread_are_conversations_of_their_own(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    ann = fake.users[ANN]
    dm = fake.dm_channel(ann)
    await fake.dispatch_message(dm, ann, "hi in private")
    await until(lambda: answers(fake, int(dm["id"])))
    thread = fake.thread(GENERAL, "plans", owner=ann)
    await fake.dispatch_thread_create(thread)
    await fake.dispatch_message(GENERAL, ann, "said in the channel only")
    await fake.dispatch_message(thread, ann, f"<@{fake.bot_id}> and here?", mentions=[fake.bot_user])
    await until(lambda: answers(fake, int(thread["id"])))
    await facilitator.idle()
    assert "said in the channel only" not in fake_model.received[1].text


async def test_over_the_size_limit_it_offers_a_thread_or_starts_one(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    parley = DiscordDriver(fake, fake_model, store, size_limit_thread="create")
    parley.grow(TRIP, 27)
    async with parley.running():
        await parley.mention(TRIP, ALICE, "hi")
        await until(lambda: parley.posted(TRIP))
        await parley.core.idle()
        await until(lambda: fake.calls_of("POST", "/channels/{id}/messages/{id}/threads"))
    assert fake_model.received == []
    assert "thread" in parley.posted(TRIP)[0]


async def test_the_parley_command_answers_through_its_interaction_and_admins_decide(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    await fake.dispatch_interaction(
        GUILD, GENERAL, fake.users[BOB], subcommand="mode", options={"text": "off"}
    )
    await until(lambda: len(fake.interaction_responses) == 1)
    await fake.dispatch_interaction(
        GUILD, GENERAL, fake.users[ANN], subcommand="mode", options={"text": "off"}
    )
    await until(lambda: len(fake.interaction_responses) == 2)
    await fake.dispatch_interaction(GUILD, GENERAL, fake.users[BOB], subcommand="usage")
    await until(lambda: len(fake.interaction_responses) == 3)
    texts = [str(r) for r in fake.interaction_responses]
    assert "admin" in texts[0].lower() and "admin" not in texts[1].lower()
    assert "64" in texts[2]  # the usage answer is ephemeral (flag 64)
    await fake.dispatch_message(
        GENERAL, fake.users[BOB], f"<@{fake.bot_id}> hello?", mentions=[fake.bot_user]
    )
    await asyncio.sleep(0.3)
    await facilitator.idle()
    assert fake_model.received == []  # mode off


async def test_a_replayed_message_after_a_resume_is_not_answered_twice(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    asked = await fake.dispatch_message(
        GENERAL, fake.users[ANN], f"<@{fake.bot_id}> once", mentions=[fake.bot_user]
    )
    await until(lambda: answers(fake))
    await facilitator.idle()
    await fake.gateway_reconnect(resume=True, replay_after=fake.seq_of(asked) - 1)
    await until(lambda: len(fake.gateway.resumes) == 1)
    await asyncio.sleep(0.3)
    await facilitator.idle()
    assert len(fake_model.received) == 1 and len(answers(fake)) == 1


async def test_a_malformed_dispatch_is_skipped_and_the_session_goes_on(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, caplog: pytest.LogCaptureFixture
) -> None:
    session = fake.gateway.session
    for broken in ({"id": "1", "channel_id": str(GENERAL)}, None, {"channel_id": "x"}):
        await fake.dispatch_raw({"op": 0, "t": "MESSAGE_CREATE", "d": broken})
    await fake.dispatch_raw({"op": 0, "t": "GUILD_MEMBER_UPDATE", "d": {"guild_id": str(GUILD)}})
    await fake.dispatch_message(
        GENERAL, fake.users[ANN], f"<@{fake.bot_id}> still there?", mentions=[fake.bot_user]
    )
    await until(lambda: answers(fake), within=15)
    await facilitator.idle()
    assert [text.strip() for text in answers(fake)] == ["Hello from the fake model."]
    # the same session all along: no new IDENTIFY, no RESUME, one connection
    assert len(fake.gateway.identifies) == 1 and fake.gateway.resumes == []
    assert fake.gateway.session is session and len(fake.gateway.connections) == 1
    skipped = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert any("MESSAGE_CREATE" in line for line in skipped)
    assert [t.ws for t in keep_alive_threads()] == [bot.client.ws]  # none left behind


def keep_alive_threads() -> list[KeepAliveHandler]:
    return [t for t in threading.enumerate() if isinstance(t, KeepAliveHandler) and t.is_alive()]


async def test_a_missing_members_intent_is_reported_clearly(facilitator: Facilitator) -> None:
    server = await build(FakeDiscord(privileged_intents=Intent.MESSAGE_CONTENT)).start()
    try:
        with pointed_at(server):
            adapter = adapter_for(facilitator, server)
            with pytest.raises(DiscordStartError, match="turn on SERVER MEMBERS INTENT \\("):
                await adapter.start()
            await adapter.stop()
    finally:
        await server.stop()


async def test_edits_and_deletions_reach_what_the_model_reads(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    typo = await fake.dispatch_message(GENERAL, fake.users[BOB], "We leave at 7.")
    secret = await fake.dispatch_message(GENERAL, fake.users[BOB], "my door code is 4451")
    await asyncio.sleep(0.2)
    await fake.dispatch_message_update(typo, "We leave at 8, not 7.")
    await fake.dispatch_message_delete(secret)
    await asyncio.sleep(0.2)
    await fake.dispatch_message(GENERAL, fake.users[ANN], f"<@{fake.bot_id}> when?", mentions=[fake.bot_user])
    await until(lambda: answers(fake))
    await facilitator.idle()
    seen = fake_model.received[0].text
    assert "We leave at 8, not 7." in seen and "4451" not in seen


async def test_a_command_in_a_dm_is_answered_ephemerally(parley: DiscordDriver, fake: FakeDiscord) -> None:
    async with parley.running():
        dm = parley.direct(ALICE)
        answer = await parley.command(dm, ALICE, "instructions Sign every answer with a smile")
        await parley.core.idle()
    [response] = fake.interaction_responses
    assert response["ephemeral"] and response["data"]["content"] == answer
    assert "direct chat only" in answer and parley.posted(dm) == []
