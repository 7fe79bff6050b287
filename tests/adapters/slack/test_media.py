"""Images on Slack through the adapter: shared files fetched with the bot token (and the token kept
from every other host), images uploaded with files_upload_v2; and through the whole stack (the
real core and store, the loopback model server) the model seeing a member's image or making one.
The real slack-bolt app and slack-sdk against the loopback fake."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from facilitator.actions import SendImage
from facilitator.chat import ConversationRef
from facilitator.ports import MediaError
from tests.fakes.openai_server import FakeOpenAI, Reply, png
from tests.fakes.slack_api import FakeSlack
from tests.support import until
from tests.support.slack import SlackDriver

CHANNEL = ConversationRef("slack", "C1")


def share_photo(fake: FakeSlack, data: bytes, name: str = "lake.png") -> str:
    """Alice shares an image in #trip (the driver's world); the reference the core gets."""
    photo = fake.file("U1", name, data)
    fake.event_message("C1", "U1", "our campsite", files=[photo])
    return f"slack-file:{photo['id']}"


async def failure(room: SlackDriver, ref: str, max_bytes: int = 1_000_000) -> MediaError:
    with pytest.raises(MediaError) as caught:
        await room.adapter.fetch_image(ref, max_bytes)
    assert room.fake.bot_token not in str(caught.value) and caught.value.__cause__ is None
    return caught.value


