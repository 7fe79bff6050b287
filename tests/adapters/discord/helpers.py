"""The Discord world the adapter tests play in, and an adapter pointed at the loopback fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from facilitator.core import Facilitator
from facilitator.ports import EventSink
from facilitator.store.sqlite import SqliteStore
from tests.conftest import core_with
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI

GUILD, GENERAL = 1_410_000_000_000_000_001, 1_410_000_000_000_000_011
ANN, BOB = 1_420_000_000_000_000_001, 1_420_000_000_000_000_002


def build(fake: FakeDiscord, extra_members: int = 0) -> FakeDiscord:
    ann = fake.user(ANN, "ann", "Ann Lee")
    bob = fake.user(BOB, "bob")
    guild = fake.guild(GUILD, "Trip", owner_id=ann)
    fake.text_channel(guild, GENERAL, "general")
    fake.member(guild, ann, nick="Annie", admin=True)
    fake.member(guild, bob)
    for n in range(extra_members):
        fake.member(guild, fake.user(1_430_000_000_000_000_000 + n, f"member{n}"))
    fake.emoji(guild, 1_440_000_000_000_000_001, "party")
    return fake


def adapter_for(core: EventSink, fake: FakeDiscord, **options: Any) -> DiscordAdapter:
    """An adapter whose REST, gateway and CDN are the fake's (the REST base and gateway are set
    by `pointed_at`)."""
    config = DiscordConfig(
        token=fake.token,
        edit_seconds=0.3,
        guild_ready_timeout=0.1,
        ready_timeout=10,
        cdn_base_url=fake.cdn_base,
        **options,
    )
    adapter = DiscordAdapter(core, config)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py waits 5 s before a second IDENTIFY; tests need not

    adapter.client.before_identify_hook = no_wait  # type: ignore[method-assign]
    return adapter


def answers(fake: FakeDiscord, channel: int = GENERAL) -> list[str]:
    return list(fake.channel_messages(channel))


def mention(fake: FakeDiscord) -> str:
    return f"<@{fake.bot_id}>"


@asynccontextmanager
async def running(adapter: DiscordAdapter) -> AsyncIterator[DiscordAdapter]:
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


@asynccontextmanager
async def parley_running(
    fake: FakeDiscord,
    fake_model: FakeOpenAI,
    store: SqliteStore,
    *,
    adapter_options: dict[str, Any] | None = None,
    **core_options: Any,
) -> AsyncIterator[tuple[Facilitator, DiscordAdapter]]:
    """Parley on Discord, its core set up as an operator would (vision, quotas, ...)."""
    async with core_with(fake_model, store, **core_options) as core:
        adapter = adapter_for(core, fake, **(adapter_options or {}))
        await adapter.start()
        try:
            yield core, adapter
        finally:
            await adapter.stop()
