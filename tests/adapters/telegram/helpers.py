"""What the Telegram adapter tests share: an adapter pointed at the fake, and ways to wait for
and read what members would see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from adapters.telegram.adapter import TelegramAdapter, TelegramConfig
from facilitator.core import Facilitator
from facilitator.ports import EventSink
from facilitator.store.sqlite import SqliteStore
from tests.conftest import core_with
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_api import FakeTelegram

GROUP_ID = -1001234


def adapter_for(telegram: FakeTelegram, core: EventSink, **options: Any) -> TelegramAdapter:
    config = TelegramConfig(
        token=telegram.token,
        api_base_url=f"http://127.0.0.1:{telegram.port}",
        group_edit_seconds=options.pop("group_edit_seconds", 0.5),
        draft_seconds=0.05,
        **options,
    )
    return TelegramAdapter(core, config)


async def until(condition: Callable[[], object], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the expected outcome did not happen in time")
        await asyncio.sleep(0.01)


def bot_texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    """What members of the chat now see from the bot, oldest first."""
    return list(telegram.messages.get(chat_id, {}).values())


def mention(telegram: FakeTelegram) -> str:
    return f"@{telegram.username}"


@asynccontextmanager
async def parley_running(
    telegram: FakeTelegram, fake_model: FakeOpenAI, store: SqliteStore, **core_options: Any
) -> AsyncIterator[tuple[Facilitator, TelegramAdapter]]:
    """Parley on Telegram, its core set up as an operator would (vision, quotas, ...)."""
    async with core_with(fake_model, store, **core_options) as core:
        adapter = adapter_for(telegram, core)
        await adapter.start()
        try:
            yield core, adapter
        finally:
            await adapter.stop()
