"""Parley on Slack in tests: the real slack-bolt AsyncApp behind Parley's own HTTP server, event
deliveries and slash commands signed as Slack signs them, the loopback Web API fake
(tests/fakes/slack_api.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

import aiohttp

from adapters.slack.adapter import SlackAdapter
from adapters.slack.config import SlackConfig
from bot.http import HttpServer
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import encode_form, sign
from tests.support.driver import ALICE, BOB, TRIP, WORK, Driver
from tests.support.waiting import until

SECRET = "signing-secret-for-tests"
USER_IDS = {ALICE: "U1", BOB: "U2"}
CHANNELS = {TRIP: "C1", WORK: "C2"}
# Slack's names for the emoji the scenarios use (the adapter's own table is what is under test).
EMOJI = {"+1": "👍", "thumbsup": "👍", "tada": "🎉", "heart": "❤️", "joy": "😂"}
NAMES = {"👍": "+1", "👎": "-1", "❤️": "heart", "🙏": "pray", "🎉": "tada", "😂": "joy"}  # as members react


def setup_channel(fake: FakeSlack, members: int = 3) -> None:
    """Alice (U1), Bob (U2) and Ada (UADMIN, a workspace admin) in #trip (C1), padded to `members`."""
    fake.user("U1", "Alice Liddell", display_name="alice")
    fake.user("U2", "Bob Stone", display_name="bob")
    fake.user("UADMIN", "Ada Admin", display_name="ada", is_admin=True)
    fake.channel(
        "C1",
        "trip",
        members=["U1", "U2", "UADMIN"][:members] + [f"U9{n}" for n in range(max(0, members - 3))],
    )


async def healthy() -> dict[str, object]:
    return {"status": "ok"}


