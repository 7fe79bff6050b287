"""The operator's commands on PostgreSQL, as processes: `parley check` names the database, its
schema version and the processes running; `parley migrate --from-sqlite` moves a SQLite
database's history up, once; a database that is not there is said plainly, without its password."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp

from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.store.migrations import LATEST
from facilitator.store.postgres import PostgresStore
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.durability import Log
from tests.support.postgres import PostgresServer
from tests.support.process import A_PROCESS, endpoint, free_port, parley, running

GROUP = ConversationRef("telegram", "-100")
ALICE = Member("telegram", "42", "Alice")


async def healthy(session: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def test_check_names_the_database_its_schema_and_the_processes_running(
    fake_model: FakeOpenAI, postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**endpoint(fake_model), "DATABASE_URL": postgres_url, "PORT": str(port)}
    code, out, err = await parley("check", env=env, cwd=tmp_path)
    assert code == 0, out + err
    place = postgres_url.split("@", 1)[1]
    assert f"database: OK (postgresql://{place}, schema version {LATEST})" in out
    assert "processes: none running" in out
    async with running(env, tmp_path) as bot, aiohttp.ClientSession() as session:
        await until(lambda: healthy(session, port), within=A_PROCESS, what="parley run serving /healthz")

        async def listed() -> str:
            _, said, _ = await parley("check", env=env, cwd=tmp_path)
            return said if f"pid {bot.pid}" in said else ""

        out = await until(listed, within=15, what="the running process listed")
        assert f"process: {socket.gethostname()} pid {bot.pid}" in out
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), timeout=30)
    code, out, _ = await parley("check", env=env, cwd=tmp_path)
    assert "processes: none running" in out  # a clean stop leaves the list


async def test_migrate_from_sqlite_moves_the_history_up_once(postgres_url: str, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    source = await SqliteStore.open(old)
    for n in range(25):
        await source.add_message(Message(str(n), GROUP, ALICE, f"said {n}"))
    await source.set_mode(GROUP, Mode.AUTO)
    await source.close()
    env = {"DATABASE_URL": postgres_url}
    code, out, err = await parley("migrate", "--from-sqlite", str(old), env=env, cwd=tmp_path)
    assert code == 0, err
    assert "25 messages, 1 conversations, 1 members" in out and "secret" not in out
    target = await PostgresStore.open(postgres_url, pool_size=2)
    try:
        assert [item.text for item in await target.history(GROUP, 100)] == [f"said {n}" for n in range(25)]
        assert (await target.group_state(GROUP)).mode is Mode.AUTO
    finally:
        await target.close()
    code, _, err = await parley("migrate", "--from-sqlite", str(old), env=env, cwd=tmp_path)
    assert code == 2 and "already holds" in err  # run twice: nothing copied over what is there
    code, _, err = await parley("migrate", "--from-sqlite", str(tmp_path / "none.db"), env=env, cwd=tmp_path)
    assert code == 2 and "no SQLite database at" in err
    code, _, err = await parley(
        "migrate", "--from-sqlite", str(old), env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path
    )
    assert code == 2 and "set DATABASE_URL=postgresql://" in err


async def test_a_database_that_is_not_there_is_said_plainly(tmp_path: Path, fake_model: FakeOpenAI) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {**endpoint(fake_model), "DATABASE_URL": f"postgresql://parley:hunter2@127.0.0.1:{closed}/parley"}
    code, out, err = await parley("migrate", env=env, cwd=tmp_path)
    assert code == 1 and "PostgreSQL is not reachable" in err and "hunter2" not in out + err
    code, out, err = await parley("check", env=env, cwd=tmp_path)
    assert code == 1 and "database: PROBLEM" in out and "hunter2" not in out + err


async def test_run_started_before_its_database_says_so_and_starts_once_it_is_up(
    fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    database_port, port = free_port(), free_port()
    env = {
        **endpoint(fake_model),
        "DATABASE_URL": f"postgresql://parley:hunter2@127.0.0.1:{database_port}/parley",
        "PORT": str(port),
    }
    async with running(env, tmp_path) as bot, aiohttp.ClientSession() as session:
        log = Log(bot)
        await until(lambda: "trying again in" in log.text, within=A_PROCESS, what="the retry said")
        assert "PostgreSQL is not reachable" in log.text and "hunter2" not in log.text
        server = await asyncio.to_thread(PostgresServer.start, database_port)  # the database comes up
        try:
            await until(
                lambda: healthy(session, port), within=45, what="parley run ready once its database is"
            )
            bot.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(bot.wait(), timeout=30) == 0
        finally:
            await asyncio.to_thread(server.stop)
    assert not log.unclean(), log.text[-3000:]
