"""The model's tools and eyes on Discord, through the whole stack: the real discord.py client
against the loopback fake (REST, gateway, CDN), the real core and SQLite store, the real openai
client and its loopback server scripted to call `react` or `create_image`, or shown a photo."""

from __future__ import annotations

import base64
import io

from PIL import Image

from facilitator.store.sqlite import SqliteStore
from tests.adapters.discord.helpers import ANN, GENERAL, answers, mention, parley_running
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Reply, png


async def test_the_model_reacts_to_a_mention_instead_of_answering(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(Reply(text="", tool_calls=[{"name": "react", "arguments": {"emoji": "👍"}}]))
    async with parley_running(fake, fake_model, store) as (core, _):
        said = await fake.dispatch_message(
            GENERAL, ANN, f"{mention(fake)} we booked the cabin!", mentions=[fake.bot_user]
        )
        await fake.until(lambda: fake.reactions.get((GENERAL, int(said["id"]))))
        await core.idle()
    assert fake.reactions[(GENERAL, int(said["id"]))] == ["👍"]
    [put] = fake.calls_of("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    assert put["path"].startswith(f"/channels/{GENERAL}/messages/{said['id']}/reactions/")
    assert "react" in fake_model.received[0].tools
    assert answers(fake) == [] and fake.calls_of("POST", "/channels/{channel_id}/messages") == []


async def test_with_vision_the_model_sees_the_image_a_member_attached(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    photo = fake.attachment(GENERAL, "cabin.png", png(320, 240, (30, 140, 60)), "image/png")
    async with parley_running(fake, fake_model, store, vision=True) as (core, _):
        await fake.dispatch_message(
            GENERAL,
            ANN,
            f"{mention(fake)} what is in this picture?",
            mentions=[fake.bot_user],
            attachments=[photo],
        )
        await fake.until(lambda: answers(fake), within=10.0)
        await core.idle()
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
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "a red fox in snow"}}])
    )
    async with parley_running(fake, fake_model, store, image_generation=True) as (core, _):
        asked = await fake.dispatch_message(
            GENERAL, ANN, f"{mention(fake)} draw us a red fox", mentions=[fake.bot_user]
        )
        await fake.until(lambda: fake.uploads, within=15.0)
        await core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert "red fox" in fake_model.image_requests[0]["prompt"]
    [posted] = fake.uploads
    assert posted["channel_id"] == GENERAL and posted["field"] == "files[0]"
    assert posted["data"].startswith(b"\x89PNG")  # the picture the image model made
    assert (
        posted["message_reference"] is None or str(posted["message_reference"]["message_id"]) == asked["id"]
    )
