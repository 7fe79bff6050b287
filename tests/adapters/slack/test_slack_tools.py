"""The model's tools and eyes on Slack, through the whole stack: signed event deliveries to the real
slack-bolt app, the real core and SQLite store, the real openai client and its loopback server
scripted to call `react` or `create_image`, and the loopback Slack fake serving and taking files."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.adapters.slack.room import SlackRoom, open_room, setup_channel, until
from tests.conftest import core_with
from tests.fakes.openai_server import FakeOpenAI, Reply, png
from tests.fakes.slack_api import FakeSlack


@asynccontextmanager
async def parley(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore, **options: Any
) -> AsyncIterator[tuple[Facilitator, SlackRoom]]:
    """Parley on Slack with the core's options (vision, image generation) as an operator sets them."""
    async with core_with(fake_model, store, **options) as core, open_room(fake, core) as room:
        yield core, room


async def test_the_model_reacts_to_a_mention_instead_of_answering(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(Reply(text="", tool_calls=[{"name": "react", "arguments": {"emoji": "👍"}}]))
    setup_channel(fake)
    async with parley(fake, fake_model, store) as (core, room):
        mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> we booked the cabin!")
        await room.deliver(mention)
        said = mention["event"]["ts"]
        await until(lambda: fake.calls_of("reactions.add"))
        await core.idle()
    [reaction] = fake.message("C1", said)["reactions"]
    assert reaction["name"] in {"+1", "thumbsup"} and reaction["users"] == [fake.bot_user_id]
    assert "react" in fake_model.received[0].tools
    assert fake.posted("C1") == [] and fake.calls_of("chat.postMessage") == []


async def test_with_vision_the_model_sees_the_image_a_member_shared(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    setup_channel(fake)
    photo = fake.file("U1", "campsite.png", png(320, 240))
    async with parley(fake, fake_model, store, vision=True) as (core, room):
        await room.deliver(
            fake.event_app_mention(
                "C1", "U1", f"<@{fake.bot_user_id}> what is in this picture?", files=[photo]
            )
        )
        await until(lambda: fake.posted("C1"))
        await core.idle()
    [request] = fake_model.received
    assert "what is in this picture?" in request.text
    [image] = request.images
    prefix = "data:image/jpeg;base64,"
    assert image.startswith(prefix) and base64.b64decode(image[len(prefix) :])[:3] == b"\xff\xd8\xff"
    [download] = fake.downloads
    assert download["file"] == photo["id"] and download["authorization"] == f"Bearer {fake.bot_token}"


async def test_the_model_creates_an_image_that_is_uploaded_into_the_thread(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    call = {"name": "create_image", "arguments": {"prompt": "a tent by a lake at dawn"}}
    fake_model.script(Reply(text="", tool_calls=[call]))
    setup_channel(fake)
    async with parley(fake, fake_model, store, image_generation=True) as (core, room):
        mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> draw our campsite")
        await room.deliver(mention)
        await until(lambda: fake.uploads)
        await core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert fake_model.image_requests[0]["prompt"].startswith("a tent by a lake at dawn")
    [upload] = fake.uploads
    assert (upload["channel"], upload["thread_ts"]) == ("C1", mention["event"]["ts"])
    assert upload["data"].startswith((b"\x89PNG", b"\xff\xd8\xff"))
    assert fake.message("C1", upload["ts"])["files"][0]["id"] == upload["file"]


async def test_with_vision_a_mention_in_a_thread_sees_the_image_that_started_it(
    fake: FakeSlack, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    setup_channel(fake)
    photo = fake.file("U2", "map.png", png(200, 100, (30, 90, 200)))
    async with parley(fake, fake_model, store, vision=True) as (core, room):
        shared = fake.event_message("C1", "U2", "the trail we could take", files=[photo])
        await room.deliver(shared)
        root = shared["event"]["ts"]
        asked = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> how long is it?", thread_ts=root)
        await room.deliver(asked)
        await until(lambda: fake.posted("C1", thread_ts=root))
        await core.idle()
    [request] = fake_model.received
    assert "the trail we could take" in request.text and len(request.images) == 1
    assert [d["file"] for d in fake.downloads] == [photo["id"]]
