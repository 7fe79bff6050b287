"""Discord sharding (issue 16): the real discord.py AutoShardedClient against the loopback fake,
which shards as Discord does (a server's events go to shard (guild_id >> 22) % num_shards,
DMs to shard 0). Every shard's servers are heard and answered; a process runs only the shards
it is given; each shard keeps, and after a restart RESUMEs, its own session."""

from __future__ import annotations

import json
from typing import Any

from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_gateway import GatewaySession
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.discord import ANN, BOB, GENERAL, GUILD, DiscordDriver, server_on_shard
from tests.support.driver import ALICE, TRIP


def driver(fake: FakeDiscord, model: FakeOpenAI, store: SqliteStore, **options: Any) -> DiscordDriver:
    return DiscordDriver(fake, model, store, **options)


async def ask(fake: FakeDiscord, channel: int, text: str) -> dict[str, Any]:
    return await fake.dispatch_message(
        channel, fake.users[ANN], f"<@{fake.bot_id}> {text}", mentions=[fake.bot_user]
    )


def replies_to(fake: FakeDiscord, channel: int, asked: dict[str, Any]) -> int:
    mine = [m for m in fake.messages.get(channel, {}).values() if m["author"]["id"] == str(fake.bot_id)]
    return sum((m.get("message_reference") or {}).get("message_id") == asked["id"] for m in mine)


def guilds_created(session: GatewaySession) -> set[int]:
    return {int(frame["d"]["id"]) for frame in session.log if frame["t"] == "GUILD_CREATE"}


async def kept(store: SqliteStore, key: str) -> dict[str, Any] | None:
    text = await store.recall("discord", key)
    return json.loads(text) if text else None


