"""The Slack fake against the real slack_sdk: if the SDK accepts what the fake answers and raises what
it would raise against Slack, adapter tests built on the fake mean something."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import encode_form, sign

SECRET = "fake-signing-secret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)


@pytest.fixture
def people(fake: FakeSlack) -> dict[str, Any]:
    ann = fake.user("U0ANN", "Ann Lee", "ann")
    bob = fake.user("U0BOB", "Bob Stone", is_admin=True)
    general = fake.channel("C0GENERAL", "general", members=["U0ANN", "U0BOB"], is_general=True)
    return {"ann": ann, "bob": bob, "general": general}


async def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_auth_test_names_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == ("U0BOT", "B0BOT", "T0001")
    assert answer["user"] == "parley"


async def test_tokens_are_checked(fake: FakeSlack) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert (await error_of(wrong.auth_test())).response["error"] == "invalid_auth"
    app_level = AsyncWebClient(token=fake.app_token, base_url=fake.base_url)
    assert (await error_of(app_level.auth_test())).response["error"] == "not_allowed_token_type"
    unknown = await error_of(
        AsyncWebClient(token=fake.bot_token, base_url=fake.base_url).api_call("nope.nope")
    )
    assert unknown.response["error"] == "unknown_method"


async def test_threaded_reply_and_update_show_what_members_see(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    question = fake.event_message("C0GENERAL", "U0ANN", "<@U0BOT> what's on today?")
    parent = question["event"]["ts"]
    sent = await client.chat_postMessage(channel="C0GENERAL", text="Looking…", thread_ts=parent, mrkdwn=True)
    assert sent["channel"] == "C0GENERAL"
    assert sent["message"]["thread_ts"] == parent and sent["message"]["parent_user_id"] == "U0ANN"
    assert float(sent["ts"]) > float(parent)
    updated = await client.chat_update(channel="C0GENERAL", ts=sent["ts"], text="Book club at 7.")
    assert updated["message"]["edited"]["user"] == "U0BOT"
    assert fake.posted("C0GENERAL") == ["Book club at 7."]
    assert fake.posted("C0GENERAL", thread_ts=parent) == ["Book club at 7."]
    replies = await client.conversations_replies(channel="C0GENERAL", ts=parent)
    assert [m["ts"] for m in replies["messages"]] == [parent, sent["ts"]]
    assert replies["messages"][0]["reply_count"] == 1
    assert fake.calls_of("chat.postMessage")[0]["thread_ts"] == parent


async def test_post_message_is_validated(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    fake.channel("C0QUIET", "quiet", members=["U0ANN"], bot_member=False)
    fake.channel("C0SECRET", "secret", private=True, members=["U0ANN"], bot_member=False)
    with pytest.warns(UserWarning, match="text"):  # the SDK warns too, then sends it anyway
        assert (await error_of(client.chat_postMessage(channel="C0GENERAL"))).response["error"] == "no_text"
    cases = {
        "msg_too_long": client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001),
        "channel_not_found": client.chat_postMessage(channel="C0NOWHERE", text="hi"),
        "not_in_channel": client.chat_postMessage(channel="C0QUIET", text="hi"),
        "message_not_found": client.chat_update(channel="C0GENERAL", ts="1.000000", text="hi"),
    }
    for error, call in cases.items():
        assert (await error_of(call)).response["error"] == error
    assert (await error_of(client.conversations_info(channel="C0SECRET"))).response[
        "error"
    ] == "channel_not_found"
    someone_elses = fake.event_message("C0GENERAL", "U0ANN", "mine")["event"]["ts"]
    refused = await error_of(client.chat_update(channel="C0GENERAL", ts=someone_elses, text="edited"))
    assert refused.response["error"] == "cant_update_message"
    assert (await client.chat_postMessage(channel="#general", text="by name"))["channel"] == "C0GENERAL"
    dm = await client.chat_postMessage(channel="U0ANN", text="to a user id: the bot's DM")
    assert dm["channel"] == fake.im("U0ANN")["id"]


async def test_ratelimited_is_a_429_with_retry_after(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("auth.test", retry_after=3)
    error = await error_of(client.auth_test())
    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "3"
    assert (await client.auth_test())["ok"]
    fake.fail_next("auth.test", "fatal_error", status=500)
    assert (await error_of(client.auth_test())).response.status_code == 500


async def test_the_sdk_retry_handler_waits_out_a_rate_limit(fake: FakeSlack, people: dict[str, Any]) -> None:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    sent = await client.chat_postMessage(channel="C0GENERAL", text="after the wait")
    assert time.monotonic() - started >= 1.0
    assert sent["ok"] and len(fake.calls_of("chat.postMessage")) == 2
    assert fake.posted("C0GENERAL") == ["after the wait"]


async def test_native_streaming(fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]) -> None:
    parent = fake.event_message("C0GENERAL", "U0ANN", "<@U0BOT> tell me a story")["event"]["ts"]
    started = await client.chat_startStream(
        channel="C0GENERAL",
        thread_ts=parent,
        markdown_text="Once",
        recipient_team_id="T0001",
        recipient_user_id="U0ANN",
    )
    ts = started["ts"]
    assert started["channel"] == "C0GENERAL"
    await client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text=" upon")
    assert fake.posted("C0GENERAL", thread_ts=parent) == ["Once upon"]
    stopped = await client.chat_stopStream(channel="C0GENERAL", ts=ts, markdown_text=" a time.")
    assert stopped["message"]["text"] == "Once upon a time."
    late = await error_of(client.chat_appendStream(channel="C0GENERAL", ts=ts, markdown_text="!"))
    assert late.response["error"] == "message_not_in_streaming_state"
    # The SDK's helper sends markdown_text chunks rather than markdown_text.
    streamer = await client.chat_stream(
        channel="C0GENERAL",
        thread_ts=parent,
        recipient_team_id="T0001",
        recipient_user_id="U0ANN",
        buffer_size=4,
    )
    await streamer.append(markdown_text="Chunked ")
    await streamer.append(markdown_text="text")
    await streamer.stop()
    assert fake.posted("C0GENERAL", thread_ts=parent) == ["Once upon a time.", "Chunked text"]
    assert fake.streams[("C0GENERAL", ts)]["recipient_user_id"] == "U0ANN"


async def test_streaming_can_be_unavailable(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    parent = fake.event_message("C0GENERAL", "U0ANN", "hi")["event"]["ts"]
    fake.streaming_available = False
    error = await error_of(client.chat_startStream(channel="C0GENERAL", thread_ts=parent, markdown_text="x"))
    assert error.response["error"] == "unknown_method"
    fake.streaming_error = "not_allowed"
    error = await error_of(client.chat_startStream(channel="C0GENERAL", thread_ts=parent, markdown_text="x"))
    assert error.response["error"] == "not_allowed"
    assert fake.posted("C0GENERAL") == []


async def test_users_info(client: AsyncWebClient, people: dict[str, Any]) -> None:
    ann = (await client.users_info(user="U0ANN"))["user"]
    assert ann["profile"]["display_name"] == "ann" and ann["profile"]["real_name"] == "Ann Lee"
    assert ann["profile"]["image_72"].startswith("http://127.0.0.1:")
    assert (await client.users_info(user="U0BOB"))["user"]["is_admin"] is True
    bot = (await client.users_info(user="U0BOT"))["user"]
    assert bot["is_bot"] and bot["profile"]["bot_id"] == "B0BOT"
    assert (await error_of(client.users_info(user="U0NOBODY"))).response["error"] == "user_not_found"
    listed = await client.users_list(limit=2)
    assert len(listed["members"]) == 2 and listed["response_metadata"]["next_cursor"]


async def test_avatars_are_served_on_loopback(client: AsyncWebClient, people: dict[str, Any]) -> None:
    import aiohttp

    url = (await client.users_info(user="U0BOT"))["user"]["profile"]["image_192"]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")


async def test_conversations_info_counts_members(client: AsyncWebClient, people: dict[str, Any]) -> None:
    info = (await client.conversations_info(channel="C0GENERAL", include_num_members=True))["channel"]
    assert info["num_members"] == 3  # Ann, Bob and the bot
    assert info["is_member"] and info["is_channel"] and not info["is_private"]
    assert "num_members" not in (await client.conversations_info(channel="C0GENERAL"))["channel"]


async def test_conversations_members_pages_with_a_cursor(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    everyone = [f"U0P{n:03d}" for n in range(5)]
    for user_id in everyone:
        fake.user(user_id, f"Person {user_id}")
    fake.channel("C0BIG", "big", members=everyone)
    seen, cursor = [], None
    while True:
        page = await client.conversations_members(channel="C0BIG", limit=2, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == [*everyone, "U0BOT"]
    bad = await error_of(client.conversations_members(channel="C0BIG", cursor="@@not-a-cursor@@"))
    assert bad.response["error"] == "invalid_cursor"


async def test_reactions(fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]) -> None:
    ts = fake.event_message("C0GENERAL", "U0ANN", "shipped it")["event"]["ts"]
    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="tada")
    assert fake.message("C0GENERAL", ts)["reactions"] == [{"name": "tada", "users": ["U0BOT"], "count": 1}]
    again = await error_of(client.reactions_add(channel="C0GENERAL", timestamp=ts, name="tada"))
    assert again.response["error"] == "already_reacted"
    for name in (":tada:", "not_an_emoji"):
        wrong = await error_of(client.reactions_add(channel="C0GENERAL", timestamp=ts, name=name))
        assert wrong.response["error"] == "invalid_name"
    fake.custom_emoji.add("parley")
    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="parley")
    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="+1::skin-tone-3")
    gone = await error_of(client.reactions_add(channel="C0GENERAL", timestamp="1.000000", name="eyes"))
    assert gone.response["error"] == "message_not_found"


async def test_conversations_open_gives_ims_and_mpims(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    first = await client.conversations_open(users="U0ANN")
    assert first["channel"]["id"].startswith("D") and "already_open" not in first
    again = await client.conversations_open(users=["U0ANN"], return_im=True)
    assert again["already_open"] and again["channel"]["is_im"] and again["channel"]["user"] == "U0ANN"
    group = await client.conversations_open(users="U0ANN,U0BOB")
    assert group["channel"]["is_mpim"]
    assert sorted(fake.members[group["channel"]["id"]]) == ["U0ANN", "U0BOB", "U0BOT"]
    assert (await error_of(client.conversations_open(users="U0NOBODY"))).response["error"] == "user_not_found"


async def test_a_group_dm_is_opened_once_for_the_same_people_and_within_slacks_limits(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    for n in range(1, 9):
        fake.user(f"U0P{n}", f"Person {n}")
    group = await client.conversations_open(users="U0ANN,U0BOB,U0ANN")
    assert group["channel"]["is_mpim"] and group["channel"]["id"][0] in "GC" and "already_open" not in group
    assert fake.channel_type(group["channel"]["id"]) == "mpim"
    again = await client.conversations_open(users=["U0BOB", "U0ANN", fake.bot_user_id])
    assert again["already_open"] and again["channel"]["id"] == group["channel"]["id"]
    eight = ",".join(f"U0P{n}" for n in range(1, 9))
    assert len(fake.members[(await client.conversations_open(users=eight))["channel"]["id"]]) == 9
    nine = await error_of(client.conversations_open(users=eight + ",U0ANN"))
    assert nine.response["error"] == "too_many_users"
    fake.scopes.remove("mpim:write")
    refused = await error_of(client.conversations_open(users="U0ANN,U0P1"))
    assert (refused.response["error"], refused.response["needed"]) == ("missing_scope", "mpim:write")
    assert (await client.conversations_open(users="U0ANN"))["channel"]["id"].startswith("D")


async def test_ephemeral_messages_and_statuses(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    answer = await client.chat_postEphemeral(channel="C0GENERAL", user="U0ANN", text="only you see this")
    assert answer["message_ts"]
    assert fake.ephemeral["U0ANN"] == ["only you see this"] and fake.ephemeral["U0BOB"] == []
    assert fake.posted("C0GENERAL") == []
    parent = fake.event_message("C0GENERAL", "U0ANN", "hi")["event"]["ts"]
    await client.assistant_threads_setStatus(channel_id="C0GENERAL", thread_ts=parent, status="is thinking…")
    assert fake.statuses[0]["status"] == "is thinking…" and fake.statuses[0]["thread_ts"] == parent


async def test_inbound_payloads_follow_slack(fake: FakeSlack, people: dict[str, Any]) -> None:
    envelope = fake.event_message("C0GENERAL", "U0ANN", "hello <@U0BOT>")
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    event = envelope["event"]
    assert event["channel_type"] == "channel" and event["event_ts"] == event["ts"]
    assert {"type": "user", "user_id": "U0BOT"} in event["blocks"][0]["elements"][0]["elements"]
    mention = fake.event_app_mention("C0GENERAL", "U0ANN", "hello <@U0BOT>", ts=event["ts"])["event"]
    assert mention["type"] == "app_mention" and mention["ts"] == event["ts"]
    reply = fake.event_message("C0GENERAL", "U0BOB", "me too", thread_ts=event["ts"])["event"]
    assert reply["parent_user_id"] == "U0ANN"
    changed = fake.event_message_changed("C0GENERAL", reply["ts"], "me too!")["event"]
    assert changed["subtype"] == "message_changed" and changed["message"]["text"] == "me too!"
    assert changed["previous_message"]["text"] == "me too"
    deleted = fake.event_message_deleted("C0GENERAL", reply["ts"])["event"]
    assert deleted["deleted_ts"] == reply["ts"] and deleted["previous_message"]["text"] == "me too!"
    reaction = fake.event_reaction_added("C0GENERAL", "U0BOB", event["ts"], "eyes")["event"]
    assert reaction["item"] == {"type": "message", "channel": "C0GENERAL", "ts": event["ts"]}
    assert reaction["item_user"] == "U0ANN"
    fake.user("U0CAT", "Cat Park")
    joined = fake.event_member_joined("C0GENERAL", "U0CAT", inviter="U0ANN")["event"]
    assert joined["channel_type"] == "C" and "U0CAT" in fake.members["C0GENERAL"]
    change = fake.event_user_change("U0ANN", display_name="annie")["event"]
    assert change["user"]["profile"]["display_name"] == "annie"
    bot_echo = fake.event_message("C0GENERAL", "U0BOT", "my own words")["event"]
    assert bot_echo["bot_id"] == "B0BOT" and "client_msg_id" not in bot_echo
    assert fake.url_verification("abc") == {
        "token": fake.verification_token,
        "challenge": "abc",
        "type": "url_verification",
    }
    dm = fake.event_message(fake.im("U0ANN"), "U0ANN", "psst")["event"]
    assert dm["channel_type"] == "im"
    with pytest.raises(ValueError, match="U0BOT"):
        fake.event_app_mention("C0GENERAL", "U0ANN", "no mention here")


async def test_signatures_verify_with_the_sdk(fake: FakeSlack, people: dict[str, Any]) -> None:
    verifier = SignatureVerifier(SECRET)
    body = json.dumps(fake.event_message("C0GENERAL", "U0ANN", "signed"))
    headers = sign(body, SECRET)
    assert headers["Content-Type"] == "application/json"
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid(
        body + " ", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)
    form = encode_form(fake.slash_command("C0GENERAL", "U0ANN", "summarise today"))
    signed_form = sign(form, SECRET, retry_num=1, retry_reason="http_timeout")
    assert signed_form["Content-Type"] == "application/x-www-form-urlencoded"
    assert signed_form["X-Slack-Retry-Num"] == "1" and signed_form["X-Slack-Retry-Reason"] == "http_timeout"
    assert verifier.is_valid_request(form, signed_form)


async def test_slash_command_response_url(fake: FakeSlack, people: dict[str, Any]) -> None:
    command = fake.slash_command("C0GENERAL", "U0ANN", "help")
    assert command["command"] == "/parley" and command["channel_name"] == "general"
    assert command["response_url"].startswith(f"http://127.0.0.1:{fake.port}/response/")
    hook = AsyncWebhookClient(command["response_url"])
    assert (await hook.send(text="just for you")).status_code == 200
    assert (await hook.send(text="for everyone", response_type="in_channel")).status_code == 200
    assert fake.ephemeral["U0ANN"] == ["just for you"]
    assert fake.posted("C0GENERAL") == ["for everyone"]
    assert [r["text"] for r in fake.responses_to(command)] == ["just for you", "for everyone"]


async def test_socket_mode_client_receives_and_acknowledges(fake: FakeSlack, people: dict[str, Any]) -> None:
    web_client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
    socket = SocketModeClient(app_token=fake.app_token, web_client=web_client, ping_interval=1)
    received: asyncio.Queue[SocketModeRequest] = asyncio.Queue()

    async def listener(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        await received.put(request)

    socket.socket_mode_request_listeners.append(listener)
    try:
        await socket.connect()
        envelope_id = await fake.socket_send(fake.event_message("C0GENERAL", "U0ANN", "over the socket"))
        request = await asyncio.wait_for(received.get(), 5)
        assert request.type == "events_api" and request.envelope_id == envelope_id
        assert request.payload["event"]["text"] == "over the socket"
        assert (await fake.wait_ack(envelope_id)) == {"envelope_id": envelope_id}
        command_id = await fake.socket_send(
            fake.slash_command("C0GENERAL", "U0ANN", "help"), "slash_commands"
        )
        command = await asyncio.wait_for(received.get(), 5)
        assert command.accepts_response_payload and command.payload["text"] == "help"
        await fake.wait_ack(command_id)
        assert fake.calls_of("apps.connections.open") == [{}]
        await asyncio.sleep(1.5)  # the SDK pings every ping_interval: answered, so no reconnect
        assert len(fake.socket_connections) == 1 and await socket.is_connected()
    finally:
        await socket.close()


async def test_shared_files_are_described_and_served_to_the_bot_token_only(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    import aiohttp

    photo = fake.file("U0ANN", "lake.jpg", b"\xff\xd8\xff\xe0 a jpeg")
    shared = fake.event_message("C0GENERAL", "U0ANN", "look", files=[photo])["event"]
    assert shared["subtype"] == "file_share" and shared["files"][0]["id"] == photo["id"]
    info = (await client.files_info(file=photo["id"]))["file"]
    assert (info["mimetype"], info["size"], info["name"]) == ("image/jpeg", 11, "lake.jpg")
    assert info["url_private_download"].startswith(fake.base_http + "/files-pri/T0001-")
    assert info["shares"]["public"]["C0GENERAL"][0]["ts"] == shared["ts"]
    gone = await error_of(client.files_info(file="F0NOTHERE"))
    assert gone.response.data == {"ok": False, "error": "file_not_found"}
    async with aiohttp.ClientSession() as session:
        bearer = {"Authorization": f"Bearer {fake.bot_token}"}
        async with session.get(info["url_private_download"], headers=bearer) as response:
            assert (
                response.content_type == "image/jpeg" and await response.read() == b"\xff\xd8\xff\xe0 a jpeg"
            )
        async with session.get(info["url_private"]) as response:  # no token: Slack's sign-in page
            assert response.status == 200 and response.content_type == "text/html"
            assert "Sign in" in await response.text()
    assert [d["served"] for d in fake.downloads] == [True, False]
    fake.channel("C0ELSE", "elsewhere", members=["U0ANN"], bot_member=False)
    unseen = fake.file("U0ANN", "secret.png", b"\x89PNG")
    fake.event_message("C0ELSE", "U0ANN", "not for bots", files=[unseen])
    assert (await error_of(client.files_info(file=unseen["id"]))).response["error"] == "file_not_found"
    fake.scopes.remove("files:read")
    missing = await error_of(client.files_info(file=photo["id"]))
    assert (missing.response["error"], missing.response["needed"]) == ("missing_scope", "files:read")


async def test_files_upload_v2_shares_the_bytes_in_a_thread(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    parent = fake.event_message("C0GENERAL", "U0ANN", "draw a cat")["event"]["ts"]
    done = await client.files_upload_v2(
        channel="C0GENERAL",
        file=b"\x89PNG cat",
        filename="cat.png",
        initial_comment="A cat",
        thread_ts=parent,
    )
    file = done["file"]
    share = file["shares"]["public"]["C0GENERAL"][0]
    assert share["thread_ts"] == parent
    assert fake.posted("C0GENERAL", thread_ts=parent) == ["A cat"]
    assert fake.message("C0GENERAL", share["ts"])["files"][0]["id"] == file["id"]
    [upload] = fake.uploads
    assert (upload["channel"], upload["thread_ts"], upload["initial_comment"]) == (
        "C0GENERAL",
        parent,
        "A cat",
    )
    assert [m for m, _ in fake.calls if m.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert (
        upload["data"] == b"\x89PNG cat" and (await client.files_info(file=file["id"]))["file"]["size"] == 8
    )
    assert fake.calls_of("files.getUploadURLExternal")[0]["length"] in (8, "8")


async def test_the_upload_url_takes_multipart_and_completion_checks_what_slack_checks(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    import aiohttp

    url = await client.files_getUploadURLExternal(filename="notes.txt", length=5)
    form = aiohttp.FormData()
    form.add_field("filename", b"hello", filename="notes.txt")
    async with aiohttp.ClientSession() as session, session.post(url["upload_url"], data=form) as response:
        assert response.content_type == "text/plain" and (await response.text()).startswith("OK")
    fake.channel("C0QUIET", "quiet", members=["U0ANN"], bot_member=False)
    files = [{"id": url["file_id"], "title": "Notes"}]
    outside = await error_of(client.files_completeUploadExternal(files=files, channel_id="C0QUIET"))
    assert outside.response["error"] == "not_in_channel"
    await client.files_completeUploadExternal(files=files, channel_id="C0GENERAL")
    assert fake.uploads[0]["data"] == b"hello" and fake.uploads[0]["title"] == "Notes"
    again = await error_of(client.files_completeUploadExternal(files=files, channel_id="C0GENERAL"))
    assert again.response["error"] == "file_not_found"
    never = await client.files_getUploadURLExternal(filename="empty.txt", length=3)
    unsent = await error_of(client.files_completeUploadExternal(files=[{"id": never["file_id"]}]))
    assert unsent.response["error"] == "file_not_found"
    fake.scopes.remove("files:write")
    refused = await error_of(client.files_getUploadURLExternal(filename="x.txt", length=1))
    assert refused.response["needed"] == "files:write"


async def test_history_and_replies_page_what_was_said_after_oldest(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    before = fake.event_message("C0GENERAL", "U0ANN", "before")["event"]["ts"]
    root = fake.event_message("C0GENERAL", "U0ANN", "a thread starts")["event"]["ts"]
    reply = fake.event_message("C0GENERAL", "U0BOB", "in the thread", thread_ts=root)["event"]["ts"]
    after = [fake.event_message("C0GENERAL", "U0BOB", f"later {n}")["event"]["ts"] for n in range(3)]
    first = await client.conversations_history(channel="C0GENERAL", oldest=before, limit=2)
    assert [m["ts"] for m in first["messages"]] == [after[2], after[1]]  # newest first, oldest excluded
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C0GENERAL", oldest=before, limit=2, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == [after[0], root] and not rest["has_more"]
    assert rest["messages"][1]["latest_reply"] == reply  # the reply itself stays in its thread
    inclusive = await client.conversations_history(channel="C0GENERAL", oldest=before, inclusive=True)
    assert inclusive["messages"][-1]["ts"] == before
    thread = await client.conversations_replies(channel="C0GENERAL", ts=root, oldest=reply)
    assert [m["ts"] for m in thread["messages"]] == [root]  # its first message, whatever oldest says
    fake.members["C0GENERAL"] = [m for m in fake.members["C0GENERAL"] if m != fake.bot_user_id]
    outside = await error_of(client.conversations_history(channel="C0GENERAL"))
    assert outside.response["error"] == "not_in_channel"


async def test_a_method_can_be_made_slow(
    fake: FakeSlack, client: AsyncWebClient, people: dict[str, Any]
) -> None:
    fake.delays["users.info"] = 0.3
    started = time.monotonic()
    await asyncio.gather(client.users_info(user="U0ANN"), client.auth_test())
    assert time.monotonic() - started >= 0.3
    assert [name for name, _ in fake.calls] == ["users.info", "auth.test"]
