"""The real core as a test starts it: the openai client against the loopback model server, the
SQLite store the test opened, the operator's options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI

BURST_WINDOW = 2.0  # seconds: every test core waits this long for a burst to end


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
    core = Facilitator(FacilitatorConfig(burst_window_seconds=BURST_WINDOW, **options), store, model)
    try:
        yield core
    finally:
        await core.close()
        await model.close()