class SlackDriver(Driver):
    """The workspace of `setup_channel`, and #work (C2) with Alice and Bob; Parley installed and
    reachable at its HTTP address (`url`, `http`), started with auth.test done. In the scenarios'
    world (`on_its_fake`) Alice is a workspace admin, so she administers both channels."""

    platform = "slack"
    limit = 12_000  # one streamed message; the answer goes on in messages of its own

    def __init__(self, fake: FakeSlack, model: FakeOpenAI, store: SqliteStore) -> None:
        super().__init__(model, store)
        self.fake = fake
        setup_channel(fake)
        fake.channel("C2", "work", members=["U1", "U2"])
        self.channels = dict(CHANNELS)
        self.url = ""
        self._adapter: SlackAdapter | None = None
        self._http: aiohttp.ClientSession | None = None
        self._server: HttpServer | None = None

    @classmethod
    @asynccontextmanager
    async def on_its_fake(cls, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Self]:
        slack = await FakeSlack().start()
        try:
            driver = cls(slack, model, store)
            slack.users[USER_IDS[ALICE]]["is_admin"] = True
            yield driver
        finally:
            await slack.stop()

    @property
    def adapter(self) -> SlackAdapter:
        assert self._adapter is not None, "Parley is not running"
        return self._adapter

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None, "Parley is not running"
        return self._http

    async def _start(self, core: Facilitator) -> None:
        fake = self.fake
        adapter = SlackAdapter(
            core, SlackConfig(bot_token=fake.bot_token, signing_secret=SECRET, api_base_url=fake.base_url)
        )

        async def relay(body: str, headers: dict[str, str], query: str) -> tuple[int, str, dict[str, str]]:
            answer = await adapter.receive(body, headers, query)
            return answer.status, answer.body, answer.headers

        self._server = HttpServer("127.0.0.1", 0, healthy)
        self._server.add_raw("/slack/events", relay)
        await self._server.start()
        self.url = f"http://127.0.0.1:{self._server.port}/slack/events"
        self._adapter = adapter
        await adapter.start()
        self._http = aiohttp.ClientSession()

    async def _stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        await self.adapter.stop()
        if self._server is not None:
            await self._server.stop()

    # --- Slack's own deliveries --------------------------------------------------------------

    async def deliver(self, body: dict[str, Any], **signing: Any) -> int:
        """An Events API delivery (from `fake.event_*`), signed; the HTTP status Parley answered."""
        raw = json.dumps(body)
        async with self.http.post(self.url, data=raw, headers=sign(raw, SECRET, **signing)) as response:
            return response.status

    async def slash(self, form: dict[str, str], **signing: Any) -> tuple[int, str]:
        """A slash command (from `fake.slash_command`), signed; the status and body Parley answered."""
        raw = encode_form(form)
        async with self.http.post(self.url, data=raw, headers=sign(raw, SECRET, **signing)) as response:
            return response.status, await response.text()

    # --- the verbs ---------------------------------------------------------------------------

    async def rename(self, where: str, who: str, name: str) -> None:
        """A new display name, for the whole workspace: Slack's `user_change`."""
        await self.deliver(self.fake.event_user_change(USER_IDS[who], display_name=name))

    async def react(self, where: str, who: str, said: str, emoji: str) -> None:
        """`reaction_added`, with the emoji's Slack name (`:+1:` for 👍)."""
        event = self.fake.event_reaction_added(self.channels[where], USER_IDS[who], said, NAMES[emoji])
        await self.deliver(event)

    async def delete(self, where: str, said: str) -> None:
        """A `message` of subtype `message_deleted` (Slack does not say who deleted it)."""
        await self.deliver(self.fake.event_message_deleted(self.channels[where], said))

    def direct(self, who: str) -> str:
        self.channels[f"direct:{who}"] = str(self.fake.im(USER_IDS[who])["id"])
        return f"direct:{who}"

    async def say(self, where: str, who: str, text: str) -> str:
        event = self.fake.event_message(self.channels[where], USER_IDS[who], text)
        await self.deliver(event)
        return str(event["event"]["ts"])

    async def mention(self, where: str, who: str, text: str) -> str:
        channel = self.channels[where]
        if self.fake.channel_type(channel) == "im":
            return await self.say(where, who, text)
        event = self.fake.event_app_mention(channel, USER_IDS[who], f"<@{self.fake.bot_user_id}> {text}")
        await self.deliver(event)
        return str(event["event"]["ts"])

    async def command(self, where: str, who: str, text: str) -> str:
        """`/parley text`; the answer in the conversation, or as an ephemeral for the member."""
        form = self.fake.slash_command(self.channels[where], USER_IDS[who], text)
        shown, alone = len(self.posted(where)), len(self.told_alone(who))
        status, _ = await self.slash(form)
        assert status == 200, f"/parley {text} was answered {status}"
        new = await until(
            lambda: self.posted(where)[shown:] + self.told_alone(who)[alone:],
            what=f"an answer to /parley {text}",
        )
        return new[0]

    def grow(self, where: str, people: int) -> None:
        channel = self.channels[where]
        present = self.fake.members[channel]
        humans = [member for member in present if member != self.fake.bot_user_id]
        self.fake.members[channel] = present + [f"U9{n}" for n in range(max(0, people - len(humans)))]

    def posted(self, where: str) -> list[str]:
        return self.fake.posted(self.channels[where])

    def told_alone(self, who: str) -> list[str]:
        return list(self.fake.ephemeral.get(USER_IDS[who], []))

    def reactions(self, where: str, said: str) -> list[str]:
        message = self.fake.message(self.channels[where], said) or {}
        return [
            EMOJI.get(reaction["name"], f":{reaction['name']}:")
            for reaction in message.get("reactions", [])
            if self.fake.bot_user_id in reaction["users"]
        ]

    def reactions_made(self) -> int:
        return len(self.fake.calls_of("reactions.add"))

    def messages_sent(self) -> int:
        return sum(len(self.fake.calls_of(method)) for method in ("chat.postMessage", "chat.startStream"))

    def conversation(self, where: str) -> ConversationRef:
        return ConversationRef(self.platform, self.channels[where])
