"""Fixtures of the Discord adapter tests: the loopback fake (REST, gateway, CDN) and an adapter
connected to it with the real core."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.adapter import DiscordAdapter
from facilitator.core import Facilitator
from tests.adapters.discord.helpers import adapter_for, build
from tests.fakes.discord_api import FakeDiscord, pointed_at


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await build(FakeDiscord()).start()
    with pointed_at(server):
        yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeDiscord, facilitator: Facilitator) -> AsyncIterator[DiscordAdapter]:
    adapter = adapter_for(facilitator, fake)
    await adapter.start()
    yield adapter
    await adapter.stop()
