"""Nothing said on Discord is lost while Parley is away (issue 14): the real discord.py client
against the loopback fake, restarted on the same store as a new process would be. The session
is resumed where Discord allows it (what was missed is replayed), caught up from REST history
where it does not; the kept sequence never passes a dispatch the core has not handled."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from adapters.discord.adapter import DiscordAdapter
from facilitator.actions import SendMessage
from facilitator.chat import ConversationRef
from facilitator.events import Event
from facilitator.ports import Adapter
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_server import FakeOpenAI
from tests.support import until
from tests.support.discord import ANN, BOB, GENERAL, GUILD, DiscordDriver, answers, mention
from tests.support.driver import ALICE, TRIP

CONVERSATION = ConversationRef("discord", str(GENERAL), space=str(GUILD))


async def stored(store: SqliteStore, channel: dict[str, Any] | int = GENERAL) -> list[str]:
    chat = str(channel if isinstance(channel, int) else channel["id"])
    return [item.text for item in await store.history(ConversationRef("discord", chat), 100)]


async def kept_seq(store: SqliteStore) -> int:
    text = await store.recall("discord", "gateway")
    return int(json.loads(text)["seq"]) if text else 0


async def talk_while_away(fake: FakeDiscord) -> tuple[dict[str, object], dict[str, object]]:
    """Bob says something, Ann asks Parley something: while no client is connected."""
    plain = await fake.dispatch_message(GENERAL, fake.users[BOB], "the ferry is cancelled")
    asked = await fake.dispatch_message(
        GENERAL, fake.users[ANN], f"{mention(fake)} what now?", mentions=[fake.bot_user]
    )
    return plain, asked


async def test_a_restart_resumes_the_session_and_answers_what_was_asked_meanwhile(
    parley: DiscordDriver, fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    async with parley.running():
        await parley.say(TRIP, ALICE, "we land at noon")
        await until(lambda: stored(store))
        session = fake.gateway.session
        assert session is not None
    assert fake.gateway.client_closes == [4000]  # resumable: 1000 would have ended the session
    seq_at_stop = session.seq
    await talk_while_away(fake)
    async with parley.running():
        await until(lambda: answers(fake), within=15)
        await parley.core.idle()
        answered = answers(fake)
        # discord.py's cache after a RESUME in a new process is read back: Ann is still an admin
        told = await parley.command(TRIP, ALICE, "mode auto")
    assert len(fake.gateway.identifies) == 1
    [resume] = fake.gateway.resumes
    assert resume["session_id"] == session.id and resume["seq"] == seq_at_stop
    assert fake.gateway.connections[-1]["path"] == "/gateway-resume"
    texts = await stored(store)
    assert texts.count("the ferry is cancelled") == 1 and sum("what now?" in t for t in texts) == 1
    assert [text.strip() for text in answered] == ["Hello from the fake model."]
    assert len(fake_model.received) == 1 and told.startswith("OK")


async def test_where_discord_refuses_the_resume_the_history_is_caught_up(
    parley: DiscordDriver, fake: FakeDiscord, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    thread = fake.thread(GENERAL, "plans", owner=fake.users[ANN])
    quiet = fake.text_channel(GUILD, 1_410_000_000_000_000_077, "quiet")
    async with parley.running():
        last = await parley.say(TRIP, ALICE, "we land at noon")
        await fake.dispatch_thread_create(thread)
        await fake.dispatch_message(thread, fake.users[BOB], "in the thread, before")
        await until(lambda: stored(store))
    fake.gateway.sessions.clear()  # too long away: Discord has ended the session
    await talk_while_away(fake)
    await fake.dispatch_message(thread, fake.users[BOB], "in the thread, meanwhile")
    await fake.dispatch_message(quiet, fake.users[BOB], "where Parley had heard nothing yet")
    async with parley.running():
        await until(lambda: answers(fake), within=15)
        await until(lambda: _has(store, "in the thread, meanwhile", thread), within=10)
        await until(lambda: _has(store, "where Parley had heard nothing yet", quiet), within=10)
        await parley.core.idle()
    assert len(fake.gateway.identifies) == 2 and fake.gateway.resumes == []
    [fetched] = fake.calls_of("GET", f"/channels/{GENERAL}/messages")
    assert fetched["query"]["after"] == last
    texts = await stored(store)
    assert texts.count("the ferry is cancelled") == 1 and sum("what now?" in t for t in texts) == 1
    assert [text.strip() for text in answers(fake)] == ["Hello from the fake model."]
    assert len(fake_model.received) == 1


async def test_an_invalid_session_while_running_catches_up_too(
    parley: DiscordDriver, fake: FakeDiscord, store: SqliteStore
) -> None:
    async with parley.running():
        await parley.say(TRIP, ALICE, "first")
        await until(lambda: stored(store))
        old = fake.gateway.session
        await fake.gateway_invalid_session()
        # said after Discord ended the session, before the new one: on no gateway
        fake.new_message(fake.channels[GENERAL], fake.users[BOB], "said in between")
        await until(lambda: _has(store, "said in between"), within=10)
    assert fake.gateway.session is not old and len(fake.gateway.identifies) == 2


async def _has(store: SqliteStore, text: str, channel: dict[str, Any] | int = GENERAL) -> bool:
    return text in await stored(store, channel)


class SlowFor:
    """The core, except that handling a message with `text` waits for `release`."""

    def __init__(self, core: object, text: str) -> None:
        self._core, self._text, self.release = core, text, asyncio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self._core, name)

    async def handle(self, event: Event, adapter: Adapter) -> None:
        message = getattr(event, "message", None)
        if message is not None and message.text == self._text:
            await self.release.wait()
        await self._core.handle(event, adapter)  # type: ignore[attr-defined]


async def test_the_kept_sequence_never_passes_a_dispatch_still_being_handled(
    parley: DiscordDriver, fake: FakeDiscord, store: SqliteStore
) -> None:
    async with parley.running():
        slow = SlowFor(parley.core, "slow one")
        parley.adapter._core = slow  # type: ignore[assignment]
        first = await fake.dispatch_message(GENERAL, fake.users[BOB], "slow one")
        await fake.dispatch_message(GENERAL, fake.users[BOB], "quick one")
        await fake.dispatch_message(GENERAL, fake.users[BOB], "quicker one")
        await until(lambda: _has(store, "quicker one"))
        await asyncio.sleep(0.3)  # time enough for a write of the point to happen
        assert await kept_seq(store) < fake.seq_of(first)
        slow.release.set()
        last = fake.gateway.session.seq if fake.gateway.session else 0
        await until(lambda: _at_least(store, last))


async def _at_least(store: SqliteStore, seq: int) -> bool:
    return await kept_seq(store) >= seq


async def test_pause_stops_hearing_but_keeps_rest_and_the_session(
    parley: DiscordDriver, fake: FakeDiscord, store: SqliteStore
) -> None:
    async with parley.running():
        adapter: DiscordAdapter = parley.adapter
        await parley.say(TRIP, ALICE, "before")
        await until(lambda: _has(store, "before"))
        await adapter.pause()
        assert fake.gateway.client_closes == [4000]
        await fake.dispatch_message(GENERAL, fake.users[BOB], "after the pause")
        await asyncio.sleep(0.3)
        assert "after the pause" not in await stored(store)
        await adapter.perform(SendMessage(CONVERSATION, "an answer still in flight"))
        assert "an answer still in flight" in answers(fake)
    async with parley.running():
        await until(lambda: _has(store, "after the pause"), within=10)
    assert len(fake.gateway.identifies) == 1 and len(fake.gateway.resumes) == 1
    assert (await stored(store)).count("after the pause") == 1
