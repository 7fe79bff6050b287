"""Fixtures of the Discord tests: the loopback fake (REST, gateway, CDN) with the Trip server of
tests/support/discord.py, the driver playing Parley's world in it, and the adapter connected to
it for the `facilitator` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.adapter import DiscordAdapter
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord, pointed_at
from tests.fakes.openai_server import FakeOpenAI
from tests.support.discord import DiscordDriver, build


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await build(FakeDiscord()).start()
    with pointed_at(server):
        yield server
    await server.stop()


@pytest.fixture
def parley(fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore) -> DiscordDriver:
    """Parley on Discord, not started yet: `async with parley.running(**core_options):`."""
    return DiscordDriver(fake, fake_model, store)


@pytest.fixture
async def bot(parley: DiscordDriver, facilitator: Facilitator) -> AsyncIterator[DiscordAdapter]:
    async with parley.running(core=facilitator):
        yield parley.adapter
