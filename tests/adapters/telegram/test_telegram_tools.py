"""The model's tools on Telegram, through the whole stack: the real python-telegram-bot polling the
loopback Bot API fake, the real core and SQLite store, the real openai client and its loopback
server scripted to call `react` or `create_image`, or shown a member's photo."""

from __future__ import annotations

import base64
import io

from PIL import Image

from facilitator.auto.room import AutoLimits
from facilitator.store.sqlite import SqliteStore
from tests.adapters.telegram.helpers import GROUP_ID, bot_texts, mention, parley_running, until
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.telegram_api import FakeTelegram, jpeg


async def test_the_model_reacts_to_a_mention_instead_of_answering(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(Reply(text="", tool_calls=[{"name": "react", "arguments": {"emoji": "👍"}}]))
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley_running(telegram, fake_model, store) as (core, _):
        update = telegram.push_message(group, alice, f"{mention(telegram)} we booked the cabin!")
        said = update["message"]["message_id"]
        await until(lambda: telegram.reactions.get((GROUP_ID, said)))
        await core.idle()
    assert telegram.reactions[(GROUP_ID, said)] == ["👍"]
    assert "react" in fake_model.received[0].tools
    assert bot_texts(telegram, GROUP_ID) == [] and telegram.calls_of("sendMessage") == []


async def test_with_vision_the_model_sees_the_photo_a_member_posted(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley_running(telegram, fake_model, store, vision=True) as (core, _):
        telegram.push_message(
            group, alice, photo=jpeg(320, 240), caption=f"{mention(telegram)} what is in this picture?"
        )
        await until(lambda: bot_texts(telegram, GROUP_ID))
        await core.idle()
    [request] = fake_model.received
    assert "what is in this picture?" in request.text
    [image] = request.images
    prefix = "data:image/jpeg;base64,"
    assert image.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(image[len(prefix) :]))) as shown:
        assert shown.format == "JPEG"
    assert telegram.downloads  # fetched from Telegram's file server, with the bot's token


async def test_the_model_creates_an_image_that_is_posted_in_the_chat(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "a red fox in snow"}}])
    )
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    async with parley_running(telegram, fake_model, store, image_generation=True) as (core, _):
        telegram.push_message(group, alice, f"{mention(telegram)} draw us a red fox")
        await until(lambda: telegram.photos, within=15.0)
        await core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert "red fox" in fake_model.image_requests[0]["prompt"]
    [posted] = telegram.photos
    assert posted["chat_id"] == GROUP_ID
    assert posted["data"].startswith(b"\x89PNG")  # the picture the image model made


async def test_auto_mode_in_a_group_hidden_by_privacy_mode_says_how_to_fix_it(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    telegram.can_read_all_group_messages = False  # BotFather's default
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.add_admin(group, alice)
    async with parley_running(telegram, fake_model, store) as (core, _):
        telegram.push_message(group, alice, "/parley mode auto")
        await until(lambda: bot_texts(telegram, GROUP_ID))
        await core.idle()
    [answer] = bot_texts(telegram, GROUP_ID)
    assert "privacy mode" in answer and "/setprivacy" in answer and "admin" in answer


async def test_auto_mode_joins_in_on_a_question_nobody_answers(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    quick = AutoLimits(question_wait_seconds=0.3, settle_seconds=0.05, cooldown_seconds=0, recheck_seconds=0)
    arguments = {"action": "reply", "message": "The museum opens at 10.", "reason": "an open question"}
    fake_model.script(Reply(text="", tool_calls=[{"name": "decide", "arguments": arguments}]))
    alice, bob = telegram.user(11, "Alice"), telegram.user(12, "Bob")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.add_admin(group, alice)
    async with parley_running(telegram, fake_model, store, auto=quick) as (core, _):
        telegram.push_message(group, alice, "/parley mode auto")
        await until(lambda: bot_texts(telegram, GROUP_ID))
        telegram.push_message(group, bob, "hi all")
        telegram.push_message(group, bob, "does anyone know when the museum opens on sunday?")
        await until(lambda: "The museum opens at 10." in bot_texts(telegram, GROUP_ID))
        await core.idle()
    [decision] = fake_model.received
    assert decision.tools == ["decide"] and "museum opens" in decision.text
