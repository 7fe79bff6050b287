"""`parley run` on Slack stopped mid-load, as a crash (`kill -9`) or a deploy (SIGTERM) stops it,
then started again (issue 14): nothing Slack was told is handled is missing from the database,
and every mention is answered exactly once, over HTTP events and over Socket Mode. Slack's part
is played as Slack plays it: an event is acknowledged or not, one not acknowledged is delivered
again (`X-Slack-Retry-Num`, `retry_attempt`), one acknowledged never is. And a slash command
typed where Parley is not a member is answered to whoever typed it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import encode_form, sign
from tests.support import until
from tests.support.process import A_PROCESS, endpoint, free_port
from tests.support.running import parley_run, stopped
from tests.support.slack_http import SECRET, HttpSlack

EVENTS = 200
MENTION_EVERY = 10  # one event in ten is a mention, each in a channel of its own
CONCURRENCY = 10
STOP_AFTER = 100  # acknowledgements before the process is stopped
MEMBERS = [f"U{n:02d}" for n in range(1, 11)]
CHATTER = ["C1", "C2", "C3", "C4"]
ANSWERED_WITHIN = 15.0
UNCLEAN = ("Traceback", "never retrieved", "StoreClosedError")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


@pytest.fixture
def slow_model(fake_model: FakeOpenAI) -> FakeOpenAI:
    """A model that takes a second to answer: answers are under way when the process stops."""
    fake_model.default = Reply(delay=1.0, chunk_delay=0.05)
    return fake_model


@dataclass
class Burst:
    """What Slack sends: `EVENTS` messages from ten members, one in ten a mention; which of
    them Parley acknowledged."""

    bodies: list[dict[str, Any]]
    mentions: list[int]  # indexes of the mentions in `bodies`
    acked: set[int] = field(default_factory=set)

    @classmethod
    def made(cls, fake: FakeSlack) -> Burst:
        for user in MEMBERS:
            fake.user(user, f"Member {user}", display_name=f"member-{user.lower()}")
        for channel in CHATTER:
            fake.channel(channel, channel.lower(), members=MEMBERS)
        bodies, mentions = [], []
        for n in range(EVENTS):
            user = MEMBERS[n % len(MEMBERS)]
            if n % MENTION_EVERY == MENTION_EVERY - 1:
                channel = fake.channel(f"CM{n:03d}", f"ask-{n}", members=MEMBERS)["id"]
                text = f"<@{fake.bot_user_id}> question {n}?"
                bodies.append(fake.event_app_mention(channel, user, text))
                mentions.append(n)
            else:
                bodies.append(fake.event_message(CHATTER[n % len(CHATTER)], user, f"chatter {n}"))
        return cls(bodies, mentions)

    def where(self, n: int) -> tuple[str, str]:
        event = self.bodies[n]["event"]
        return str(event["channel"]), str(event["ts"])

    def unacked(self) -> list[int]:
        return [n for n in range(len(self.bodies)) if n not in self.acked]

    def lost(self, database: Path) -> list[int]:
        """Acknowledged, and not in the database: what Slack will never send again."""
        stored = stored_messages(database)
        return sorted(n for n in self.acked if self.where(n) not in stored)

    def answers(self, fake: FakeSlack) -> dict[int, int]:
        """How many answers each mention got: Parley's messages in the thread under it."""
        return {n: len(fake.posted(self.where(n)[0], thread_ts=self.where(n)[1])) for n in self.mentions}


