"""Shared fixtures: the loopback model server, a store on disk, a facilitator and a shell group."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.shell import ShellAdapter, ShellGroup
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI

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


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "parley.db")
    yield opened
    await opened.close()


def model_for(server: FakeOpenAI, timeout: float = 5.0) -> OpenAIChatModel:
    return OpenAIChatModel(
        ModelConfig(
            base_url=server.base_url,
            api_key="test-key",
            model="fake-model",
            timeout_seconds=timeout,
            max_retries=0,
            image_model="fake-image",  # drawn only when a test's core turns image generation on
        )
    )


@asynccontextmanager
async def core_with(fake_model: FakeOpenAI, store: SqliteStore, **options: Any) -> AsyncIterator[Facilitator]:
    """The core against the loopback model, set up as an operator would (vision, images, ...)."""
    model = model_for(fake_model)
    core = Facilitator(FacilitatorConfig(burst_window_seconds=2.0, **options), store, model)
    try:
        yield core
    finally:
        await core.close()
        await model.close()


@pytest.fixture
async def model(fake_model: FakeOpenAI) -> AsyncIterator[OpenAIChatModel]:
    client = model_for(fake_model)
    yield client
    await client.close()


@pytest.fixture
def config() -> FacilitatorConfig:
    return FacilitatorConfig(burst_window_seconds=2.0)


@pytest.fixture
async def facilitator(
    config: FacilitatorConfig, store: SqliteStore, model: OpenAIChatModel
) -> AsyncIterator[Facilitator]:
    core = Facilitator(config, store, model)
    yield core
    await core.close()


class Shell:
    """A shell group in a test: type lines, read what the AI printed."""

    def __init__(self, core: Facilitator, direct: bool = False) -> None:
        self.out = io.StringIO()
        self.adapter = ShellAdapter(core, "Parley", out=self.out, group=ShellGroup(direct=direct))
        self.core = core

    async def say(self, *lines: str) -> str:
        """Feed lines as a script (each waits for the AI) and return what the AI printed."""
        start = self.out.tell()
        await self.adapter.run_script(lines)
        return self.out.getvalue()[start:]

    async def burst(self, *lines: str) -> str:
        """Feed lines without waiting between them, as a fast typist would."""
        start = self.out.tell()
        for line in lines:
            await self.adapter.feed(line)
        await self.core.idle()
        return self.out.getvalue()[start:]


@pytest.fixture
def shell(facilitator: Facilitator) -> Shell:
    return Shell(facilitator)
