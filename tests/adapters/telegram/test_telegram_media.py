"""Images on Telegram through the real python-telegram-bot and the loopback fake: what the bot can
fetch for a vision model, the pictures it posts, and what it tells a group it cannot see."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from typing import Any

import pytest

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.events import translate
from facilitator.actions import Delivered, SendImage
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.events import MessageReceived
from facilitator.ports import MediaError
from tests.adapters.telegram.helpers import GROUP_ID, until
from tests.fakes.openai_server import png
from tests.fakes.telegram_api import FakeTelegram, jpeg

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


# --- partial_view ------------------------------------------------------------------------------


async def test_privacy_mode_in_a_group_is_explained_with_the_fix(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.can_read_all_group_messages = False  # changed in BotFather while the bot runs
    note = await bot.partial_view(GROUP)
    assert note is not None
    assert "privacy mode" in note and "@BotFather" in note and "/setprivacy" in note
    assert f"@{telegram.username}" in note and "Disable" in note
    assert "admin" in note and "add me again" in note


async def test_an_admin_bot_sees_everything_despite_privacy_mode(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    telegram.can_read_all_group_messages = False
    telegram.add_admin(group, telegram.me)
    assert await bot.partial_view(GROUP) is None


async def test_without_privacy_mode_or_in_a_private_chat_nothing_is_hidden(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    alice = telegram.user(11, "Alice")
    telegram.private_chat(alice)
    telegram.group(GROUP_ID, "Trip", supergroup=True)
    assert await bot.partial_view(GROUP) is None  # the fake's default: privacy mode off
    telegram.can_read_all_group_messages = False
    assert await bot.partial_view(ConversationRef("telegram", "11", is_direct=True)) is None