@pytest.fixture
async def bystander() -> AsyncIterator[list[str]]:
    """Another server on 127.0.0.1 (a member's own link): it records any request it gets."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.path} {request.headers.get('Authorization')}")
        return web.Response(body=png(8, 8), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    seen.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]
    yield seen
    await runner.cleanup()


async def test_a_shared_image_is_downloaded_with_the_bot_token(room: SlackDriver) -> None:
    photo = png(32, 32)
    ref = share_photo(room.fake, photo)
    assert await room.adapter.fetch_image(ref, 1_000_000) == photo
    [download] = room.fake.downloads
    assert download["authorization"] == f"Bearer {room.fake.bot_token}" and download["served"]
    avatar = room.fake.users["U1"]["profile"]["image_192"]  # served by the fake, Slack's own host here
    assert (await room.adapter.fetch_image(avatar, 1_000_000)).startswith(b"\x89PNG")


async def test_a_sign_in_page_instead_of_the_image_is_an_error(room: SlackDriver) -> None:
    ref = share_photo(room.fake, png(32, 32))
    room.fake.file_host_signs_in = True
    error = await failure(room, ref)
    assert "not an image" in str(error) and room.fake.downloads[0]["served"] is False


async def test_no_request_and_no_token_leave_for_another_host(
    room: SlackDriver, bystander: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved: list[object] = []
    guarded = socket.getaddrinfo

    def recording(host: object, *args: Any, **kwargs: Any) -> Any:
        resolved.append(host)
        return guarded(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    elsewhere = bystander[0]
    for url in (
        "https://example.com/me.png",  # a member's own photo link
        f"{elsewhere}/me.png",  # the same host as the fake, another port
        "http://files.slack.com/files-pri/T0001-F1/x.png",  # Slack's file host, but not over TLS
        "https://files.slack.com.example.net/x.png",
        "https://avatars.slack-edge.com@example.com/x.png",
        "ftp://files.slack.com/x.png",
        "slack-file:../../etc",
    ):
        await failure(room, url)
    assert resolved == [] and bystander == [elsewhere]


async def test_too_large_is_refused_by_size_and_by_what_arrives(room: SlackDriver) -> None:
    photo = png(64, 64)
    ref = share_photo(room.fake, photo)
    error = await failure(room, ref, max_bytes=len(photo) - 1)
    assert "over the limit" in str(error) and room.fake.downloads == []  # files.info said so: no download
    room.fake.files[ref.removeprefix("slack-file:")]["size"] = 10  # a size that undersells the file
    await failure(room, ref, max_bytes=len(photo) - 1)
    assert len(room.fake.downloads) == 1


async def test_unknown_files_and_files_that_are_not_images_are_errors(room: SlackDriver) -> None:
    ref = share_photo(room.fake, b"%PDF-1.7", name="minutes.pdf")
    assert "not an image" in str(await failure(room, ref))
    assert "file_not_found" in str(await failure(room, "slack-file:F0NOTHERE"))
    room.fake.scopes.remove("files:read")
    assert "files:read" in str(await failure(room, "slack-file:F0NOTHERE"))
    assert room.fake.downloads == []


async def test_an_image_is_uploaded_into_the_thread_with_its_caption(room: SlackDriver) -> None:
    asked = room.fake.event_message("C1", "U1", "draw our tent")["event"]["ts"]
    picture = png(48, 48, (10, 120, 40))
    room.fake.fail_next("files.completeUploadExternal", "ratelimited", retry_after=1)
    delivered = await room.adapter.perform(
        SendImage(CHANNEL, picture, caption="Your *tent* @channel & <friends>", reply_to=asked)
    )
    [upload] = room.fake.uploads
    assert (upload["channel"], upload["thread_ts"], upload["data"]) == ("C1", asked, picture)
    [shown] = room.fake.posted("C1", thread_ts=asked)
    assert "@channel" not in shown and "@\u200bchannel" in shown and "&lt;friends&gt;" in shown
    assert delivered is not None and delivered.parts == ((upload["ts"], "Your *tent* @channel & <friends>"),)
    assert room.fake.message("C1", upload["ts"])["files"][0]["id"] == upload["file"]


async def test_an_image_goes_into_a_thread_conversation_and_flat_into_a_dm(room: SlackDriver) -> None:
    root = room.fake.event_message("C1", "U1", "trip plans")["event"]["ts"]
    await room.adapter.perform(SendImage(ConversationRef("slack", "C1", root), png(), caption=""))
    dm = room.fake.im("U1")
    await room.adapter.perform(
        SendImage(ConversationRef("slack", dm["id"], is_direct=True), png(), reply_to="1.2")
    )
    assert [(u["channel"], u["thread_ts"], u["initial_comment"]) for u in room.fake.uploads] == [
        ("C1", root, ""),
        (dm["id"], None, ""),
    ]


# --- through the whole stack -------------------------------------------------------------------


async def test_with_vision_the_model_sees_the_image_a_member_shared(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    photo = fake.file("U1", "campsite.png", png(320, 240))
    async with parley.running(vision=True) as room:
        await room.deliver(
            fake.event_app_mention(
                "C1", "U1", f"<@{fake.bot_user_id}> what is in this picture?", files=[photo]
            )
        )
        await until(lambda: fake.posted("C1"))
        await room.core.idle()
    [request] = fake_model.received
    assert "what is in this picture?" in request.text
    [image] = request.images
    prefix = "data:image/jpeg;base64,"
    assert image.startswith(prefix) and base64.b64decode(image[len(prefix) :])[:3] == b"\xff\xd8\xff"
    [download] = fake.downloads
    assert download["file"] == photo["id"] and download["authorization"] == f"Bearer {fake.bot_token}"


async def test_the_model_creates_an_image_that_is_uploaded_into_the_thread(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    call = {"name": "create_image", "arguments": {"prompt": "a tent by a lake at dawn"}}
    fake_model.script(Reply(text="", tool_calls=[call]))
    async with parley.running(image_generation=True) as room:
        mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> draw our campsite")
        await room.deliver(mention)
        await until(lambda: fake.uploads)
        await room.core.idle()
    assert "create_image" in fake_model.received[0].tools
    assert fake_model.image_requests[0]["prompt"].startswith("a tent by a lake at dawn")
    [upload] = fake.uploads
    assert (upload["channel"], upload["thread_ts"]) == ("C1", mention["event"]["ts"])
    assert upload["data"].startswith((b"\x89PNG", b"\xff\xd8\xff"))
    assert fake.message("C1", upload["ts"])["files"][0]["id"] == upload["file"]


async def test_with_vision_a_mention_in_a_thread_sees_the_image_that_started_it(
    parley: SlackDriver, fake: FakeSlack, fake_model: FakeOpenAI
) -> None:
    photo = fake.file("U2", "map.png", png(200, 100, (30, 90, 200)))
    async with parley.running(vision=True) as room:
        shared = fake.event_message("C1", "U2", "the trail we could take", files=[photo])
        await room.deliver(shared)
        root = shared["event"]["ts"]
        asked = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> how long is it?", thread_ts=root)
        await room.deliver(asked)
        await until(lambda: fake.posted("C1", thread_ts=root))
        await room.core.idle()
    [request] = fake_model.received
    assert "the trail we could take" in request.text and len(request.images) == 1
    assert [d["file"] for d in fake.downloads] == [photo["id"]]
