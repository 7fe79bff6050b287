"""Images on Discord: what the bot fetches from the CDN (never with its token) and the pictures it
posts, through the real discord.py client and the adapter against the loopback fake's REST API,
gateway and CDN; and through the whole stack (the real core and store, the loopback model
server) the model seeing a member's image or making one."""

from __future__ import annotations

import base64
import io
import socket

import pytest
from PIL import Image

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.events import DiscordIdentity, member_of, translate
from adapters.discord.media import DiscordMedia
from facilitator.actions import Delivered, SendImage
from facilitator.chat import ConversationRef
from facilitator.ports import MediaError
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Reply, png
from tests.support import until
from tests.support.discord import ANN, GENERAL, DiscordDriver, answers, mention
from tests.support.driver import ALICE, TRIP

HERE = ConversationRef("discord", str(GENERAL))


def attachment_url(fake: FakeDiscord, payload: dict[str, object], bot_id: int) -> str:
    """The attachment's address as the adapter's translation hands it to the core."""
    [event] = translate("MESSAGE_CREATE", payload, DiscordIdentity(str(bot_id)), "guild")
    [attachment] = event.message.attachments  # type: ignore[union-attr]
    assert attachment.url is not None and attachment.kind == "image"
    return attachment.url


# --- downloads ----------------------------------------------------------------------------------


