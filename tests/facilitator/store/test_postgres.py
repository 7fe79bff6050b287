"""PostgreSQL shared by several processes (two stores on one database stand for two `parley run`):
what one changes the other follows, a message delivered to both is stored and owed once, claims
and counts are exact under contention, and a database that is away is said plainly and
reconnected to."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from facilitator.chat import ConversationRef, Member, Message, Mode, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.llm import OpenAIChatModel
from facilitator.ports import StoreUnavailable
from facilitator.store.pg_pool import DatabaseUnreachable
from facilitator.store.postgres import PostgresStore
from tests.fakes.recording_adapter import RecordingAdapter
from tests.support import until
from tests.support.postgres import GUARDED, PostgresServer

GROUP = ConversationRef("slack", "C1")
ELSEWHERE = ConversationRef("slack", "C2")
ALICE = Member("slack", "U1", "Alice")


def said(number: int, where: ConversationRef = GROUP) -> Message:
    return Message(f"{number}.0", where, ALICE, f"hello {number}", sent_at=utcnow() - timedelta(seconds=1))


@pytest.fixture
async def two(postgres_url: str) -> tuple[PostgresStore, PostgresStore]:
    first = await PostgresStore.open(postgres_url, pool_size=4)
    second = await PostgresStore.open(postgres_url, pool_size=4)
    yield first, second  # type: ignore[misc]
    await first.close()
    await second.close()


async def test_a_mode_set_through_one_process_is_followed_by_the_other(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two
    assert (await second.group_state(GROUP)).mode is None  # read once: now cached there
    await first.set_mode(GROUP, Mode.OFF)
    await first.set_instructions(GROUP, "Answer in French.")

    async def followed() -> bool:
        state = await second.group_state(GROUP)
        return state.mode is Mode.OFF and state.instructions == "Answer in French."

    await until(followed, within=5, what="the other process to follow the change")
    heard: list[str] = []
    second.watch(heard.append)
    await first.switch("slack:C1", off=True)
    await until(lambda: "switch" in heard, within=5, what="word of the kill switch")
    assert await second.switched_off() == {"slack:C1"}


async def test_a_message_delivered_to_both_at_once_is_stored_and_owed_once(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two
    results = await asyncio.gather(
        *(
            store.add_owed_message(said(n), owner, now=100.0, lease_until=130.0)
            for n in range(50)
            for store, owner in ((first, "a"), (second, "b"))
        )
    )
    owed = [result for result in results if result is not None]
    assert len(owed) == 50 and len(set(owed)) == 50  # each message owed once, by one of them
    assert len(await first.history(GROUP, 200)) == 50


async def test_claims_under_contention_take_each_answer_exactly_once(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two
    for n in range(300):
        await first.add_owed_message(said(n, ConversationRef("slack", f"C{n % 30}")), "dead", 1.0, 2.0)

    async def sweep(store: PostgresStore, owner: str) -> list[int]:
        taken: list[int] = []
        while claimed := await store.claim_owed("slack", owner, now=10.0, lease_until=40.0):
            taken += [each.id for each in claimed]
            await asyncio.sleep(0)
        return taken

    results = await asyncio.gather(*(sweep(store, f"p{i}") for i, store in enumerate((first, second) * 3)))
    everything = [owed_id for taken in results for owed_id in taken]
    assert len(everything) == 300 and len(set(everything)) == 300


async def test_usage_counted_through_both_at_once_is_exact(two: tuple[PostgresStore, PostgresStore]) -> None:
    first, second = two
    await asyncio.gather(
        *(store.record_usage("slack", ("U1", "group:C1"), 10, 5) for store in (first, second) * 100)
    )
    today = utcnow().date()
    for store in two:
        used = await store.usage("slack", "U1", today)
        assert (used.replies, used.prompt_tokens, used.completion_tokens) == (200, 2000, 1000)
    assert await first.tokens_spent(today) == 3000  # the group's row is not counted twice


async def test_a_lost_connection_is_opened_again_and_nothing_acknowledged_is_lost(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url, pool_size=2)
    try:
        await store.add_message(said(1))
        admin = await asyncpg.connect(postgres_url)
        await admin.execute(  # a failover, a restarted server: every other connection dropped
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await admin.close()
        for n in range(2, 6):
            try:
                await store.add_message(said(n))
            except Exception:  # refused while the connection was found gone: redelivered
                await store.add_message(said(n))
        assert [item.text for item in await store.history(GROUP, 10)] == [f"hello {n}" for n in range(1, 6)]
        await store.set_mode(GROUP, Mode.AUTO)  # and the listener hears again (its cache dropped)
    finally:
        await store.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_database_or_a_wrong_name_is_said_plainly(postgres_url: str) -> None:
    with pytest.raises(DatabaseUnreachable, match="not reachable"):
        await PostgresStore.open(f"postgresql://parley:hunter2@127.0.0.1:{_closed_port()}/parley")
    with pytest.raises(DatabaseUnreachable, match="does not exist") as raised:
        await PostgresStore.open(postgres_url.rsplit("/", 1)[0] + "/no_such_db")
    assert "hunter2" not in str(raised.value)


async def test_two_processes_answering_one_member_at_once_never_pass_the_limit(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    outcomes = await asyncio.gather(
        *(store.count_reply("slack", (("U1", 7), ("group:C1", 100))) for store in two * 30)
    )
    assert outcomes.count(None) == 7 and outcomes.count("U1") == 53
    today = utcnow().date()
    assert (await two[0].usage("slack", "U1", today)).replies == 7
    assert (await two[1].usage("slack", "group:C1", today)).replies == 7


async def test_credentials_refused_are_said_plainly_without_the_password(postgres_url: str) -> None:
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"CREATE ROLE {GUARDED} LOGIN PASSWORD 'right-one'")
    except asyncpg.DuplicateObjectError:
        pass
    finally:
        await admin.close()
    where = postgres_url.split("@", 1)[1]
    with pytest.raises(DatabaseUnreachable, match="refused the credentials") as raised:
        await PostgresStore.open(f"postgresql://{GUARDED}:wrong-one@{where}")
    assert "wrong-one" not in str(raised.value)


async def test_a_database_gone_refuses_events_plainly_and_they_are_taken_once_it_is_back(
    tmp_path: Path, model: OpenAIChatModel
) -> None:
    server = await asyncio.to_thread(PostgresServer.start)
    try:
        store = await PostgresStore.open(server.dsn, pool_size=2)
        core = Facilitator(FacilitatorConfig(), store, model)
        adapter = RecordingAdapter()
        await core.handle(MessageReceived(said(1)), adapter)
        await asyncio.to_thread(server.halt)  # the server stops: a failover, a restart
        for number in (2, 3):  # not stored: refused, so the platform keeps them to deliver again
            with pytest.raises(StoreUnavailable):  # a new group: its row is read first, and cannot be
                await core.handle(MessageReceived(said(number, ELSEWHERE)), adapter)
        await asyncio.to_thread(server.resume)

        async def delivered_again(number: int) -> bool:
            await core.handle(MessageReceived(said(number, ELSEWHERE)), adapter)  # raises while away
            return True

        await until(lambda: delivered_again(2), within=20, what="the database back")
        await delivered_again(3)
        assert [item.text for item in await store.history(GROUP, 10)] == ["hello 1"]
        assert [item.text for item in await store.history(ELSEWHERE, 10)] == ["hello 2", "hello 3"]
        await core.close()
        await store.close()
    finally:
        await asyncio.to_thread(server.stop)
