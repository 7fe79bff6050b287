"""Discord as the bot runs it: the gateway (through a proxy, if set), and its check (the
privileged intents, and the invite URL with the permissions Parley needs)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import replace

from adapters.discord.adapter import DiscordAdapter, DiscordStartError
from adapters.discord.adapter import facts as discord_facts
from adapters.discord.config import DiscordConfig, blocks, describe
from bot.http import HttpServer
from bot.registry import LateStart
from bot.settings import DiscordSection, Settings, SettingsError
from facilitator.ports import EventSink

logger = logging.getLogger(__name__)


def adapter_config(section: DiscordSection) -> DiscordConfig:
    assert section.token is not None
    return DiscordConfig(
        token=section.token.get_secret_value(),
        mention_role_ids=section.mention_role_ids,
        admin_role_ids=section.admin_role_ids,
        edit_seconds=section.edit_seconds,
        size_limit_thread=section.size_limit_thread,
        group_channel_id=section.group_channel_id,
        api_base_url=section.api_base_url,
        gateway_url=section.gateway_url,
        shard_count=section.shard_count,
        shard_ids=section.shard_ids(),
    )


STANDBY_SECONDS = 5.0  # how often a process with no block of shards asks for one


class Discord:
    """The adapter, built at once for the shards named (or all of them); with `shards = auto`,
    built at start for the first block of shards no other process runs, or, with none free,
    once one is (`late` is told of an adapter that starts late)."""

    def __init__(self, settings: Settings, core: EventSink, late: LateStart | None = None) -> None:
        section = settings.discord
        self._core, self._config, self._late = core, adapter_config(section), late
        self._blocks = blocks(section.shard_count, section.shards_per_process) if section.auto_shards else []
        if len(self._blocks) > 1 and settings.store.postgres_url() is None:
            raise SettingsError(
                "discord.shards = auto with shards_per_process splits the shards between processes "
                "sharing PostgreSQL; on SQLite one process runs them all: leave shards_per_process unset"
            )
        self.adapter: DiscordAdapter | None = None if self._blocks else DiscordAdapter(core, self._config)
        self._standing_by: asyncio.Task[None] | None = None

    async def start(self, stack: AsyncExitStack) -> None:
        if not self._blocks:
            assert self.adapter is not None
            await self._start(self.adapter, stack)
            return
        block = await self._free_block()
        if block is None:
            logger.info("Discord: every block of shards runs elsewhere; standing by to take one over")
            self._standing_by = asyncio.ensure_future(self._stand_by(stack))
            stack.push_async_callback(self._stop_standing_by)
            return
        await self._start_block(block, stack)

    async def _free_block(self) -> tuple[int, ...] | None:
        for number, block in enumerate(self._blocks):
            if await self._core.playing(f"discord:shards:{number}"):
                return block
        return None

    async def _start_block(self, block: tuple[int, ...], stack: AsyncExitStack) -> DiscordAdapter:
        self.adapter = DiscordAdapter(self._core, replace(self._config, shard_ids=block))
        await self._start(self.adapter, stack)
        return self.adapter

    async def _start(self, adapter: DiscordAdapter, stack: AsyncExitStack) -> None:
        stack.push_async_callback(adapter.stop)  # stopped even when the start fails halfway
        try:
            await adapter.start()
        except DiscordStartError as exc:
            raise SettingsError(str(exc)) from None

    async def _stand_by(self, stack: AsyncExitStack) -> None:
        block = None
        while block is None:  # asked of the database: no event would say a block came free
            await asyncio.sleep(STANDBY_SECONDS)
            block = await self._free_block()
        logger.info("Discord: taking over %s", describe(block, self._config.shard_count))
        try:
            adapter = await self._start_block(block, stack)
        except SettingsError as exc:
            logger.error("Discord: could not take over shards: %s", exc)
            return
        if self._late is not None:
            await self._late(adapter)

    async def _stop_standing_by(self) -> None:
        if self._standing_by is not None:
            self._standing_by.cancel()
            await asyncio.gather(self._standing_by, return_exceptions=True)

    async def pause(self) -> None:
        """No new events (the session stays resumable: the next process hears the rest)."""
        await self._stop_standing_by()
        if self.adapter is not None:
            await self.adapter.pause()


def build(
    settings: Settings, core: EventSink, http: HttpServer | None, late: LateStart | None = None
) -> Discord:
    return Discord(settings, core, late)


async def check(settings: Settings) -> int:
    try:
        facts = await discord_facts(adapter_config(settings.discord))
    except DiscordStartError as exc:  # its text never quotes the token
        print(f"discord: PROBLEM: {exc}")
        return 1
    except Exception as exc:
        print(f"discord: PROBLEM: {type(exc).__name__}")
        return 1
    if facts.missing_intents:
        print(
            f"discord: PROBLEM: {facts.user} lacks the privileged intents "
            f"{', '.join(facts.missing_intents)}: turn them on in the developer portal, under Bot "
            "(docs/discord.md)"
        )
        return 1
    print(f"discord: OK ({facts.user}); invite it with {facts.invite_url}")
    count = settings.discord.shard_count
    if count > 1 and settings.discord.auto_shards:
        cut = blocks(count, settings.discord.shards_per_process)
        print(
            f"discord: sharded: {count} shards in {len(cut)} block(s), a block for each process"
            " sharing the database"
        )
    elif count > 1:
        ids = settings.discord.shard_ids() or tuple(range(count))
        print(f"discord: sharded: {describe(ids, count)} in a process (`parley run --shards` chooses)")
    if facts.recommended_shards is not None and facts.recommended_shards > count:
        print(
            f"discord: NOTE: Discord recommends {facts.recommended_shards} shards for this bot's "
            f"servers; it runs {count} (set discord.shard_count, docs/discord.md)"
        )
    return 0