async def test_an_attachment_and_an_avatar_are_downloaded_and_the_token_stays_home(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    photo, face = png(320, 200, (10, 120, 200)), png(128, 128, (250, 200, 0))
    sent = await fake.dispatch_message(
        GENERAL, ANN, "our cabin", attachments=[fake.attachment(GENERAL, "cabin.png", photo, "image/png")]
    )
    fake.set_avatar(ANN, face)
    avatar_url = member_of(fake.users[ANN]).avatar_url
    assert avatar_url is not None and avatar_url.startswith("https://cdn.discordapp.com/avatars/")

    assert await bot.fetch_image(attachment_url(fake, sent, fake.bot_id), 10_000_000) == photo
    assert await bot.fetch_image(avatar_url, 10_000_000) == face  # from the CDN the adapter points at

    assert [request["status"] for request in fake.cdn.requests] == [200, 200]
    for request in fake.cdn.requests:
        assert "Authorization" not in request["headers"]
        assert not any(fake.token in value for value in request["headers"].values())


@pytest.mark.parametrize(
    "ref",
    [
        "https://example.com/me.png",  # a profile photo a member set by link
        "http://cdn.discordapp.com/avatars/1/abc.png",  # not https
        "https://cdn.discordapp.com.example.net/avatars/1/abc.png",
        "https://someone@cdn.discordapp.com/avatars/1/abc.png",
        "https://cdn.discordapp.com/../api/v10/users/@me",
        "https://cdn.discordapp.com/app-icons/1/abc.png",  # Discord's, but not what Parley refers to
        "{rest}/users/@me",  # the fake's own API: not a file of the CDN
        "{cdn}/attachments/../api/v10/users/@me",
        "file:///etc/passwd",
        "not a url at all",
    ],
)
async def test_a_link_that_is_not_a_file_on_discords_cdn_is_never_fetched(
    fake: FakeDiscord, bot: DiscordAdapter, ref: str
) -> None:
    calls = len(fake.calls)
    with pytest.raises(MediaError, match="Discord's CDN"):
        await bot.fetch_image(ref.format(rest=fake.rest_base, cdn=fake.cdn_base), 10_000_000)
    assert fake.cdn.requests == [] and len(fake.calls) == calls


async def test_an_image_over_the_limit_is_refused_whether_declared_or_not(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    big = png(800, 800, (1, 2, 3)) + bytes(200_000)
    sent = await fake.dispatch_message(
        GENERAL, ANN, "huge", attachments=[fake.attachment(GENERAL, "huge.png", big, "image/png")]
    )
    url = attachment_url(fake, sent, fake.bot_id)
    with pytest.raises(MediaError, match="larger than 100000 bytes"):
        await bot.fetch_image(url, 100_000)  # Content-Length says so
    fake.cdn.chunked = True  # no Content-Length: the bytes read decide
    with pytest.raises(MediaError, match="larger than 100000 bytes"):
        await bot.fetch_image(url, 100_000)
    assert await bot.fetch_image(url, len(big)) == big
    assert len(fake.cdn.requests) == 3


async def test_a_file_gone_from_the_cdn_or_out_of_reach_is_a_media_error(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    with pytest.raises(MediaError, match="404"):
        await bot.fetch_image(f"https://cdn.discordapp.com/avatars/{ANN}/0123456789abcdef.png", 10_000_000)
    expired = fake.attachment(GENERAL, "old.png", png(), "image/png", expires_in=-60)
    with pytest.raises(MediaError, match="no longer"):
        await bot.fetch_image(expired["url"], 10_000_000)
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    images = DiscordMedia(f"http://127.0.0.1:{closed}")
    try:
        with pytest.raises(MediaError, match="failed"):
            await images.fetch(f"https://cdn.discordapp.com/avatars/{ANN}/0123456789abcdef.png", 1000)
    finally:
        await images.close()


# --- posting an image -----------------------------------------------------------------------------


async def test_an_image_is_posted_as_a_file_in_reply_with_a_caption_that_pings_nobody(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    picture = png(256, 256, (200, 30, 30))
    asked = await fake.dispatch_message(GENERAL, ANN, "draw a fox?")
    delivered = await bot.perform(
        SendImage(
            HERE, picture, name="fox.png", caption=f"@everyone a fox for <@{ANN}>", reply_to=asked["id"]
        )
    )
    [upload] = fake.uploads
    assert upload["channel_id"] == GENERAL and upload["field"] == "files[0]"
    assert upload["filename"] == "fox.png" and upload["data"] == picture
    assert str(upload["message_reference"]["message_id"]) == asked["id"]
    assert upload["message_reference"]["fail_if_not_exists"] is False
    posted = fake.message(GENERAL, upload["message_id"])
    assert posted is not None
    assert posted["mentions"] == [] and posted["mention_everyone"] is False
    assert posted["content"].replace("\u200b", "") == f"@everyone a fox for <@{ANN}>"
    assert delivered == Delivered(((posted["id"], posted["content"]),))
    [attachment] = posted["attachments"]
    assert attachment["content_type"] == "image/png" and (attachment["width"], attachment["height"]) == (
        256,
        256,
    )
    assert await bot.fetch_image(attachment["url"], 10_000_000) == picture  # as members now see it


async def test_an_image_goes_into_a_thread_named_by_its_type_with_a_caption_cut_to_fit(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    thread = fake.thread(GENERAL, "sketches", owner=ANN)
    await fake.dispatch_thread_create(thread)
    await until(lambda: bot.client.get_channel(int(thread["id"])))
    where = ConversationRef("discord", thread["id"])
    await bot.perform(SendImage(where, png(), name="image", mime_type="image/png", caption="so long. " * 300))
    await bot.perform(SendImage(where, b"\xff\xd8\xff\xe0 jpeg", name="photo.png", mime_type="image/jpeg"))
    first, second = fake.uploads
    assert first["channel_id"] == second["channel_id"] == int(thread["id"])
    assert first["filename"] == "image.png" and 0 < len(first["content"]) <= 2000
    assert second["filename"] == "photo.jpg" and second["content"] == ""
    assert answers(fake) == []  # nothing in the channel itself


# --- through the whole stack -------------------------------------------------------------------


async def test_with_vision_the_model_sees_the_image_a_member_attached(
    parley: DiscordDriver, fake: FakeDiscord, fake_model: FakeOpenAI
) -> None:
    photo = fake.attachment(GENERAL, "cabin.png", png(320, 240, (30, 140, 60)), "image/png")
    async with parley.running(vision=True):
        asked = f"{mention(fake)} what is in this picture?"
        await fake.dispatch_message(GENERAL, ANN, asked, mentions=[fake.bot_user], attachments=[photo])
        await until(lambda: parley.posted(TRIP))
        await parley.core.idle()
    [request] = fake_model.received
    assert "what is in this picture?" in request.text
    [image] = request.images
    prefix = "data:image/jpeg;base64,"
    assert image.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(image[len(prefix) :]))) as shown:
        assert shown.format == "JPEG"
    [download] = fake.cdn.requests  # from Discord's CDN, without the bot token
    assert download["path"] == f"/attachments/{GENERAL}/{photo['id']}/cabin.png"
    assert "Authorization" not in download["headers"]


async def test_the_model_creates_an_image_that_is_posted_in_the_channel(
    parley: DiscordDriver, fake: FakeDiscord, fake_model: FakeOpenAI
) -> None:
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "a red fox in snow"}}])
    )
    async with parley.running(image_generation=True):
        asked = await parley.mention(TRIP, ALICE, "draw us a red fox")
        await until(lambda: fake.uploads, within=15.0)
        await parley.core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert "red fox" in fake_model.image_requests[0]["prompt"]
    [posted] = fake.uploads
    assert posted["channel_id"] == GENERAL and posted["field"] == "files[0]"
    assert posted["data"].startswith(b"\x89PNG")  # the picture the image model made
    assert posted["message_reference"] is None or str(posted["message_reference"]["message_id"]) == asked
