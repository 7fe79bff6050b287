"""Discord as the bot runs it: the gateway (through a proxy, if set), and its check (the
privileged intents, and the invite URL with the permissions Parley needs)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from adapters.discord.adapter import DiscordAdapter, DiscordStartError
from adapters.discord.adapter import facts as discord_facts
from adapters.discord.config import DiscordConfig, describe
from bot.http import HttpServer
from bot.settings import DiscordSection, Settings, SettingsError
from facilitator.ports import EventSink


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


class Discord:
    def __init__(self, settings: Settings, core: EventSink) -> None:
        self.adapter = DiscordAdapter(core, adapter_config(settings.discord))

    async def start(self, stack: AsyncExitStack) -> None:
        stack.push_async_callback(self.adapter.stop)  # stopped even when the start fails halfway
        try:
            await self.adapter.start()
        except DiscordStartError as exc:
            raise SettingsError(str(exc)) from None

    async def pause(self) -> None:
        """No new events (the session stays resumable: the next process hears the rest)."""
        await self.adapter.pause()


def build(settings: Settings, core: EventSink, http: HttpServer | None) -> Discord:
    return Discord(settings, core)


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
    if count > 1:
        ids = settings.discord.shard_ids() or tuple(range(count))
        print(f"discord: sharded: {describe(ids, count)} in a process (`parley run --shards` chooses)")
    if facts.recommended_shards is not None and facts.recommended_shards > count:
        print(
            f"discord: NOTE: Discord recommends {facts.recommended_shards} shards for this bot's "
            f"servers; it runs {count} (set discord.shard_count, docs/discord.md)"
        )
    return 0
