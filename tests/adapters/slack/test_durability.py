"""Nothing lost, nothing left unanswered on Slack (issue 14), with the real slack-bolt and
slack-sdk against the loopback fake: an event is acknowledged only once it is stored, over HTTP
and Socket Mode; profiles never hold up storing and are asked once per member; a signed body of
the wrong shape is a 400; what was said while Parley was down is caught up at start; a paused
adapter takes nothing new."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp

from adapters.slack.adapter import SlackAdapter
from adapters.slack.config import SlackConfig
from bot.http import HttpServer
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.events import Event, MessageReceived
from facilitator.ports import Adapter, ResumePoint
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign
from tests.support import until
from tests.support.slack import SECRET, setup_channel

C1 = ConversationRef("slack", "C1")


class Sink:
    """The real core, with a hand on `handle`: slower, or failing the first time, as a store
    under load or a crash would (a real object, no mock)."""

    def __init__(self, core: Facilitator, *, slow: float = 0.0, fail_first: bool = False) -> None:
        self.core, self.slow, self.fail_first = core, slow, fail_first
        self.handling = 0

    async def handle(self, event: Event, adapter: Adapter) -> None:
        self.handling += 1
        try:
            await asyncio.sleep(self.slow)
            if self.fail_first and isinstance(event, MessageReceived):
                self.fail_first = False
                raise RuntimeError("the store is gone for a moment")
            await self.core.handle(event, adapter)
        finally:
            self.handling -= 1

    async def idle(self) -> None:
        await self.core.idle()

    async def recall(self, platform: str, key: str) -> str | None:
        return await self.core.recall(platform, key)

    async def keep(self, platform: str, key: str, value: str) -> None:
        await self.core.keep(platform, key, value)

    async def resume_points(self, platform: str, active_since: datetime) -> list[ResumePoint]:
        return await self.core.resume_points(platform, active_since)


class Http:
    """Parley's HTTP server in front of the adapter, and Slack's side of it (signed posts)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self.session = url, session

    async def post(self, raw: str, headers: dict[str, str]) -> int:
        async with self.session.post(self.url, data=raw, headers=headers) as response:
            return response.status

    async def deliver(self, body: Any, **signing: Any) -> int:
        raw = json.dumps(body)
        return await self.post(raw, sign(raw, SECRET, content_type="application/json", **signing))


@asynccontextmanager
async def over_http(fake: FakeSlack, core: Any) -> AsyncIterator[tuple[SlackAdapter, Http]]:
    adapter = SlackAdapter(
        core, SlackConfig(bot_token=fake.bot_token, signing_secret=SECRET, api_base_url=fake.base_url)
    )

    async def relay(body: str, headers: dict[str, str], query: str) -> tuple[int, str, dict[str, str]]:
        answer = await adapter.receive(body, headers, query)
        return answer.status, answer.body, answer.headers

    async def healthy() -> dict[str, object]:
        return {"status": "ok"}

    server = HttpServer("127.0.0.1", 0, healthy)
    server.add_raw("/slack/events", relay)
    await server.start()
    await adapter.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield adapter, Http(f"http://127.0.0.1:{server.port}/slack/events", session)
    finally:
        await adapter.stop()
        await server.stop()


@asynccontextmanager
async def over_socket(fake: FakeSlack, core: Any) -> AsyncIterator[SlackAdapter]:
    config = SlackConfig(bot_token=fake.bot_token, app_token=fake.app_token, api_base_url=fake.base_url)
    adapter = SlackAdapter(core, config)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


async def stored(store: SqliteStore, where: ConversationRef = C1) -> list[str]:
    return [item.text for item in await store.history(where, 1_000)]


