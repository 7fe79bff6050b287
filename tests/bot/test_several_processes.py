"""Two `parley run` processes sharing one PostgreSQL (issue 16), driven as Slack drives a web
process scaled to two dynos behind a router: every event may reach either, or both (a retry that
lands on the other). Each message is stored once and each mention answered once; a conversation's
answers keep their order though its messages reach different processes; and a process killed with
`kill -9` mid-answer has its answers given by the other. On Telegram, one process polls at a
time, and another takes over when it dies."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI, Received, Reply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.support import until
from tests.support.discord import ANN, server_on_shard
from tests.support.discord import build as build_discord
from tests.support.durability import UNCLEAN
from tests.support.process import A_PROCESS, endpoint, free_port, parley
from tests.support.running import Run, parley_run, stopped
from tests.support.slack_http import SECRET, HttpSlack

MEMBERS = [f"U{n:02d}" for n in range(1, 6)]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    for user in MEMBERS:
        fake.user(user, f"Member {user}", display_name=f"member-{user.lower()}")
    yield fake
    await fake.stop()


def env_for(slack: FakeSlack, model: FakeOpenAI, database: str, port: int) -> dict[str, str]:
    return {
        **endpoint(model),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "PARLEY_SLACK__API_BASE_URL": slack.base_url,
        "PORT": str(port),
        "DATABASE_URL": database,
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
    }


@dataclass
class Dyno:
    """One `parley run` of the two, and Slack delivering to it."""

    run: Run
    slack: HttpSlack


@asynccontextmanager
async def two_dynos(
    slack: FakeSlack, model: FakeOpenAI, database: str, cwd: Path, names: tuple[str, str]
) -> AsyncIterator[tuple[Dyno, Dyno]]:
    """Two `parley run` on one database, each on a port of its own, both answering already."""
    ports = free_port(), free_port()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        parley_run(env_for(slack, model, database, ports[0]), cwd, names[0]) as first,
        parley_run(env_for(slack, model, database, ports[1]), cwd, names[1]) as second,
    ):
        dynos = Dyno(first, HttpSlack(session, ports[0])), Dyno(second, HttpSlack(session, ports[1]))
        await asyncio.gather(*(dyno.slack.ready(slack) for dyno in dynos))
        yield dynos


async def stored(database: str) -> list[tuple[str, str]]:
    """(channel, ts) of every member's message PostgreSQL holds, in every conversation."""
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch(
            "SELECT c.chat_id, m.message_id FROM messages AS m JOIN conversations AS c"
            " ON c.id = m.conversation_id WHERE m.from_ai = 0"
        )
    finally:
        await connection.close()
    return [(str(row[0]), str(row[1])) for row in rows]


def last_words(body: dict[str, Any]) -> str:
    return str([m for m in body["messages"] if m["role"] == "user"][-1]["content"])


def requests_about(model: FakeOpenAI, words: str) -> list[Received]:
    return [r for r in model.received if words in last_words(r.body)]


