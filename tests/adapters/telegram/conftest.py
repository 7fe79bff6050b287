"""Fixtures of the Telegram adapter tests: the loopback fake Bot API and an adapter polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.adapter import TelegramAdapter
from facilitator.core import Facilitator
from tests.adapters.telegram.helpers import adapter_for
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(telegram: FakeTelegram, facilitator: Facilitator) -> AsyncIterator[TelegramAdapter]:
    adapter = adapter_for(telegram, facilitator)
    await adapter.start()
    yield adapter
    await adapter.stop()
