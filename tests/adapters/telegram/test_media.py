"""Images on Telegram through the real python-telegram-bot and the loopback fake: what the bot can
fetch for a vision model, the pictures it posts, and, through the whole stack (the real core and
store, the loopback model server), the model seeing a member's photo or making a picture."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
import traceback
from typing import Any

import pytest
from PIL import Image

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.events import translate
from facilitator.actions import Delivered, SendImage
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.events import MessageReceived
from facilitator.ports import MediaError
from tests.fakes.openai_server import FakeOpenAI, Reply, png
from tests.fakes.telegram_api import FakeTelegram, jpeg
from tests.support import until
from tests.support.driver import ALICE, TRIP
from tests.support.telegram import GROUP_ID, TelegramDriver, mention

GROUP = ConversationRef("telegram", str(GROUP_ID))


def attachment_ref(bot: TelegramAdapter, update: dict[str, Any]) -> str:
    """The reference the adapter hands the core for the photo in `update`."""
    assert bot.identity is not None
    [event] = translate(update, bot.identity)
    assert isinstance(event, MessageReceived)
    url = event.message.attachments[0].url
    assert url is not None
    return url


# --- fetch_image -------------------------------------------------------------------------------


async def test_a_photo_a_member_posted_is_fetched(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    picture = jpeg(64, 48)
    update = telegram.push_message(group, alice, photo=picture, caption="our tent")
    assert await bot.fetch_image(attachment_ref(bot, update), 1_000_000) == picture


async def test_a_members_profile_photo_is_fetched(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator, store: Any
) -> None:
    alice = telegram.user(11, "Alice")
    face = jpeg(80, 80, (250, 200, 180))
    telegram.add_profile_photo(alice, face)
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.push_message(group, alice, "hi")
    await until(lambda: telegram.calls_of("getUserProfilePhotos"))
    await asyncio.sleep(0.2)
    telegram.push_message(group, alice, "hi again")  # carries the photo found meanwhile
    await asyncio.sleep(0.3)
    await facilitator.idle()
    [member] = await store.members(GROUP, 10)
    assert member.photo_url is not None
    assert await bot.fetch_image(member.photo_url, 1_000_000) == face


async def test_a_link_is_never_fetched(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    calls = len(telegram.calls)
    for ref in ("https://example.com/me.jpg", "http://127.0.0.1:1/x.png", "tg-file:", "file_id_only"):
        with pytest.raises(MediaError):
            await bot.fetch_image(ref, 1_000_000)
    assert len(telegram.calls) == calls and telegram.downloads == []  # not a single request


async def test_an_image_over_the_limit_is_refused(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    big = telegram.add_file(jpeg(200, 200), file_path="photos/big.jpg")
    with pytest.raises(MediaError, match="larger than 500 bytes"):
        await bot.fetch_image(f"tg-file:{big['file_id']}", 500)
    assert telegram.downloads == []  # getFile's file_size was enough to say no
    unsized = telegram.add_file(jpeg(200, 200), file_path="photos/unsized.jpg", report_size=False)
    with pytest.raises(MediaError, match="larger than 500 bytes"):
        await bot.fetch_image(f"tg-file:{unsized['file_id']}", 500)
    assert telegram.downloads == ["photos/unsized.jpg"]
    telegram.max_download_bytes = 1000  # what Telegram's cloud will not hand to a bot at all
    with pytest.raises(MediaError, match="too big"):
        await bot.fetch_image(f"tg-file:{big['file_id']}", 10_000_000)


async def test_a_missing_file_fails_without_showing_the_token(
    telegram: FakeTelegram, bot: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gone = telegram.add_file(jpeg(), file_path="photos/gone.jpg")
    telegram.remove_file(gone["file_id"])
    expired = telegram.add_file(jpeg(), file_path="photos/expired.jpg")
    telegram.fail_next_download(404)
    failures = []
    for ref in (f"tg-file:{gone['file_id']}", f"tg-file:{expired['file_id']}"):
        with pytest.raises(MediaError) as caught:
            await bot.fetch_image(ref, 1_000_000)
        failures.append(caught.value)
    assert "404" in str(failures[1])  # the download itself failed
    secret = telegram.token.split(":", 1)[1]
    for failure in failures:
        assert secret not in "".join(traceback.format_exception(failure))  # chained ones too
    ours = [r for r in caplog.records if r.name.startswith(("adapters", "facilitator"))]
    assert all(secret not in r.getMessage() for r in ours)


# --- SendImage ---------------------------------------------------------------------------------


async def test_an_image_is_posted_in_the_group_as_a_reply(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    asked = telegram.push_message(group, alice, "draw our tent")["message"]["message_id"]
    picture = png(120, 80)
    caption = "Your tent, <b>not</b> bold & plain"
    delivered = await bot.perform(SendImage(GROUP, picture, "tent.png", caption=caption, reply_to=str(asked)))
    [posted] = telegram.photos
    assert posted["chat_id"] == GROUP_ID and posted["data"] == picture and posted["filename"] == "tent.png"
    assert posted["reply_to_message_id"] == asked
    assert posted["caption"] == caption  # shown as written: no markup read into it
    assert delivered == Delivered(((str(posted["message_id"]), caption),))


async def test_an_image_goes_to_the_forum_topic_even_if_its_question_was_deleted(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    telegram.group(GROUP_ID, "Club", forum=True)
    topic = ConversationRef("telegram", str(GROUP_ID), "77")
    await bot.perform(SendImage(topic, png(), caption="for the topic", reply_to="9999"))
    [posted] = telegram.photos
    assert posted["message_thread_id"] == 77 and posted["caption"] == "for the topic"
    assert posted["reply_to_message_id"] is None  # posted without the reply, not lost


async def test_a_long_caption_is_cut_to_telegrams_limit(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    caption = "A very detailed picture of a fox. " * 60
    delivered = await bot.perform(SendImage(GROUP, png(), caption=caption))
    [posted] = telegram.photos
    assert len(posted["caption"]) <= 1024 and posted["caption"].endswith("…")
    assert caption.startswith(posted["caption"][:-1])
    assert delivered is not None and delivered.text == posted["caption"]


async def test_flood_control_on_an_image_is_waited_out(telegram: FakeTelegram, bot: TelegramAdapter) -> None:
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.fail_next("sendPhoto", 429, retry_after=1)
    started = time.monotonic()
    await bot.perform(SendImage(GROUP, png(), caption="patience"))
    assert time.monotonic() - started >= 1.0
    assert len(telegram.calls_of("sendPhoto")) == 2 and len(telegram.photos) == 1


# --- through the whole stack -------------------------------------------------------------------


async def test_with_vision_the_model_sees_the_photo_a_member_posted(
    parley: TelegramDriver, telegram: FakeTelegram, fake_model: FakeOpenAI
) -> None:
    async with parley.running(vision=True):
        asked = f"{mention(telegram)} what is in this picture?"
        telegram.push_message(parley.chats[TRIP], parley.users[ALICE], photo=jpeg(320, 240), caption=asked)
        await until(lambda: parley.posted(TRIP))
        await parley.core.idle()
    [request] = fake_model.received
    assert "what is in this picture?" in request.text
    [image] = request.images
    prefix = "data:image/jpeg;base64,"
    assert image.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(image[len(prefix) :]))) as shown:
        assert shown.format == "JPEG"
    assert telegram.downloads  # fetched from Telegram's file server, with the bot's token


async def test_the_model_creates_an_image_that_is_posted_in_the_chat(
    parley: TelegramDriver, telegram: FakeTelegram, fake_model: FakeOpenAI
) -> None:
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "a red fox in snow"}}])
    )
    async with parley.running(image_generation=True):
        await parley.mention(TRIP, ALICE, "draw us a red fox")
        await until(lambda: telegram.photos, within=15.0)
        await parley.core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert "red fox" in fake_model.image_requests[0]["prompt"]
    [posted] = telegram.photos
    assert posted["chat_id"] == GROUP_ID
    assert posted["data"].startswith(b"\x89PNG")  # the picture the image model made