def stored_messages(database: Path) -> set[tuple[str, str]]:
    """(channel, ts) of every member's message in the database, read once Parley is gone."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT c.chat_id, m.message_id FROM messages AS m"
            " JOIN conversations AS c ON c.id = m.conversation_id"
            " WHERE c.platform = 'slack' AND m.from_ai = 0"
        ).fetchall()
    return {(str(chat), str(message)) for chat, message in rows}


def slack_env(
    fake: FakeSlack, model: FakeOpenAI, tmp_path: Path, port: int, *, socket: bool
) -> dict[str, str]:
    mode = {"SLACK_APP_TOKEN": fake.app_token} if socket else {"SLACK_SIGNING_SECRET": SECRET}
    return {
        **endpoint(model),
        **mode,
        "SLACK_BOT_TOKEN": fake.bot_token,
        "PARLEY_SLACK__API_BASE_URL": fake.base_url,
        "PORT": str(port),
        "PARLEY_STORE__DATABASE_URL": f"sqlite:///{tmp_path / 'parley.db'}",
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
    }


async def burst(deliver: Callable[[dict[str, Any]], Any], plan: Burst, stop: Callable[[], None]) -> None:
    """The events, ten at a time, until STOP_AFTER were acknowledged: then `stop`, and the
    deliveries under way end as they do."""
    queue = iter(range(len(plan.bodies)))
    stopped = False

    async def worker() -> None:
        nonlocal stopped
        for n in queue:
            if stopped:  # the rest waits at Slack for the next process
                return
            if await deliver(plan.bodies[n]):
                plan.acked.add(n)
                if len(plan.acked) >= STOP_AFTER and not stopped:
                    stopped = True
                    stop()

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CONCURRENCY))), timeout=40)


async def redeliver(deliver: Callable[[dict[str, Any]], Any], plan: Burst) -> None:
    """What was not acknowledged, again (Slack retries), until the new process takes it."""
    waiting = plan.unacked()

    async def one(n: int) -> None:
        for _ in range(20):
            if await deliver(plan.bodies[n]):
                plan.acked.add(n)
                return
            await asyncio.sleep(0.2)

    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(n: int) -> None:
        async with gate:
            await one(n)

    await asyncio.wait_for(asyncio.gather(*(gated(n) for n in waiting)), timeout=40)
    assert plan.unacked() == [], "the restarted process took every redelivery"


async def all_answered(fake: FakeSlack, plan: Burst) -> None:
    """Until every mention has an answer (or ANSWERED_WITHIN passed: the tally tells), and a
    moment more, long enough for a second answer to show, were there one."""
    with contextlib.suppress(AssertionError):
        await until(lambda: all(plan.answers(fake).values()), within=ANSWERED_WITHIN)
    await asyncio.sleep(1.0)


def tally(plan: Burst, fake: FakeSlack, lost: list[int]) -> dict[str, int]:
    answers = plan.answers(fake)
    return {
        "lost": len(lost),
        "unanswered": sum(1 for count in answers.values() if count == 0),
        "answered twice": sum(1 for count in answers.values() if count > 1),
    }


# --- HTTP events ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill -9", "SIGTERM"])
async def test_http_events_stopped_mid_burst_lose_nothing_and_every_mention_is_answered_once(
    slack: FakeSlack, slow_model: FakeOpenAI, tmp_path: Path, how: signal.Signals
) -> None:
    plan = Burst.made(slack)
    port = free_port()
    env = slack_env(slack, slow_model, tmp_path, port, socket=False)
    database = tmp_path / "parley.db"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        delivery = HttpSlack(session, port)

        async def deliver(body: dict[str, Any]) -> bool:
            return await delivery.deliver(body) == 200

        async with parley_run(env, tmp_path, "first") as first:
            await delivery.ready(slack)
            await burst(deliver, plan, lambda: first.process.send_signal(how))
            await stopped(first, how)
        lost = plan.lost(database)
        async with parley_run(env, tmp_path, "second") as second:
            await delivery.ready(slack)

            async def again(body: dict[str, Any]) -> bool:
                return await delivery.deliver(body, retry=1) == 200

            await redeliver(again, plan)
            await all_answered(slack, plan)
            second.process.send_signal(signal.SIGTERM)
            assert await stopped(second, signal.SIGTERM) == 0
    assert tally(plan, slack, lost) == {"lost": 0, "unanswered": 0, "answered twice": 0}
    if how is signal.SIGTERM:
        assert not [word for word in UNCLEAN if word in first.logged()], first.logged()[-3000:]
    assert not [word for word in UNCLEAN if word in second.logged()], second.logged()[-3000:]


# --- Socket Mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill -9", "SIGTERM"])
async def test_socket_mode_stopped_mid_burst_loses_nothing_and_every_mention_is_answered_once(
    slack: FakeSlack, slow_model: FakeOpenAI, tmp_path: Path, how: signal.Signals
) -> None:
    plan = Burst.made(slack)
    env = slack_env(slack, slow_model, tmp_path, free_port(), socket=True)
    database = tmp_path / "parley.db"

    def delivering(retry: int) -> Callable[[dict[str, Any]], Any]:
        async def deliver(body: dict[str, Any]) -> bool:
            try:
                envelope = await slack.socket_send(
                    body, within=2.0, retry_attempt=retry, retry_reason="timeout"
                )
                await slack.wait_ack(envelope, within=3.0)
            except (TimeoutError, ConnectionError):  # no connection, or it went away: not acknowledged
                return False
            return True

        return deliver

    async with parley_run(env, tmp_path, "first") as first:
        await until(lambda: slack._sockets, within=A_PROCESS, what="a Socket Mode connection")
        await burst(delivering(0), plan, lambda: first.process.send_signal(how))
        await stopped(first, how)
    lost = plan.lost(database)
    await until(lambda: not slack._sockets, what="the old connection gone")
    async with parley_run(env, tmp_path, "second") as second:
        await until(lambda: slack._sockets, within=A_PROCESS, what="the new Socket Mode connection")
        await redeliver(delivering(1), plan)
        await all_answered(slack, plan)
        second.process.send_signal(signal.SIGTERM)
        assert await stopped(second, signal.SIGTERM) == 0
    assert tally(plan, slack, lost) == {"lost": 0, "unanswered": 0, "answered twice": 0}
    if how is signal.SIGTERM:
        assert not [word for word in UNCLEAN if word in first.logged()], first.logged()[-3000:]
    assert not [word for word in UNCLEAN if word in second.logged()], second.logged()[-3000:]


# --- slash commands ---------------------------------------------------------------------------


async def test_a_slash_command_where_parley_is_not_a_member_reaches_whoever_typed_it(
    slack: FakeSlack, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    slack.user("U1", "Alice Liddell", display_name="alice")
    slack.channel("C9", "elsewhere", members=["U1"], bot_member=False)
    port = free_port()
    env = slack_env(slack, fake_model, tmp_path, port, socket=False)
    async with (
        aiohttp.ClientSession() as session,
        parley_run(env, tmp_path, "commands") as run,
    ):
        delivery = HttpSlack(session, port)
        await delivery.ready(slack)
        command = slack.slash_command("C9", "U1", "help")
        raw = encode_form(command)
        assert await delivery.post(raw, sign(raw, SECRET)) == 200
        await until(lambda: slack.responses_to(command), within=10, what="the answer to /parley help")
        run.process.send_signal(signal.SIGTERM)
        await stopped(run, signal.SIGTERM)
    [answer] = slack.responses_to(command)
    assert answer["response_type"] == "ephemeral" and "mode" in answer["text"]
    assert slack.ephemeral["U1"] == [answer["text"]]  # Alice sees it, and only Alice
    assert slack.posted("C9") == [] and not slack.calls_of("chat.postMessage")