async def test_every_shard_hears_only_its_servers_and_all_of_them_are_answered(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    servers = {shard: server_on_shard(fake, shard, 4) for shard in (0, 2, 3)}
    servers[1] = (GUILD, GENERAL)  # the Trip server is on shard 1 of 4
    parley = driver(fake, fake_model, store, shard_count=4)
    async with parley.running(first_use_notice=False):
        assert sorted(tuple(i["shard"]) for i in fake.gateway.identifies) == [(s, 4) for s in range(4)]
        for shard, (guild_id, _) in servers.items():
            assert guilds_created(fake.gateway.current[(shard, 4)]) == {guild_id}
        asked = {shard: await ask(fake, where, f"on shard {shard}?") for shard, (_, where) in servers.items()}
        dm = parley.direct(ALICE)
        await parley.say(dm, ALICE, "and in a DM?")
        for shard, (_, channel) in servers.items():
            await until(lambda c=channel, a=asked[shard]: replies_to(fake, c, a) == 1, within=10)
        await until(lambda: parley.told_alone(ALICE), within=10)
        await parley.core.idle()
        told = await parley.command(TRIP, ALICE, "mode mention")  # an interaction on shard 1
    assert told.startswith("OK")
    dm_session = fake.gateway.current[(0, 4)]
    assert any(f["t"] == "MESSAGE_CREATE" and "guild_id" not in f["d"] for f in dm_session.log)
    assert len(fake_model.received) == 5


async def test_a_process_running_shards_0_1_of_4_identifies_only_those(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    _, on_0 = server_on_shard(fake, 0, 4)
    _, on_2 = server_on_shard(fake, 2, 4)
    parley = driver(fake, fake_model, store, shard_count=4, shard_ids=(0, 1))
    async with parley.running(first_use_notice=False):
        assert [i["shard"] for i in fake.gateway.identifies] == [[0, 4], [1, 4]]
        heard = await ask(fake, on_0, "on shard 0?")
        unheard = await ask(fake, on_2, "on shard 2?")  # no session of shard 2: another process's
        await until(lambda: replies_to(fake, on_0, heard) == 1, within=10)
        await parley.core.idle()
    assert replies_to(fake, on_2, unheard) == 0
    assert (await kept(store, "gateway:0")) is not None and (await kept(store, "gateway:1")) is not None
    assert await kept(store, "gateway:2") is None and await kept(store, "gateway") is None


async def test_a_restart_resumes_each_shard_with_its_own_session_and_loses_nothing(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    _, on_0 = server_on_shard(fake, 0, 2)
    on_1 = GENERAL  # the Trip server is on shard 1 of 2
    parley = driver(fake, fake_model, store, shard_count=2)
    async with parley.running(first_use_notice=False):
        await fake.dispatch_message(on_0, fake.users[BOB], "before, on shard 0")
        await fake.dispatch_message(on_1, fake.users[BOB], "before, on shard 1")
        await until(lambda: _stored_both(store, on_0, on_1), within=5)
        sessions = {shard: fake.gateway.current[(shard, 2)] for shard in (0, 1)}
    assert fake.gateway.client_closes == [4000, 4000]  # both left resumable
    seqs = {shard: session.seq for shard, session in sessions.items()}
    for shard in (0, 1):
        point = await kept(store, f"gateway:{shard}")
        assert point is not None and point["session_id"] == sessions[shard].id
        assert point["seq"] == seqs[shard]  # each shard's own low-water mark
    # while Parley is away: talk and a question on each shard
    said = [await fake.dispatch_message(c, fake.users[BOB], f"meanwhile in {c}") for c in (on_0, on_1)]
    asked = {c: await ask(fake, c, f"what did I miss in {c}?") for c in (on_0, on_1)}
    async with parley.running(first_use_notice=False):
        for channel, question in asked.items():
            await until(lambda c=channel, q=question: replies_to(fake, c, q) == 1, within=15)
        await parley.core.idle()
        told = await parley.command(TRIP, ALICE, "mode auto")  # the servers were read back
    assert len(fake.gateway.identifies) == 2 and len(fake.gateway.resumes) == 2
    resumed = {(r["session_id"], r["seq"]) for r in fake.gateway.resumes}
    assert resumed == {(sessions[s].id, seqs[s]) for s in (0, 1)}
    for message in said:
        assert message["content"] in await stored(store, int(message["channel_id"]))
    assert told.startswith("OK") and len(fake_model.received) == 2


async def test_a_shard_whose_session_ended_catches_up_alone_while_the_other_resumes(
    fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    _, on_0 = server_on_shard(fake, 0, 2)
    on_1 = GENERAL  # the Trip server is on shard 1 of 2
    parley = driver(fake, fake_model, store, shard_count=2)
    async with parley.running(first_use_notice=False):
        await fake.dispatch_message(on_0, fake.users[BOB], "before, on shard 0")
        await fake.dispatch_message(on_1, fake.users[BOB], "before, on shard 1")
        await until(lambda: _stored_both(store, on_0, on_1), within=5)
        ended = fake.gateway.current[(0, 2)]
    fake.gateway.sessions.pop(ended.id)  # Discord ended shard 0's session; shard 1's stays resumable
    await fake.dispatch_message(on_0, fake.users[BOB], "meanwhile on shard 0")
    await fake.dispatch_message(on_1, fake.users[BOB], "meanwhile on shard 1")
    async with parley.running(first_use_notice=False):
        await until(lambda: _has(store, on_0, "meanwhile on shard 0"), within=10)
        await until(lambda: _has(store, on_1, "meanwhile on shard 1"), within=10)
    assert [i["shard"] for i in fake.gateway.identifies] == [[0, 2], [1, 2], [0, 2]]
    assert [r["session_id"] for r in fake.gateway.resumes] == [fake.gateway.current[(1, 2)].id]
    assert fake.calls_of("GET", f"/channels/{on_0}/messages")  # shard 0 caught up from history
    assert not fake.calls_of("GET", f"/channels/{on_1}/messages")  # shard 1's was replayed


async def stored(store: SqliteStore, channel: int) -> list[str]:
    from facilitator.chat import ConversationRef

    return [item.text for item in await store.history(ConversationRef("discord", str(channel)), 100)]


async def _has(store: SqliteStore, channel: int, text: str) -> bool:
    return text in await stored(store, channel)


async def _stored_both(store: SqliteStore, on_0: int, on_1: int) -> bool:
    return await _has(store, on_0, "before, on shard 0") and await _has(store, on_1, "before, on shard 1")
