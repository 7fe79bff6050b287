"""What Parley posts on Slack and how (adapters/slack/sending.py, render.py): one message posted
and updated without native streaming, a very long answer going on in the thread, mrkdwn that
pings nobody, rate limits waited out, reactions by Slack's names. The real slack-bolt app and
slack-sdk against the loopback fake, the real core."""

from __future__ import annotations

import time

from facilitator.actions import React
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import FakeSlack
from tests.support import until
from tests.support.slack import SlackDriver


async def test_without_native_streaming_one_message_is_posted_and_updated(
    fake: FakeSlack, room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake.streaming_available = False
    fake_model.script(Reply(text="word " * 40, chunk_size=8, chunk_delay=0.03))
    room.adapter.sender.update_seconds = 0.3
    mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> talk to me")
    await room.deliver(mention)
    await until(lambda: fake.posted("C1") and fake.posted("C1")[0].strip() == ("word " * 40).strip())
    await facilitator.idle()
    assert len(fake.calls_of("chat.postMessage")) == 1
    assert len(fake.calls_of("chat.update")) >= 2


async def test_a_very_long_answer_goes_on_in_the_thread_and_its_stream_is_closed(
    room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    sentence = "This is one more sentence of a very long answer. "
    fake_model.script(Reply(text=sentence * 400, chunk_size=500))  # 20,000 characters
    mention = room.fake.event_app_mention("C1", "U1", f"<@{room.fake.bot_user_id}> tell me everything")
    await room.deliver(mention)
    await until(lambda: len(room.fake.posted("C1")) >= 2)
    await facilitator.idle()
    parts = room.fake.posted("C1", thread_ts=mention["event"]["ts"])
    assert len(parts) >= 2 and parts == room.fake.posted("C1")  # every part under the mention
    assert room.fake.calls_of("chat.stopStream")


async def test_markdown_becomes_mrkdwn_and_the_model_cannot_ping_everyone(
    fake: FakeSlack, room: SlackDriver, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    fake.streaming_available = False
    fake_model.script("**Note:** <!channel> meet at <the station> & @here")
    await room.deliver(fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> summary?"))
    await until(lambda: fake.posted("C1"))
    await facilitator.idle()
    text = fake.posted("C1")[0]
    assert text.startswith("*Note:*")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&lt;the station&gt; &amp;" in text
    assert "@here" not in text


async def test_rate_limits_are_waited_out(room: SlackDriver, facilitator: Facilitator) -> None:
    room.fake.user("U1", "Alice Liddell")
    dm = room.fake.im("U1")
    room.fake.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    started = time.monotonic()
    await room.deliver(room.fake.event_message(dm, "U1", "hi"))
    await until(lambda: room.fake.posted(dm["id"]))
    await facilitator.idle()
    assert time.monotonic() - started >= 1.0


async def test_reactions_use_slack_names(room: SlackDriver) -> None:
    said = room.fake.event_message("C1", "U1", "we won!")
    where = ConversationRef("slack", "C1")
    await room.adapter.perform(React(where, said["event"]["ts"], "🎉"))
    await room.adapter.perform(React(where, said["event"]["ts"], "🦀"))  # no name known: skipped
    assert [c["name"] for c in room.fake.calls_of("reactions.add")] == ["tada"]
