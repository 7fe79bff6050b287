"""Fixtures of the Telegram tests: the loopback fake Bot API, the driver playing Parley's world
in it (tests/support/telegram.py), and the adapter polling it for the `facilitator` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.adapter import TelegramAdapter
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegram
from tests.support.telegram import TelegramDriver


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@pytest.fixture
def parley(telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore) -> TelegramDriver:
    """Parley on Telegram, not started yet: `async with parley.running(**core_options):`."""
    return TelegramDriver(telegram, fake_model, store)


@pytest.fixture
async def bot(parley: TelegramDriver, facilitator: Facilitator) -> AsyncIterator[TelegramAdapter]:
    async with parley.running(core=facilitator):
        yield parley.adapter
