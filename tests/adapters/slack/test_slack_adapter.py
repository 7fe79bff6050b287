"""The Slack adapter end to end: the real slack-bolt AsyncApp behind Parley's own HTTP server
(requests signed as Slack signs them) and over Socket Mode, against the loopback fake of the
Web API, with the real core, store and model client."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from adapters.slack.adapter import SlackAdapter, SlackConfig
from facilitator.actions import React
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from tests.adapters.slack.room import SECRET, SlackRoom, setup_channel, until
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign


async def test_a_mention_is_answered_in_a_thread_under_it_with_native_streaming(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
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


async def test_without_native_streaming_one_message_is_posted_and_updated(
    fake: FakeSlack, room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake.streaming_available = False
    fake_model.script(Reply(text="word " * 40, chunk_size=8, chunk_delay=0.03))
    setup_channel(fake)
    room.adapter.sender.update_seconds = 0.3
    mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> talk to me")
    await room.deliver(mention)
    await until(lambda: fake.posted("C1") and fake.posted("C1")[0].strip() == ("word " * 40).strip())
    await facilitator.idle()
    assert len(fake.calls_of("chat.postMessage")) == 1
    assert len(fake.calls_of("chat.update")) >= 2


async def test_a_thread_where_it_answered_is_spoken_to_and_keeps_its_context(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
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


async def test_a_dm_is_answered_in_its_flow(room: SlackRoom, facilitator: Facilitator) -> None:
    room.fake.user("U1", "Alice Liddell", display_name="alice")
    dm = room.fake.im("U1")
    await room.deliver(room.fake.event_message(dm, "U1", "hi there"))
    await until(lambda: room.fake.posted(dm["id"]))
    await facilitator.idle()
    assert room.fake.posted(dm["id"]) == ["Hello from the fake model."]
    assert all(call.get("thread_ts") in (None, "") for call in room.fake.calls_of("chat.postMessage"))


async def test_markdown_becomes_mrkdwn_and_the_model_cannot_ping_everyone(
    fake: FakeSlack, room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake.streaming_available = False
    fake_model.script("**Note:** <!channel> meet at <the station> & @here")
    setup_channel(fake)
    await room.deliver(fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> summary?"))
    await until(lambda: fake.posted("C1"))
    await facilitator.idle()
    text = fake.posted("C1")[0]
    assert text.startswith("*Note:*")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&lt;the station&gt; &amp;" in text
    assert "@here" not in text


async def test_forged_and_stale_requests_get_401_and_url_verification_is_answered(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
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
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
    mention = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> once please")
    assert await room.deliver(mention) == 200
    assert await room.deliver(mention, retry_num=1, retry_reason="http_timeout") == 200
    await until(lambda: room.fake.posted("C1"))
    await asyncio.sleep(0.2)
    await facilitator.idle()
    assert len(fake_model.received) == 1
    assert len(room.fake.posted("C1")) == 1


async def test_slash_commands_are_acknowledged_at_once_and_admin_only_settings_hold(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
    started = time.monotonic()
    status, _ = await room.command(room.fake.slash_command("C1", "U2", "mode off"))
    assert status == 200 and time.monotonic() - started < 3
    await until(lambda: room.fake.posted("C1"))
    assert "admin" in room.fake.posted("C1")[-1].lower()
    await room.command(room.fake.slash_command("C1", "UADMIN", "mode off"))
    await until(lambda: len(room.fake.posted("C1")) == 2)
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> hello?"))
    await asyncio.sleep(0.3)
    await facilitator.idle()
    assert fake_model.received == []  # mode off


async def test_private_command_answers_are_ephemeral(room: SlackRoom, facilitator: Facilitator) -> None:
    setup_channel(room.fake)
    await room.command(room.fake.slash_command("C1", "U1", "usage"))
    await until(lambda: room.fake.ephemeral.get("U1"))
    await facilitator.idle()
    assert "answers" in room.fake.ephemeral["U1"][0]
    assert room.fake.posted("C1") == []


async def test_a_channel_over_the_size_limit_gets_one_notice(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake, members=30)
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> hi"))
    await until(lambda: room.fake.posted("C1") or room.fake.posted("C1", thread_ts=None))
    await facilitator.idle()
    assert fake_model.received == []
    assert any("20" in text for text in room.fake.posted("C1"))


async def test_rate_limits_are_waited_out(room: SlackRoom, facilitator: Facilitator) -> None:
    room.fake.user("U1", "Alice Liddell")
    dm = room.fake.im("U1")
    room.fake.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    started = time.monotonic()
    await room.deliver(room.fake.event_message(dm, "U1", "hi"))
    await until(lambda: room.fake.posted(dm["id"]))
    await facilitator.idle()
    assert time.monotonic() - started >= 1.0


async def test_edits_and_deletions_reach_what_the_model_reads(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(room.fake)
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


async def test_reactions_use_slack_names(room: SlackRoom) -> None:
    setup_channel(room.fake)
    said = room.fake.event_message("C1", "U1", "we won!")
    where = ConversationRef("slack", "C1")
    await room.adapter.perform(React(where, said["event"]["ts"], "🎉"))
    await room.adapter.perform(React(where, said["event"]["ts"], "🦀"))  # no name known: skipped
    assert [c["name"] for c in room.fake.calls_of("reactions.add")] == ["tada"]


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
    room: SlackRoom, facilitator: Facilitator
) -> None:
    setup_channel(room.fake)
    for raw in ("{not json", json.dumps({"type": "event_callback", "event": {"type": "message"}}), "[]"):
        async with room.http.post(
            room.url, data=raw, headers=sign(raw, SECRET, content_type="application/json")
        ) as response:
            assert response.status < 500
    await room.deliver(room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> still there?"))
    await until(lambda: room.fake.posted("C1"))
    await facilitator.idle()
    assert room.fake.posted("C1") == ["Hello from the fake model."]


async def test_a_very_long_answer_goes_on_in_messages_of_its_own(
    room: SlackRoom, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    sentence = "This is one more sentence of a very long answer. "
    fake_model.script(Reply(text=sentence * 400, chunk_size=500))  # 20,000 characters
    setup_channel(room.fake)
    mention = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> tell me everything")
    await room.deliver(mention)
    await until(lambda: len(room.fake.posted("C1")) >= 2)
    await facilitator.idle()
    parts = room.fake.posted("C1", thread_ts=mention["event"]["ts"])
    assert len(parts) >= 2 and all(len(part) <= 12_500 for part in parts)
    assert "".join(parts).replace(" ", "") == (sentence * 400).replace(" ", "")
    assert room.fake.calls_of("chat.stopStream")


async def test_a_changed_profile_is_known_before_the_member_speaks_again(
    room: SlackRoom, facilitator: Facilitator, store: Any
) -> None:
    setup_channel(room.fake)
    await room.deliver(room.fake.event_message("C1", "U2", "hello all"))
    await asyncio.sleep(0.2)
    await room.deliver(room.fake.event_user_change("U2", display_name="captain.bob"))
    where = ConversationRef("slack", "C1")
    for _ in range(100):
        if [m.name for m in await store.members(where, 10)] == ["captain.bob"]:
            break
        await asyncio.sleep(0.02)
    assert [m.name for m in await store.members(where, 10)] == ["captain.bob"]
