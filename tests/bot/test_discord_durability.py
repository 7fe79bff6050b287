"""Nothing lost, nothing left unanswered on Discord (issue 14), with `parley run` as an operator
runs it: a process of its own against the loopback Discord and model, stopped (SIGTERM, or kill
-9) while members talk, then started again. What members would notice is counted: messages
Discord delivered that the store lacks, mentions never answered, mentions answered twice."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.discord import ANN, BOB, GENERAL, GUILD, build, server_on_shard
from tests.support.process import A_PROCESS, endpoint, running

ROOMS = [1_410_000_000_000_000_100 + n for n in range(4)]  # one mention each: one answer each
TROUBLE = ("Traceback", "never retrieved", "StoreClosedError")


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = build(FakeDiscord())
    for n, room in enumerate(ROOMS):
        fake.text_channel(GUILD, room, f"room-{n}")
    server = await fake.start()
    yield server
    await server.stop()


def parley_env(fake: FakeDiscord, model: FakeOpenAI, tmp_path: Path) -> dict[str, str]:
    return {
        **endpoint(model),
        "DISCORD_TOKEN": fake.token,
        "PARLEY_DISCORD__API_BASE_URL": fake.rest_base,
        "PARLEY_DISCORD__GATEWAY_URL": fake.gateway_url,
        "PARLEY_STORE__DATABASE_URL": f"sqlite:///{tmp_path}/parley.db",
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
        "PARLEY_GROUPS__BURST_WINDOW_SECONDS": "0.5",
    }


@dataclass
class Talk:
    """What members said, as Discord delivered it."""

    said: list[str] = field(default_factory=list)  # message ids
    asked: dict[int, str] = field(default_factory=dict)  # room -> the mention's id

    async def chat(self, fake: FakeDiscord, n: int, channel: int = GENERAL) -> None:
        who = fake.users[ANN if n % 2 else BOB]
        message = await fake.dispatch_message(channel, who, f"message {n} about the trip")
        self.said.append(str(message["id"]))

    async def ask(self, fake: FakeDiscord, room: int) -> None:
        asked = await fake.dispatch_message(
            room, fake.users[ANN], f"<@{fake.bot_id}> a question in {room}?", mentions=[fake.bot_user]
        )
        self.said.append(str(asked["id"]))
        self.asked[room] = str(asked["id"])

    def answers_to(self, fake: FakeDiscord, room: int) -> int:
        """The bot's messages in the room replying to its mention."""
        mine = [m for m in fake.messages.get(room, {}).values() if m["author"]["id"] == str(fake.bot_id)]
        return sum((m.get("message_reference") or {}).get("message_id") == self.asked[room] for m in mine)

    def unanswered(self, fake: FakeDiscord) -> int:
        return sum(self.answers_to(fake, room) == 0 for room in self.asked)

    def answered_twice(self, fake: FakeDiscord) -> int:
        return sum(self.answers_to(fake, room) > 1 for room in self.asked)

    def lost(self, database: Path) -> int:
        """Messages Discord delivered that the store lacks (read once the process is gone)."""
        with sqlite3.connect(database) as db:
            rows = db.execute(
                "SELECT m.message_id FROM messages AS m JOIN conversations AS c ON c.id = m.conversation_id"
                " WHERE c.platform = 'discord'"
            ).fetchall()
        return len(set(self.said) - {str(row[0]) for row in rows})


@dataclass
class Run:
    process: asyncio.subprocess.Process
    stderr: bytearray


@asynccontextmanager
async def parley_running(env: dict[str, str], cwd: Path, fake: FakeDiscord, *args: str) -> AsyncIterator[Run]:
    """`parley run *args`, its stderr read as it goes (a full pipe would stall it), ready on
    Discord (its commands synced) when the block begins."""
    synced = len(fake.calls_of("PUT", "/applications/{id}/commands"))
    async with running(env, cwd, *args) as process:
        assert process.stderr is not None
        run = Run(process, bytearray())
        reader = asyncio.ensure_future(_drain(process.stderr, run.stderr))
        try:
            await until(
                lambda: (
                    len(fake.calls_of("PUT", "/applications/{id}/commands")) > synced
                    or process.returncode is not None
                ),
                within=A_PROCESS,
                what="Parley ready on Discord",
            )
            assert process.returncode is None, run.stderr.decode()
            yield run
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
            await asyncio.wait_for(reader, 5)


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while chunk := await stream.read(65536):
        into.extend(chunk)


def trouble(run: Run) -> list[str]:
    return [line for line in run.stderr.decode().splitlines() if any(t in line for t in TROUBLE)]


