"""Parley on Discord in tests: the real discord.py client against the loopback fake's REST API,
gateway and CDN (tests/fakes/discord_api.py), and the server Discord's own tests play in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any, Self
from urllib.parse import unquote

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.config import DiscordConfig
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.ports import EventSink
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord, pointed_at
from tests.fakes.openai_server import FakeOpenAI
from tests.support.driver import ALICE, TRIP, WORK, Driver
from tests.support.waiting import until

GUILD, GENERAL, PLANS = 1_410_000_000_000_000_001, 1_410_000_000_000_000_011, 1_410_000_000_000_000_012
ANN, BOB = 1_420_000_000_000_000_001, 1_420_000_000_000_000_002  # users' ids: Alice is Ann here
USER_IDS = {ALICE: ANN, "bob": BOB}
EXTRA_MEMBERS = 1_430_000_000_000_000_000  # the ids of the members `build` adds


def build(fake: FakeDiscord, extra_members: int = 0) -> FakeDiscord:
    """The Trip server: Ann (shown as Annie, its owner and an admin), Bob, #general, a :party:
    emoji, and `extra_members` more members."""
    ann = fake.user(ANN, "ann", "Ann Lee")
    bob = fake.user(BOB, "bob")
    guild = fake.guild(GUILD, "Trip", owner_id=ann)
    fake.text_channel(guild, GENERAL, "general")
    fake.member(guild, ann, nick="Annie", admin=True)
    fake.member(guild, bob)
    for n in range(extra_members):
        fake.member(guild, fake.user(EXTRA_MEMBERS + n, f"member{n}"))
    fake.emoji(guild, 1_440_000_000_000_000_001, "party")
    return fake


def server_on_shard(fake: FakeDiscord, shard_id: int, shard_count: int, n: int = 0) -> tuple[int, int]:
    """A server whose events Discord sends to shard `shard_id` of `shard_count` ((id >> 22) %
    shard_count), with Ann (an admin) and Bob, and one text channel: (server id, channel id)."""
    base = (GUILD >> 22) + 1000 * (n + 1)
    guild_id = ((base - base % shard_count + shard_id) << 22) + 7
    channel_id = guild_id + 11
    guild = fake.guild(guild_id, f"Shard {shard_id} server {n}", owner_id=fake.users[ANN])
    fake.text_channel(guild, channel_id, f"on-shard-{shard_id}")
    fake.member(guild, fake.users[ANN], admin=True)
    fake.member(guild, fake.users[BOB])
    return guild_id, channel_id


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


class DiscordDriver(Driver):
    """The server of `build` (started by the test) with #plans too: Alice is Ann, TRIP is
    #general, WORK is #plans; a direct chat is the member's DM with the bot."""

    platform = "discord"
    limit = 2000

    def __init__(
        self, fake: FakeDiscord, model: FakeOpenAI, store: SqliteStore, **adapter_options: Any
    ) -> None:
        super().__init__(model, store)
        self.fake, self._options = fake, adapter_options
        if PLANS not in fake.channels:
            fake.text_channel(GUILD, PLANS, "plans")
        self.channels = {TRIP: GENERAL, WORK: PLANS}
        self._adapter: DiscordAdapter | None = None
        self._pointed = ExitStack()

    @classmethod
    @asynccontextmanager
    async def on_its_fake(cls, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Self]:
        discord = await build(FakeDiscord()).start()
        try:
            yield cls(discord, model, store)
        finally:
            await discord.stop()

    @property
    def adapter(self) -> DiscordAdapter:
        assert self._adapter is not None, "Parley is not running"
        return self._adapter

    async def _start(self, core: Facilitator) -> None:
        self._pointed.enter_context(pointed_at(self.fake))
        self._adapter = adapter_for(core, self.fake, **self._options)
        await self._adapter.start()

    async def _stop(self) -> None:
        try:
            await self.adapter.stop()
        finally:
            self._pointed.close()

    def _is_dm(self, where: str) -> bool:
        return where.startswith("direct:")

    def direct(self, who: str) -> str:
        self.channels[f"direct:{who}"] = int(self.fake.dm_channel(USER_IDS[who])["id"])
        return f"direct:{who}"

    async def say(self, where: str, who: str, text: str) -> str:
        said = await self.fake.dispatch_message(self.channels[where], USER_IDS[who], text)
        return str(said["id"])

    async def mention(self, where: str, who: str, text: str) -> str:
        if self._is_dm(where):
            return await self.say(where, who, text)
        addressed = f"{mention(self.fake)} {text}"
        said = await self.fake.dispatch_message(
            self.channels[where], USER_IDS[who], addressed, mentions=[self.fake.bot_user]
        )
        return str(said["id"])

    async def command(self, where: str, who: str, text: str) -> str:
        """`/parley <subcommand> text:<the rest>`; the interaction's answer."""
        subcommand, _, rest = text.partition(" ")
        fake = self.fake
        responses, followups = len(fake.interaction_responses), len(fake.followups)
        await fake.dispatch_interaction(
            None if self._is_dm(where) else GUILD,
            self.channels[where],
            USER_IDS[who],
            subcommand=subcommand,
            options={"text": rest} if rest else None,
        )

        def answered() -> list[str]:
            data = [r["data"] for r in fake.interaction_responses[responses:]]
            data += [f["data"] for f in fake.followups[followups:]]
            return [str(d["content"]) for d in data if d and d.get("content")]

        found = await until(answered, what=f"an answer to /parley {text}")
        return found[0]

    async def react(self, where: str, who: str, said: str, emoji: str) -> None:
        """MESSAGE_REACTION_ADD on the gateway."""
        await self.fake.dispatch_reaction(int(said), USER_IDS[who], emoji)

    async def delete(self, where: str, said: str) -> None:
        """MESSAGE_DELETE on the gateway (by an admin: Discord does not say who)."""
        await self.fake.dispatch_message_delete(int(said))

    async def rename(self, where: str, who: str, name: str) -> None:
        """A new nickname in the server: GUILD_MEMBER_UPDATE (a DM has no nickname of its own)."""
        await self.fake.dispatch_member_update(GUILD, USER_IDS[who], nick=name)

    def grow(self, where: str, people: int) -> None:
        present = len([member for member in self.fake.members[GUILD] if member != self.fake.bot_id])
        for n in range(present, people):
            self.fake.member(GUILD, self.fake.user(EXTRA_MEMBERS + n, f"member{n}"))

    def posted(self, where: str) -> list[str]:
        return answers(self.fake, self.channels[where])

    def told_alone(self, who: str) -> list[str]:
        return answers(self.fake, int(self.fake.dm_channel(USER_IDS[who])["id"]))

    def reactions(self, where: str, said: str) -> list[str]:
        """One emoji for each reaction Parley PUT on the message and Discord took."""
        taken = self.fake.reactions.get((self.channels[where], int(said)), [])
        prefix = f"/channels/{self.channels[where]}/messages/{said}/reactions/"
        calls = self.fake.calls_of("PUT", "/channels/{id}/messages/{id}/reactions/*/@me")
        emojis = [unquote(c["path"].removeprefix(prefix).removesuffix("/@me")) for c in calls]
        return [
            emoji
            for call, emoji in zip(calls, emojis, strict=True)
            if call["path"].startswith(prefix) and emoji in taken
        ]

    def reactions_made(self) -> int:
        return len(self.fake.calls_of("PUT", "/channels/{id}/messages/{id}/reactions/*/@me"))

    def messages_sent(self) -> int:
        return len(self.fake.calls_of("POST", "/channels/{channel_id}/messages"))

    def conversation(self, where: str) -> ConversationRef:
        space = None if where.startswith("direct:") else str(GUILD)  # the server, as the core sees it
        return ConversationRef(self.platform, str(self.channels[where]), space=space)
