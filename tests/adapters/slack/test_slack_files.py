"""Images on Slack through the adapter: shared files fetched with the bot token (and the token kept
from every other host), images uploaded with files_upload_v2, and what stops Parley from reading a
channel whole. The real slack-sdk against the loopback fake."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from facilitator.actions import SendImage
from facilitator.chat import ConversationRef
from facilitator.ports import MediaError
from tests.adapters.slack.room import SlackRoom, setup_channel, until
from tests.fakes.openai_server import png
from tests.fakes.slack_api import FakeSlack

CHANNEL = ConversationRef("slack", "C1")


def share_photo(fake: FakeSlack, data: bytes, name: str = "lake.png") -> str:
    setup_channel(fake)
    photo = fake.file("U1", name, data)
    fake.event_message("C1", "U1", "our campsite", files=[photo])
    return f"slack-file:{photo['id']}"


async def failure(room: SlackRoom, ref: str, max_bytes: int = 1_000_000) -> MediaError:
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


async def test_a_shared_image_is_downloaded_with_the_bot_token(room: SlackRoom) -> None:
    photo = png(32, 32)
    ref = share_photo(room.fake, photo)
    assert await room.adapter.fetch_image(ref, 1_000_000) == photo
    [download] = room.fake.downloads
    assert download["authorization"] == f"Bearer {room.fake.bot_token}" and download["served"]
    avatar = room.fake.users["U1"]["profile"]["image_192"]  # served by the fake, Slack's own host here
    assert (await room.adapter.fetch_image(avatar, 1_000_000)).startswith(b"\x89PNG")


async def test_a_sign_in_page_instead_of_the_image_is_an_error(room: SlackRoom) -> None:
    ref = share_photo(room.fake, png(32, 32))
    room.fake.file_host_signs_in = True
    error = await failure(room, ref)
    assert "not an image" in str(error) and room.fake.downloads[0]["served"] is False


async def test_no_request_and_no_token_leave_for_another_host(
    room: SlackRoom, bystander: list[str], monkeypatch: pytest.MonkeyPatch
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


async def test_too_large_is_refused_by_size_and_by_what_arrives(room: SlackRoom) -> None:
    photo = png(64, 64)
    ref = share_photo(room.fake, photo)
    error = await failure(room, ref, max_bytes=len(photo) - 1)
    assert "over the limit" in str(error) and room.fake.downloads == []  # files.info said so: no download
    room.fake.files[ref.removeprefix("slack-file:")]["size"] = 10  # a size that undersells the file
    await failure(room, ref, max_bytes=len(photo) - 1)
    assert len(room.fake.downloads) == 1


async def test_unknown_files_and_files_that_are_not_images_are_errors(room: SlackRoom) -> None:
    ref = share_photo(room.fake, b"%PDF-1.7", name="minutes.pdf")
    assert "not an image" in str(await failure(room, ref))
    assert "file_not_found" in str(await failure(room, "slack-file:F0NOTHERE"))
    room.fake.scopes.remove("files:read")
    assert "files:read" in str(await failure(room, "slack-file:F0NOTHERE"))
    assert room.fake.downloads == []


async def test_an_image_is_uploaded_into_the_thread_with_its_caption(room: SlackRoom) -> None:
    setup_channel(room.fake)
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


async def test_an_image_goes_into_a_thread_conversation_and_flat_into_a_dm(room: SlackRoom) -> None:
    setup_channel(room.fake)
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


async def test_partial_view_names_the_missing_history_scope_or_the_invitation(room: SlackRoom) -> None:
    fake = room.fake
    setup_channel(fake)
    fake.channel("C2", "secret-plans", private=True, members=["U1"])
    fake.channel("C3", "announcements", members=["U1"], bot_member=False)
    group = fake.mpim(["U1", "U2"])
    assert await room.adapter.partial_view(CHANNEL) is None
    assert await room.adapter.partial_view(ConversationRef("slack", "C1", "1.0")) is None
    assert await room.adapter.partial_view(ConversationRef("slack", "D1", is_direct=True)) is None
    fake.scopes.remove("channels:history")
    public = await room.adapter.partial_view(CHANNEL)
    assert public is not None and "channels:history" in public and "reinstall" in public
    assert await room.adapter.partial_view(ConversationRef("slack", "C2")) is None  # groups:history is there
    fake.scopes.remove("groups:history")
    fake.scopes.remove("mpim:history")
    private = await room.adapter.partial_view(ConversationRef("slack", "C2"))
    assert private is not None and "groups:history" in private
    mpim = await room.adapter.partial_view(ConversationRef("slack", group["id"]))
    assert mpim is not None and "mpim:history" in mpim
    fake.scopes.append("channels:history")
    outside = await room.adapter.partial_view(ConversationRef("slack", "C3"))
    assert outside is not None and "/invite @Parley" in outside
    fake.members["C2"].remove(fake.bot_user_id)  # removed from a private channel: Slack hides it
    hidden = await room.adapter.partial_view(ConversationRef("slack", "C2"))
    assert hidden is not None and "/invite" in hidden


async def test_auto_mode_tells_the_channel_what_parley_cannot_read(room: SlackRoom) -> None:
    setup_channel(room.fake)
    room.fake.scopes.remove("channels:history")
    status, _ = await room.command(room.fake.slash_command("C1", "UADMIN", "mode auto"))
    assert status == 200
    await until(lambda: room.fake.posted("C1"))
    assert "channels:history" in room.fake.posted("C1")[-1]
