"""The Slack adapter end to end: the real slack-bolt AsyncApp behind Parley's own HTTP server
(requests signed as Slack signs them) and over Socket Mode, against the loopback fake of the
Web API, with the real core, store and model client; `auto` mode carried out by the Slack SDK.
What must hold on every platform is in tests/scenarios/; here, what Slack does its own way."""

from __future__ import annotations

import asyncio
import json
import time

from adapters.slack.adapter import SlackAdapter, SlackConfig
from facilitator.core import Facilitator
from facilitator.events import MessageDeleted
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign
from tests.fakes.slack_manifest import manifest
from tests.support import until
from tests.support.auto import QUICK, decide
from tests.support.driver import ALICE, TRIP
from tests.support.heard import Heard
from tests.support.slack import SECRET, SlackDriver, setup_channel


async def test_a_mention_is_answered_in_a_thread_under_it_with_native_streaming(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    await room.deliver(room.fake.event_message("C1", "U2", "The train leaves at 9:40."))
    mention = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> when do we leave?")
    assert await room.deliver(mention) == 200
    await until(lambda: room.fake.posted("C1"))
    await facilitator.idle()
    root = mention["event"]["ts"]
    assert room.fake.posted("C1", thread_ts=root) == ["Hello from the fake model."]
    started = room.fake.calls_of("chat.startStream")[0]
    assert started["thread_ts"] == root and started["recipient_user_id"] == "U1"
    assert "9:40" in fake_model.received[0].text and "Alice" not in fake_model.received[0].text.split("\n")[0]


async def test_a_thread_where_it_answered_is_spoken_to_and_keeps_its_context(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    mention = room.fake.event_app_mention(
        "C1", "U1", f"<@{room.fake.bot_user_id}> pick a restaurant near the lake"
    )
    await room.deliver(mention)
    root = mention["event"]["ts"]
    await until(lambda: room.fake.posted("C1", thread_ts=root))
    await facilitator.idle()
    await room.deliver(room.fake.event_message("C1", "U2", "and one that is open on Sunday?", thread_ts=root))
    await until(lambda: len(room.fake.posted("C1", thread_ts=root)) == 2)
    await facilitator.idle()
    assert len(fake_model.received) == 2
    assert "near the lake" in fake_model.received[1].text  # the thread's first message, fetched
    assert "open on Sunday" in fake_model.received[1].text
    assert [status["thread_ts"] for status in room.fake.statuses] == [root]  # "is thinking…" in the thread


async def test_a_dm_is_answered_in_its_flow(room: SlackDriver, facilitator: Facilitator) -> None:
    room.fake.user("U1", "Alice Liddell", display_name="alice")
    dm = room.fake.im("U1")
    await room.deliver(room.fake.event_message(dm, "U1", "hi there"))
    await until(lambda: room.fake.posted(dm["id"]))
    await facilitator.idle()
    assert room.fake.posted(dm["id"]) == ["Hello from the fake model."]
    assert all(call.get("thread_ts") in (None, "") for call in room.fake.calls_of("chat.postMessage"))


async def test_forged_and_stale_requests_get_401_and_url_verification_is_answered(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    body = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> forged")
    raw = json.dumps(body)
    forged = sign(raw, "not-the-secret")
    async with room.http.post(room.url, data=raw, headers=forged) as response:
        assert response.status == 401
    assert await room.deliver(body, timestamp=int(time.time()) - 6 * 60) == 401
    challenge = room.fake.url_verification("abc123")
    raw = json.dumps(challenge)
    async with room.http.post(room.url, data=raw, headers=sign(raw, SECRET)) as response:
        assert response.status == 200 and "abc123" in await response.text()
    await asyncio.sleep(0.2)
    await facilitator.idle()
    assert fake_model.received == [] and room.fake.posted("C1") == []


async def test_a_retried_delivery_gets_200_and_no_second_answer(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    mention = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> once please")
    assert await room.deliver(mention) == 200
    assert await room.deliver(mention, retry_num=1, retry_reason="http_timeout") == 200
    await until(lambda: room.fake.posted("C1"))
    await asyncio.sleep(0.2)
    await facilitator.idle()
    assert len(fake_model.received) == 1
    assert len(room.fake.posted("C1")) == 1


async def test_slash_commands_are_acknowledged_at_once_and_admin_only_settings_hold(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    started = time.monotonic()
    status, _ = await room.slash(room.fake.slash_command("C1", "U2", "mode off"))
    assert status == 200 and time.monotonic() - started < 3
    await until(lambda: room.fake.ephemeral.get("U2"))
    assert "admin" in room.fake.ephemeral["U2"][-1].lower()  # the refusal, to Bob alone
    assert room.fake.posted("C1") == []
    await room.slash(room.fake.slash_command("C1", "UADMIN", "mode off"))
    await until(lambda: room.fake.posted("C1"))  # the new mode, announced
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> hello?"))
    await asyncio.sleep(0.3)
    await facilitator.idle()
    assert fake_model.received == []  # mode off


async def test_private_command_answers_are_ephemeral(room: SlackDriver, facilitator: Facilitator) -> None:
    await room.slash(room.fake.slash_command("C1", "U1", "usage"))
    await until(lambda: room.fake.ephemeral.get("U1"))
    await facilitator.idle()
    assert "answers" in room.fake.ephemeral["U1"][0]
    assert room.fake.posted("C1") == []


async def test_edits_and_deletions_reach_what_the_model_reads(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    typo = room.fake.event_message("C1", "U2", "We leave at 7.")
    secret = room.fake.event_message("C1", "U2", "my door code is 4451")
    await room.deliver(typo)
    await room.deliver(secret)
    await asyncio.sleep(0.3)  # Slack sends an edit or a deletion after the message it changes
    await room.deliver(room.fake.event_message_changed("C1", typo["event"]["ts"], "We leave at 8, not 7."))
    await room.deliver(room.fake.event_message_deleted("C1", secret["event"]["ts"]))
    await asyncio.sleep(0.3)
    await room.deliver(room.fake.event_message("C1", "U2", "<@U1> bot talk", bot_id="B0OTHER"))
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> when?"))
    await until(lambda: room.fake.posted("C1"))
    await facilitator.idle()
    seen = fake_model.received[0].text
    assert "We leave at 8, not 7." in seen and "4451" not in seen and "bot talk" not in seen


async def test_socket_mode_receives_events_and_acknowledges_them(
    fake: FakeSlack, facilitator: Facilitator
) -> None:
    setup_channel(fake)
    adapter = SlackAdapter(
        facilitator,
        SlackConfig(bot_token=fake.bot_token, app_token=fake.app_token, api_base_url=fake.base_url),
    )
    await adapter.start()
    try:
        envelope = await fake.socket_send(fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> hi"))
        await fake.wait_ack(envelope)
        await until(lambda: fake.posted("C1"))
        await facilitator.idle()
    finally:
        await adapter.stop()
    assert fake.posted("C1") == ["Hello from the fake model."]


async def test_a_malformed_body_gets_a_4xx_and_the_app_goes_on(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    for raw in ("{not json", json.dumps({"type": "event_callback", "event": {"type": "message"}}), "[]"):
        async with room.http.post(
            room.url, data=raw, headers=sign(raw, SECRET, content_type="application/json")
        ) as response:
            assert response.status < 500
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> still there?"))
    await until(lambda: room.fake.posted("C1"))
    await facilitator.idle()
    assert room.fake.posted("C1") == ["Hello from the fake model."]


async def test_the_first_use_notice_is_an_ephemeral_in_the_channel_where_the_member_spoke(
    parley: SlackDriver, fake: FakeSlack
) -> None:
    async with parley.running(first_use_notice=True):
        await parley.ask(TRIP, ALICE, "hello!")
        await until(lambda: parley.told_alone(ALICE))
    assert [call["channel"] for call in fake.calls_of("chat.postEphemeral")] == ["C1"]


async def test_a_command_in_the_dm_is_answered_in_the_dm_not_as_an_ephemeral(parley: SlackDriver) -> None:
    async with parley.running():
        dm = parley.direct(ALICE)
        answer = await parley.command(dm, ALICE, "instructions Sign every answer with a smile")
        await parley.core.idle()
    assert parley.posted(dm) == [answer] and parley.told_alone(ALICE) == []


async def test_an_unanswered_question_in_an_auto_channel_gets_the_reply_the_model_chose(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    fake_model.script(decide("reply", message="The ferry leaves at *7:40*."))
    async with parley.running(auto=QUICK) as room:
        await room.slash(fake.slash_command("C1", "UADMIN", "mode auto"))
        asked = fake.event_message("C1", "U1", "does anyone know when the first ferry leaves tomorrow?")
        await room.deliver(asked)
        await until(lambda: any("7:40" in text for text in fake.posted("C1", asked["event"]["ts"])))
        await room.core.idle()
    [decision] = fake_model.received
    assert decision.tools == ["decide"]
    assert "first ferry" in decision.text


async def test_a_question_someone_answers_costs_no_call_and_small_talk_none_either(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    async with parley.running(auto=QUICK) as room:
        await room.slash(fake.slash_command("C1", "UADMIN", "mode auto"))
        for user, text in [
            ("U1", "morning all!"),
            ("U1", "does anyone know when the first ferry leaves tomorrow?"),
            ("U2", "the first ferry is at 7:40, I checked"),
            ("U1", "lol perfect"),
        ]:
            await room.deliver(fake.event_message("C1", user, text))
        await asyncio.sleep(0.6)
        await room.core.idle()
    assert fake_model.received == []


async def test_the_model_can_choose_to_react_and_stop_chiming_in_is_heard(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    fake_model.script(decide("react", emoji="👍"))
    async with parley.running(auto=QUICK) as room:
        await room.slash(fake.slash_command("C1", "UADMIN", "mode auto"))
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
        await room.core.idle()
    assert len(fake_model.received) == 1  # the reaction's decision; nothing after the request


async def test_every_event_the_manifest_subscribes_to_is_taken_not_refused(
    room: SlackDriver, facilitator: Facilitator
) -> None:
    """Bolt answers 404 to an event nothing listens to, and Slack retries it and may end the
    subscription: each event docs/slack-manifest.yml asks for must find its listener."""
    fake = room.fake
    said = fake.event_message("C1", "U1", "hello")
    joined = fake.event_member_joined("C1", "U2")
    left = {**joined, "event": {**joined["event"], "type": "member_left_channel"}}
    bodies = {
        "app_mention": fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> hi"),
        "member_joined_channel": joined,
        "member_left_channel": left,
        "message": said,
        "reaction_added": fake.event_reaction_added("C1", "U2", said["event"]["ts"], "tada"),
        "user_change": fake.event_user_change("U1", display_name="alice2"),
    }
    subscribed = {name.split(".")[0] for name in manifest()["settings"]["event_subscriptions"]["bot_events"]}
    assert subscribed == set(bodies)
    for kind, body in bodies.items():
        assert await room.deliver(body) == 200, kind
    await facilitator.idle()


async def test_the_app_s_own_events_reach_the_core_only_as_the_deletion_of_its_message(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    """Bolt's filter of the app's own events is off (it would drop the deletion of one of its
    messages, a member's feedback on auto mode): events.py leaves out the rest itself."""
    heard = Heard(facilitator)
    room.adapter._core = heard  # what the adapter hands the core, recorded
    bot = room.fake.bot_user_id
    own = room.fake.event_message("C1", bot, "my own words")
    await room.deliver(own)
    await room.deliver(room.fake.event_message_changed("C1", own["event"]["ts"], "my own words, edited"))
    await room.deliver(room.fake.event_reaction_added("C1", bot, own["event"]["ts"], "eyes"))
    await room.deliver(room.fake.event_user_change(bot, display_name="Parley 2"))
    assert heard.events == []
    await room.deliver(room.fake.event_message_deleted("C1", own["event"]["ts"]))
    [deleted] = heard.events
    assert isinstance(deleted, MessageDeleted) and deleted.message_id == own["event"]["ts"]