@pytest.mark.parametrize("way_back", ["resume", "catch_up"])
async def test_down_for_a_while_then_back_nothing_is_lost_and_the_mention_answered_once(
    discord: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path, way_back: str
) -> None:
    env, talk = parley_env(discord, fake_model, tmp_path), Talk()
    async with parley_running(env, tmp_path, discord) as first:
        await talk.chat(discord, 0)
        await talk.ask(discord, ROOMS[0])
        await until(lambda: talk.answers_to(discord, ROOMS[0]), within=A_PROCESS)
    assert first.process.returncode == 0 and trouble(first) == []
    # Parley is down "for a minute" (a second here): members go on talking
    if way_back == "catch_up":
        discord.gateway.sessions.clear()  # Discord no longer lets that session resume
    for n in range(1, 11):
        await talk.chat(discord, n)
    await talk.ask(discord, ROOMS[1])
    await asyncio.sleep(1.0)
    async with parley_running(env, tmp_path, discord) as second:
        await until(lambda: talk.answers_to(discord, ROOMS[1]), within=A_PROCESS)
    assert second.process.returncode == 0 and trouble(second) == []
    if way_back == "resume":
        assert len(discord.gateway.identifies) == 1 and len(discord.gateway.resumes) == 1
    else:
        assert len(discord.gateway.identifies) == 2 and discord.gateway.resumes == []
        assert discord.calls_of("GET", f"/channels/{GENERAL}/messages")  # caught up from history
    assert (talk.lost(tmp_path / "parley.db"), talk.unanswered(discord), talk.answered_twice(discord)) == (
        0,
        0,
        0,
    )


async def test_killed_mid_burst_then_restarted_nothing_is_lost_or_answered_twice(
    discord: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env, talk = parley_env(discord, fake_model, tmp_path), Talk()
    async with parley_running(env, tmp_path, discord) as first:
        for n in range(40):
            await talk.chat(discord, n)
            if n % 10 == 5:
                await talk.ask(discord, ROOMS[n // 10])
            if n == 24:
                first.process.kill()  # kill -9: no pause, nothing flushed
            await asyncio.sleep(0.01)
    assert first.process.returncode == -signal.SIGKILL
    async with parley_running(env, tmp_path, discord):
        await until(lambda: talk.unanswered(discord) == 0, within=A_PROCESS)
    counts = (talk.lost(tmp_path / "parley.db"), talk.unanswered(discord), talk.answered_twice(discord))
    assert counts == (0, 0, 0), "lost, never answered, answered twice"
    assert len(discord.gateway.resumes) == 1  # the killed process's session, resumed


async def test_stopped_mid_burst_it_stops_cleanly_and_loses_nothing(
    discord: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    env, talk = parley_env(discord, fake_model, tmp_path), Talk()
    async with parley_running(env, tmp_path, discord) as first:
        for n in range(40):
            await talk.chat(discord, n)
            if n % 10 == 5:
                await talk.ask(discord, ROOMS[n // 10])
            if n == 20:
                first.process.send_signal(signal.SIGTERM)  # the burst goes on while it stops
            await asyncio.sleep(0.01)
        await asyncio.wait_for(first.process.wait(), 30)
    assert first.process.returncode == 0
    assert trouble(first) == []
    assert discord.gateway.client_closes[0] == 4000  # the session left resumable
    async with parley_running(env, tmp_path, discord) as second:
        await until(lambda: talk.unanswered(discord) == 0, within=A_PROCESS)
    assert trouble(second) == []
    counts = (talk.lost(tmp_path / "parley.db"), talk.unanswered(discord), talk.answered_twice(discord))
    assert counts == (0, 0, 0), "lost, never answered, answered twice"


async def test_sharded_killed_mid_burst_each_shard_resumes_its_own_session_and_nothing_is_lost(
    discord: FakeDiscord, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    """Two shards (the Trip server on shard 1, another on shard 0), run by `--shards 0-1` then
    by default; killed mid-burst, then back: each shard RESUMEs its own session from its own
    kept point, and every message on both shards is stored, every mention answered once."""
    _, on_0 = server_on_shard(discord, 0, 2)
    env, talk = {**parley_env(discord, fake_model, tmp_path), "PARLEY_DISCORD__SHARD_COUNT": "2"}, Talk()
    async with parley_running(env, tmp_path, discord, "--shards", "0-1") as first:
        assert sorted(i["shard"] for i in discord.gateway.identifies) == [[0, 2], [1, 2]]
        sessions = {key[0]: session for key, session in discord.gateway.current.items()}
        for n in range(30):
            await talk.chat(discord, n, on_0 if n % 2 else GENERAL)
            if n % 10 == 5:
                await talk.ask(discord, ROOMS[n // 10])  # shard 1
            if n == 8:
                await talk.ask(discord, on_0)  # shard 0
            if n == 18:
                first.process.kill()  # kill -9: no pause, nothing flushed
            await asyncio.sleep(0.01)
    assert first.process.returncode == -signal.SIGKILL
    async with parley_running(env, tmp_path, discord) as second:
        await until(lambda: talk.unanswered(discord) == 0, within=A_PROCESS)
    assert trouble(second) == []
    assert len(discord.gateway.identifies) == 2  # no shard identified anew
    assert sorted(r["session_id"] for r in discord.gateway.resumes) == sorted(s.id for s in sessions.values())
    counts = (talk.lost(tmp_path / "parley.db"), talk.unanswered(discord), talk.answered_twice(discord))
    assert counts == (0, 0, 0), "lost, never answered, answered twice"