async def test_an_event_is_acknowledged_once_stored_without_waiting_for_the_profile(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    fake.delays["users.info"] = 0.5  # a lookup waiting out a rate limit
    async with over_http(fake, facilitator) as (_, slack):
        assert await slack.deliver(fake.event_message("C1", "U1", "the ferry is at 7:40")) == 200
        assert await stored(store) == ["the ferry is at 7:40"]  # in the store before Slack heard back
        assert not await _named(store, "U1", "alice")  # the lookup goes on behind
        await until(lambda: _named(store, "U1", "alice"), what="Alice's name once users.info answered")
    assert len(fake.calls_of("users.info")) == 1


async def _named(store: SqliteStore, user: str, name: str) -> bool:
    profile = await store.profile("slack", user)
    return profile is not None and profile.name == name


async def test_an_event_the_core_could_not_store_is_not_acknowledged_and_its_retry_is(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    mention = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> are we still on?")
    async with over_http(fake, Sink(facilitator, fail_first=True)) as (_, slack):
        assert await slack.deliver(mention) >= 500  # Slack delivers it again
        assert await stored(store) == []
        assert await slack.deliver(mention, retry_num=1, retry_reason="http_error") == 200
        assert await stored(store) == [mention["event"]["text"]]
        await until(lambda: fake.posted("C1"))
        await facilitator.idle()
    assert fake.posted("C1") == ["Hello from the fake model."]


async def test_socket_mode_acknowledges_an_envelope_once_its_event_is_stored(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    sink = Sink(facilitator, slow=0.3)
    async with over_socket(fake, sink):
        said = fake.event_message("C1", "U2", "bring the tent")
        envelope = await fake.socket_send(said)
        await until(lambda: sink.handling, what="the core taking the event")
        assert not any(ack["envelope_id"] == envelope for ack in fake.socket_acks)  # not before
        await fake.wait_ack(envelope)
        assert await stored(store) == ["bring the tent"]


async def test_a_burst_from_twenty_members_asks_users_info_once_each(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    people = [f"U{n:02d}" for n in range(20)]
    for user in people:
        fake.user(user, f"Member {user}", display_name=f"member-{user.lower()}")
    fake.channel("C1", "crowd", members=people)
    fake.delays["users.info"] = 0.2
    bodies = [fake.event_message("C1", people[n % 20], f"message {n}") for n in range(400)]
    async with over_http(fake, facilitator) as (_, slack):
        gate = asyncio.Semaphore(20)

        async def one(body: dict[str, Any]) -> int:
            async with gate:
                return await slack.deliver(body)

        statuses = await asyncio.gather(*(one(body) for body in bodies))
        assert set(statuses) == {200}
        await until(lambda: _named(store, "U19", "member-u19"), what="the last member's name")
        await facilitator.idle()
    assert len(fake.calls_of("users.info")) <= 20
    assert len(await stored(store)) == 400
    assert [p.name for p in await store.members(C1, 50)].count("member-u07") == 1
    for user in people:  # however the lookups and the bare events interleaved, no name is undone
        assert await _named(store, user, f"member-{user.lower()}"), user


async def test_a_signed_body_of_the_wrong_shape_is_a_400_and_a_forged_one_a_401(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    good = fake.event_message("C1", "U1", "a real message")
    wrong: list[Any] = [
        {**good, "event": "not an object"},
        {**good, "event": ["a", "list"]},
        {**good, "event": {**good["event"], "type": None}},
        {key: value for key, value in good.items() if key != "type"},
        {**good, "event": {**good["event"], "channel": {"id": "C1"}}},
        {**good, "event": {**good["event"], "text": ["not", "text"]}},
        {**good, "event_id": 7},
        [good],
        "just a string",
    ]
    async with over_http(fake, facilitator) as (_, slack):
        for body in wrong:
            assert await slack.deliver(body) == 400, body
        raw = "{not json"
        assert await slack.post(raw, sign(raw, SECRET, content_type="application/json")) == 400
        forged = json.dumps({**good, "event": "not an object"})
        assert await slack.post(forged, sign(forged, "not-the-secret")) == 401
        assert await stored(store) == []
        assert await slack.deliver(good) == 200
        assert await stored(store) == ["a real message"]


async def test_what_was_said_while_parley_was_down_is_caught_up_and_the_mention_answered(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    root = fake.event_message("C1", "U1", "who is driving on Saturday?")
    async with over_http(fake, facilitator) as (_, slack):
        assert await slack.deliver(root) == 200
        thread = root["event"]["ts"]
        assert await slack.deliver(fake.event_message("C1", "U2", "I can", thread_ts=thread)) == 200
        await facilitator.idle()
    # Parley is down: Slack gave up on these deliveries (or never made them)
    fake.event_message("C1", "U2", "I'll bring snacks")
    asked = fake.event_app_mention("C1", "U1", f"<@{fake.bot_user_id}> how long is the drive?")
    fake.event_message("C1", "UADMIN", "and me, if there is room", thread_ts=thread)
    async with over_http(fake, facilitator):
        await until(
            lambda: fake.posted("C1", thread_ts=asked["event"]["ts"]), what="the missed mention answered"
        )
        await facilitator.idle()
    assert await stored(store) == [
        "who is driving on Saturday?",
        "I'll bring snacks",
        asked["event"]["text"],
        "Hello from the fake model.",
    ]
    assert await stored(store, ConversationRef("slack", "C1", thread)) == [
        "who is driving on Saturday?",
        "I can",
        "and me, if there is room",
    ]
    assert fake.posted("C1") == ["Hello from the fake model."]  # answered once, the rest only stored
    history = fake.calls_of("conversations.history")
    assert history and all(call.get("oldest") for call in history)


async def test_a_paused_adapter_takes_nothing_new_over_http(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    async with over_http(fake, facilitator) as (adapter, slack):
        assert await slack.deliver(fake.event_message("C1", "U1", "before the deploy")) == 200
        await adapter.pause()
        assert await slack.deliver(fake.event_message("C1", "U1", "during the deploy")) == 503
        assert await stored(store) == ["before the deploy"]


async def test_a_paused_socket_finishes_what_is_under_way_and_leaves_the_rest_to_the_next(
    fake: FakeSlack, facilitator: Facilitator, store: SqliteStore
) -> None:
    setup_channel(fake)
    sink = Sink(facilitator, slow=0.3)
    async with over_socket(fake, sink) as adapter:
        under_way = await fake.socket_send(fake.event_message("C1", "U1", "under way"))
        await until(lambda: sink.handling, what="the core taking the first event")
        await adapter.pause()
        assert any(ack["envelope_id"] == under_way for ack in fake.socket_acks)
        await until(lambda: not fake._sockets, what="the connection closed")
        await asyncio.sleep(0.3)  # it does not come back
        assert not fake._sockets and len(fake.socket_connections) == 1
    assert await stored(store) == ["under way"]


async def test_a_slash_command_where_parley_is_not_a_member_is_answered_to_whoever_typed_it(
    fake: FakeSlack, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    setup_channel(fake)
    fake.channel("C9", "elsewhere", members=["U1", "UADMIN"], bot_member=False)
    async with over_http(fake, facilitator) as (_, slack):
        helped = fake.slash_command("C9", "U1", "help")
        await slack.post(*_form(helped))
        await until(lambda: fake.responses_to(helped), what="the answer to /parley help")
        [help_answer] = fake.responses_to(helped)
        assert help_answer["response_type"] == "ephemeral" and "mode" in help_answer["text"]
        switched = fake.slash_command("C9", "UADMIN", "mode auto")
        await slack.post(*_form(switched))
        await until(lambda: fake.responses_to(switched), what="the answer to /parley mode auto")
        await facilitator.idle()
    [mode_answer] = fake.responses_to(switched)
    assert "/invite" in mode_answer["text"]  # the fix reaches the admin who asked
    assert fake.ephemeral["U1"] == [help_answer["text"]]
    assert fake_model.received == []


async def test_help_in_a_channel_goes_to_the_one_who_asked_and_a_new_mode_to_the_group(
    fake: FakeSlack, facilitator: Facilitator
) -> None:
    setup_channel(fake)
    async with over_http(fake, facilitator) as (_, slack):
        helped = fake.slash_command("C1", "U2", "help")
        await slack.post(*_form(helped))
        await until(lambda: fake.ephemeral.get("U2"), what="Bob's private answer")
        await slack.post(*_form(fake.slash_command("C1", "UADMIN", "mode off")))
        await until(lambda: fake.posted("C1"), what="the new mode announced")
        await facilitator.idle()
    assert len(fake.posted("C1")) == 1 and "silent" in fake.posted("C1")[0]
    assert "mode" in fake.ephemeral["U2"][0] and fake.ephemeral.get("U1", []) == []
    thread = fake.calls_of("chat.postMessage")[0].get("thread_ts")
    assert not thread  # a command is no message: its announcement starts no thread


def _form(command: dict[str, str]) -> tuple[str, dict[str, str]]:
    from tests.fakes.slack_events import encode_form

    raw = encode_form(command)
    return raw, sign(raw, SECRET)