async def test_events_reaching_both_processes_are_stored_once_and_answered_once_in_order(
    slack: FakeSlack, fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    def reply(body: dict[str, Any]) -> str:  # says which question it answers, over ~2 s
        words = last_words(body)
        which = "second" if "second" in words else "first" if "first" in words else "other"
        return f"This answers the {which} question, slowly and in full."

    fake_model.default = Reply(text=reply, chunk_size=6, chunk_delay=0.2)
    bodies: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    for n in range(60):
        if n % 6 == 5:
            channel = slack.channel(f"CM{n:02d}", f"ask-{n}", members=MEMBERS)["id"]
            body = slack.event_app_mention(channel, MEMBERS[n % 5], f"<@{slack.bot_user_id}> question {n}?")
            mentions.append(body)
        else:
            slack.channel("CHAT", "chat", members=MEMBERS)
            body = slack.event_message("CHAT", MEMBERS[n % 5], f"chatter {n}")
        bodies.append(body)
    async with two_dynos(slack, fake_model, postgres_url, tmp_path, ("a", "b")) as (dyno_a, dyno_b):
        (a, to_a), (b, to_b) = (dyno_a.run, dyno_a.slack), (dyno_b.run, dyno_b.slack)
        # Every event to both at once, as a retry landing on the other dyno does.
        statuses = await asyncio.gather(
            *(
                target.deliver(body, retry=1 if target is to_b else 0)
                for body in bodies
                for target in (to_a, to_b)
            )
        )
        assert set(statuses) == {200}

        # One thread, its two questions reaching different processes: the second is asked
        # while the first is being answered.
        slack.channel("CT", "thread", members=MEMBERS)
        parent = slack.event_message("CT", "U01", "a thread of questions")
        assert await to_a.deliver(parent) == 200
        thread = str(parent["event"]["ts"])
        ask = f"<@{slack.bot_user_id}>"
        first = slack.event_app_mention("CT", "U02", f"{ask} the first question?", thread_ts=thread)
        assert await to_a.deliver(first) == 200
        await until(
            lambda: any(r.first_token_at for r in requests_about(fake_model, "first question")),
            within=15,
            what="the first answer under way",
        )
        second = slack.event_app_mention("CT", "U03", f"{ask} and the second question?", thread_ts=thread)
        assert await to_b.deliver(second) == 200

        def answered() -> bool:
            return all(
                slack.posted(m["event"]["channel"], thread_ts=m["event"]["ts"]) for m in mentions
            ) and (len(slack.posted("CT", thread_ts=thread)) >= 2)

        await until(answered, within=30, what="every mention answered")
        await asyncio.sleep(1.5)  # long enough for a second answer to show, were there one
        for run in (a, b):
            run.process.send_signal(signal.SIGTERM)
            assert await stopped(run, signal.SIGTERM) == 0
    repeats = {
        m["event"]["ts"]: len(slack.posted(m["event"]["channel"], thread_ts=m["event"]["ts"]))
        for m in mentions
    }
    assert set(repeats.values()) == {1}, repeats
    assert slack.posted("CT", thread_ts=thread) == [
        "This answers the first question, slowly and in full.",
        "This answers the second question, slowly and in full.",
    ]
    (asked_second,) = requests_about(fake_model, "second question")
    (asked_first,) = [r for r in requests_about(fake_model, "first question") if r is not asked_second]
    assert asked_first.done_at is not None and asked_second.at > asked_first.done_at  # one after the other
    sent = [(str(b["event"]["channel"]), str(b["event"]["ts"])) for b in (*bodies, parent, first, second)]
    # Every one stored (a conversation holds a message once: the database's unique key); the
    # thread's first message heads the thread's conversation too; the AI's own are the AI's.
    assert set(await stored(postgres_url)) == set(sent)
    for run in (a, b):
        assert not [word for word in UNCLEAN if word in run.logged()], run.logged()[-3000:]


async def test_a_process_killed_mid_answer_has_its_answers_given_by_the_other(
    slack: FakeSlack, fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    fake_model.default = Reply(text="Taken over and answered.", delay=3.0)  # nothing shown before the kill
    mentions = []
    for n in range(5):
        channel = slack.channel(f"CK{n}", f"kill-{n}", members=MEMBERS)["id"]
        mentions.append(slack.event_app_mention(channel, MEMBERS[n], f"<@{slack.bot_user_id}> question {n}?"))
    async with two_dynos(slack, fake_model, postgres_url, tmp_path, ("doomed", "survivor")) as dynos:
        (doomed, to_doomed), survivor = (dynos[0].run, dynos[0].slack), dynos[1].run
        assert set(await asyncio.gather(*(to_doomed.deliver(body) for body in mentions))) == {200}
        await until(lambda: len(fake_model.received) >= 5, within=15, what="the doomed process answering")
        doomed.process.send_signal(signal.SIGKILL)
        await stopped(doomed, signal.SIGKILL)

        def answered() -> bool:
            return all(slack.posted(m["event"]["channel"], thread_ts=m["event"]["ts"]) for m in mentions)

        await until(answered, within=30, what="the survivor giving every answer")
        await asyncio.sleep(1.0)
        survivor.process.send_signal(signal.SIGTERM)
        assert await stopped(survivor, signal.SIGTERM) == 0
    for body in mentions:
        event = body["event"]
        assert slack.posted(event["channel"], thread_ts=event["ts"]) == ["Taken over and answered."]
    assert (
        "took over 5 answer(s) another process left" in survivor.logged() or "took over" in survivor.logged()
    )
    assert not [word for word in UNCLEAN if word in survivor.logged()], survivor.logged()[-3000:]


# --- Telegram polling -------------------------------------------------------------------------


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


def telegram_env(telegram: FakeTelegram, model: FakeOpenAI, database: str) -> dict[str, str]:
    return {
        **endpoint(model),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "PARLEY_TELEGRAM__API_BASE_URL": f"http://127.0.0.1:{telegram.port}",
        "DATABASE_URL": database,
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
    }


def mentions_in(telegram: FakeTelegram, first_chat: int, count: int) -> list[tuple[int, int]]:
    """A mention in each of `count` new groups, queued for getUpdates: (chat id, message id)."""
    member = telegram.user(100, "Member")
    asked = []
    for n in range(count):
        chat = telegram.group(-(first_chat + n), f"Group {first_chat + n}", supergroup=True, member_count=3)
        update = telegram.push_message(chat, member, f"@{telegram.username} question {n}?")
        asked.append((chat["id"], update["message"]["message_id"]))
    return asked


def answers(telegram: FakeTelegram, chat_id: int, message_id: int) -> int:
    """The bot's messages replying to one mention (an answer streams: one message, edited)."""
    return len(
        {
            sent["message_id"]
            for sent in telegram.sent(chat_id)
            if (sent.get("reply_to_message") or {}).get("message_id") == message_id
        }
    )


async def test_one_process_polls_telegram_and_another_takes_over_when_it_dies(
    telegram: FakeTelegram, fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    env = telegram_env(telegram, fake_model, postgres_url)
    async with parley_run(env, tmp_path, "one") as one, parley_run(env, tmp_path, "two") as two:
        asked = mentions_in(telegram, 2000, 10)

        def all_answered(which: list[tuple[int, int]]) -> bool:
            return all(answers(telegram, *each) for each in which)

        await until(lambda: all_answered(asked), within=30, what="the first mentions answered")
        await until(
            lambda: "another process polls" in one.logged() + two.logged(), within=10, what="one waiting"
        )
        assert telegram.conflicts == 0  # never two polling at once
        poller, waiter = (two, one) if "another process polls" in one.logged() else (one, two)
        poller.process.send_signal(signal.SIGKILL)
        await stopped(poller, signal.SIGKILL)
        later = mentions_in(telegram, 3000, 10)
        await until(lambda: all_answered(later), within=30, what="the waiting process taking over")
        await asyncio.sleep(1.0)
        waiter.process.send_signal(signal.SIGTERM)
        assert await stopped(waiter, signal.SIGTERM) == 0
    assert [answers(telegram, *each) for each in asked + later] == [1] * 20
    assert telegram.conflicts <= 1  # at most the dead poller's last request, ended by the new one
    assert "took over from the process that polled" in waiter.logged()
    assert not [word for word in UNCLEAN if word in waiter.logged()], waiter.logged()[-3000:]


# --- quotas -----------------------------------------------------------------------------------


async def test_a_members_daily_answers_are_exact_when_both_processes_answer_them_at_once(
    slack: FakeSlack, fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(
        '[quotas]\ndefault_tier = "free"\n\n[quotas.tiers.free]\nreplies_per_day = 3\n', encoding="utf-8"
    )
    fake_model.default = Reply(text="Within your answers for today.", delay=0.5)
    asks = []
    for n in range(8):
        channel = slack.channel(f"CQ{n}", f"quota-{n}", members=MEMBERS)["id"]
        asks.append(slack.event_app_mention(channel, "U01", f"<@{slack.bot_user_id}> question {n}?"))
    async with two_dynos(slack, fake_model, postgres_url, tmp_path, ("qa", "qb")) as dynos:
        (a, b), to = (dynos[0].run, dynos[1].run), (dynos[0].slack, dynos[1].slack)
        statuses = await asyncio.gather(*(to[n % 2].deliver(body) for n, body in enumerate(asks)))
        assert set(statuses) == {200}

        def given() -> int:
            return sum(
                1 for m in asks if "Within your answers" in " ".join(slack.posted(m["event"]["channel"]))
            )

        await until(lambda: given() >= 3 and slack.ephemeral.get("U01"), within=20, what="three answers")
        await asyncio.sleep(2.0)  # time for a fourth, were there one
        for run in (a, b):
            run.process.send_signal(signal.SIGTERM)
            assert await stopped(run, signal.SIGTERM) == 0
    assert given() == 3  # exactly the tier's three, though two processes answered at once
    assert len(slack.ephemeral["U01"]) == 1  # told once, privately, that today's are used up
    connection = await asyncpg.connect(postgres_url)
    try:
        replies = await connection.fetchval("SELECT replies FROM usage WHERE user_id = 'U01'")
    finally:
        await connection.close()
    assert replies == 3


# --- the kill switch --------------------------------------------------------------------------


async def test_parley_off_reaches_every_running_process_at_once(
    slack: FakeSlack, fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    off = slack.channel("COFF", "switched-off", members=MEMBERS)["id"]
    on = slack.channel("CON", "still-on", members=MEMBERS)["id"]
    async with two_dynos(slack, fake_model, postgres_url, tmp_path, ("ka", "kb")) as dynos:
        (a, b), to = (dynos[0].run, dynos[1].run), (dynos[0].slack, dynos[1].slack)
        code, _, err = await parley("off", f"slack:{off}", env={"DATABASE_URL": postgres_url}, cwd=tmp_path)
        assert code == 0, err
        await asyncio.sleep(1.0)  # word of it travels by NOTIFY; the processes' own re-read is 30 s away
        asks = [
            slack.event_app_mention(where, "U01", f"<@{slack.bot_user_id}> anyone there {n}?")
            for n, where in enumerate((off, off, on))
        ]
        for n, body in enumerate(asks):
            assert await to[n % 2].deliver(body) == 200
        await until(lambda: slack.posted(on), within=15, what="the channel still on answered")
        await asyncio.sleep(1.0)
        for run in (a, b):
            run.process.send_signal(signal.SIGTERM)
            assert await stopped(run, signal.SIGTERM) == 0
    assert slack.posted(off) == []  # neither process answered where the operator switched it off


# --- Discord shards split through the database ---------------------------------------------


async def test_discord_shards_are_split_between_processes_and_a_standby_takes_over_a_dead_ones(
    fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    fake = build_discord(FakeDiscord())
    rooms = {shard: server_on_shard(fake, shard, 4)[1] for shard in range(4)}
    discord = await fake.start()
    env = {
        **endpoint(fake_model),
        "DISCORD_TOKEN": discord.token,
        "PARLEY_DISCORD__API_BASE_URL": discord.rest_base,
        "PARLEY_DISCORD__GATEWAY_URL": discord.gateway_url,
        "PARLEY_DISCORD__SHARD_COUNT": "4",
        "PARLEY_DISCORD__SHARDS_PER_PROCESS": "2",
        "DATABASE_URL": postgres_url,
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
    }

    async def ask(room: int, n: int) -> str:
        asked = await discord.dispatch_message(
            room, discord.users[ANN], f"<@{discord.bot_id}> question {n}?", mentions=[discord.bot_user]
        )
        return str(asked["id"])

    def answered(room: int, asked: str) -> bool:
        return any(
            m["author"]["id"] == str(discord.bot_id)
            and (m.get("message_reference") or {}).get("message_id") == asked
            for m in discord.messages.get(room, {}).values()
        )

    try:
        async with (
            parley_run(env, tmp_path, "p1", "--shards", "auto") as p1,
            parley_run(env, tmp_path, "p2", "--shards", "auto") as p2,
        ):
            await until(
                lambda: len(discord.gateway.identifies) == 4, within=60, what="four shards identified"
            )
            assert sorted(i["shard"][0] for i in discord.gateway.identifies) == [0, 1, 2, 3]  # each once
            async with parley_run(env, tmp_path, "p3", "--shards", "auto") as standby:
                await until(lambda: "standing by" in standby.logged(), within=A_PROCESS, what="a standby")
                first = {shard: await ask(room, shard) for shard, room in rooms.items()}
                await until(lambda: all(answered(rooms[s], a) for s, a in first.items()), within=20)
                doomed = p1 if "shards 0-1" in p1.logged() else p2
                doomed.process.send_signal(signal.SIGKILL)
                await stopped(doomed, signal.SIGKILL)
                later = {shard: await ask(room, 10 + shard) for shard, room in rooms.items()}
                await until(
                    lambda: "taking over shards 0-1" in standby.logged(), within=30, what="the takeover"
                )
                await until(lambda: all(answered(rooms[s], a) for s, a in later.items()), within=30)
                assert len(discord.gateway.identifies) == 4  # the dead process's shards resumed
                assert len(discord.gateway.resumes) == 2
    finally:
        await discord.stop()
