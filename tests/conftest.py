"""Shared fixtures: no network but 127.0.0.1, the loopback model server, a store on disk, a
facilitator and a shell group (what they are built with lives in tests/support/)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.core import BURST_WINDOW, model_for
from tests.support.postgres import Databases, PostgresServer
from tests.support.shell import Shell

__all__ = ["model_for"]  # tests/facilitator/test_llm.py builds clients of its own

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "", None}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests talk to 127.0.0.1 only: no proxy may catch their requests, and any attempt to
    resolve or reach another host fails the test instead of leaving the machine."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def local_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in LOCAL_HOSTS:
            raise AssertionError(f"a test tried to resolve {host!r}: tests stay on 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def local_connect(self: socket.socket, address: object) -> None:
        if isinstance(address, tuple) and address[0] not in LOCAL_HOSTS:
            raise AssertionError(f"a test tried to connect to {address!r}: tests stay on 127.0.0.1")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", local_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", local_connect)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in list(__import__("os").environ):
        if name.startswith("PARLEY_") or name in {
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
            "PORT",
            "DATABASE_URL",
        }:
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
async def fake_model() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    """A PostgreSQL server of the session's own, started the first time a test needs one."""
    server = PostgresServer.start()
    yield Databases(server)
    server.stop()


@pytest.fixture
async def postgres_url(postgres: Databases) -> AsyncIterator[str]:
    """An up-to-date PostgreSQL database of this test's own."""
    dsn = await postgres.create()
    yield dsn
    await postgres.drop(dsn)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "parley.db")
    yield opened
    await opened.close()


@pytest.fixture
def store(sqlite_store: SqliteStore) -> SqliteStore:
    """The store most tests use: SQLite's, on disk (tests/facilitator/store runs both engines)."""
    return sqlite_store


@pytest.fixture
async def model(fake_model: FakeOpenAI) -> AsyncIterator[OpenAIChatModel]:
    client = model_for(fake_model)
    yield client
    await client.close()


@pytest.fixture
def config() -> FacilitatorConfig:
    return FacilitatorConfig(burst_window_seconds=BURST_WINDOW)


@pytest.fixture
async def facilitator(
    config: FacilitatorConfig, store: SqliteStore, model: OpenAIChatModel
) -> AsyncIterator[Facilitator]:
    core = Facilitator(config, store, model)
    yield core
    await core.close()


@pytest.fixture
def shell(facilitator: Facilitator) -> Shell:
    return Shell(facilitator)
