"""Nothing lost, nothing left unanswered on Telegram, by polling and by webhook: `parley run` as a
process against the Bot API fake, killed (`kill -9`) or stopped (SIGTERM) in the middle of a
burst, then started again on the same database. Every update Telegram was told it may forget
is stored, and every mention is answered exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.wiring.telegram import SECRET_HEADER
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.telegram_api import JSON, FakeTelegram
from tests.support import until
from tests.support.durability import Log, owed_count, stored
from tests.support.process import A_PROCESS, endpoint, free_port, running

CHATS = 20  # a mention in each: a burst in one chat would rightly get one answer for several
PER_CHAT = 10
SECRET = "webhook-secret-for-tests"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


def env_for(telegram: FakeTelegram, model: FakeOpenAI, db: Path, **extra: str) -> dict[str, str]:
    return {
        **endpoint(model),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "PARLEY_TELEGRAM__API_BASE_URL": f"http://127.0.0.1:{telegram.port}",
        "PARLEY_STORE__DATABASE_URL": f"sqlite:///{db}",
        "PARLEY_BOT__FIRST_USE_NOTICE": "false",
        **extra,
    }


class Burst:
    """200 messages in 20 groups from 5 members, one mention in each group."""

    def __init__(self, telegram: FakeTelegram, queued: bool = True) -> None:
        self.telegram = telegram
        members = [telegram.user(100 + n, f"Member{n}") for n in range(5)]
        self.updates: list[JSON] = []
        self.mentions: list[tuple[int, int]] = []
        for chat_number in range(CHATS):
            chat = telegram.group(
                -1000 - chat_number, f"Group {chat_number}", supergroup=True, member_count=5
            )
            for n in range(PER_CHAT):
                mention = n == PER_CHAT // 2
                text = f"@{telegram.username} question {n}?" if mention else f"message {n} in {chat_number}"
                update = telegram.push_message(chat, members[n % 5], text)
                if not queued:  # delivered by the test over the webhook instead
                    telegram._updates.remove(update)
                self.updates.append(update)
                if mention:
                    self.mentions.append((chat["id"], update["message"]["message_id"]))

    @property
    def said(self) -> set[tuple[str, str]]:
        return {(str(u["message"]["chat"]["id"]), str(u["message"]["message_id"])) for u in self.updates}

    def answers(self, chat_id: int, message_id: int) -> set[int]:
        """The bot's messages replying to one mention (an answer streams: one message, edited)."""
        return {
            sent["message_id"]
            for sent in self.telegram.sent(chat_id)
            if (sent.get("reply_to_message") or {}).get("message_id") == message_id
        }

    def unanswered(self) -> list[tuple[int, int]]:
        return [mention for mention in self.mentions if not self.answers(*mention)]

    def answered_twice(self) -> list[tuple[int, int]]:
        return [mention for mention in self.mentions if len(self.answers(*mention)) > 1]


async def test_polling_killed_mid_burst_loses_nothing_and_answers_every_mention_once(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    db = tmp_path / "parley.db"
    burst = Burst(telegram)
    fake_model.default = Reply(text="On it.", delay=3.0)  # answers are in flight at the kill
    async with running(env_for(telegram, fake_model, db), tmp_path) as process:
        log = Log(process)
        await until(lambda: len(fake_model.received) >= 5, within=A_PROCESS, what="answers under way")
        process.kill()
        await process.wait()
        await log.closed()
    assert burst.unanswered() and owed_count(db) > 0  # the kill did cut answers off

    fake_model.default = Reply(text="On it.")
    async with running(env_for(telegram, fake_model, db), tmp_path) as process:
        log = Log(process)
        await until(lambda: not burst.unanswered(), within=A_PROCESS, what="every mention answered")
        await until(lambda: len(stored(db, "telegram")) == len(burst.said), within=A_PROCESS)
        await asyncio.sleep(0.5)  # a second answer would come now
    assert stored(db, "telegram") == burst.said
    assert burst.answered_twice() == []
    assert owed_count(db) == 0


async def test_sigterm_mid_burst_hands_unfinished_answers_to_the_next_start_with_a_clean_log(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    db = tmp_path / "parley.db"
    burst = Burst(telegram)
    fake_model.default = Reply(text="On it.", delay=3.0)
    env = env_for(telegram, fake_model, db, PARLEY_BOT__SHUTDOWN_GRACE_SECONDS="0.5")
    async with running(env, tmp_path) as process:
        log = Log(process)
        await until(lambda: len(fake_model.received) >= 5, within=A_PROCESS, what="answers under way")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        text = await log.closed()
    assert log.unclean() == [], text
    assert owed_count(db) > 0  # the grace was too short for them: left owed, not lost

    fake_model.default = Reply(text="On it.")
    async with running(env_for(telegram, fake_model, db), tmp_path):
        await until(lambda: not burst.unanswered(), within=A_PROCESS, what="every mention answered")
        await until(lambda: len(stored(db, "telegram")) == len(burst.said), within=A_PROCESS)
        await asyncio.sleep(0.5)
    assert stored(db, "telegram") == burst.said and burst.answered_twice() == []


async def test_sigterm_lets_answers_under_way_finish_within_the_grace(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path
) -> None:
    db = tmp_path / "parley.db"
    burst = Burst(telegram)
    fake_model.default = Reply(text="On it.", delay=1.0)
    async with running(env_for(telegram, fake_model, db), tmp_path) as process:
        log = Log(process)
        await until(lambda: len(fake_model.received) >= 5, within=A_PROCESS, what="answers under way")
        asked = len(fake_model.received)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        text = await log.closed()
    assert log.unclean() == [], text
    answered = [mention for mention in burst.mentions if burst.answers(*mention)]
    assert len(answered) >= asked  # what was under way was finished, not cut off
    kept = stored(db, "telegram")
    taken = [mention for mention in burst.mentions if (str(mention[0]), str(mention[1])) in kept]
    assert owed_count(db) == len(taken) - len(answered)  # the rest stays owed; unread ones come again


@pytest.mark.parametrize("stop", ["kill -9", "SIGTERM"])
async def test_a_webhook_stopped_mid_burst_loses_nothing_it_acknowledged(
    telegram: FakeTelegram, fake_model: FakeOpenAI, tmp_path: Path, stop: str
) -> None:
    db = tmp_path / "parley.db"
    burst = Burst(telegram, queued=False)
    fake_model.default = Reply(text="On it.", delay=3.0)
    port = free_port()
    env = env_for(
        telegram,
        fake_model,
        db,
        PORT=str(port),
        PARLEY_TELEGRAM__MODE="webhook",
        PARLEY_TELEGRAM__WEBHOOK_URL="https://parley.example",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    url = f"http://127.0.0.1:{port}/telegram"
    acknowledged: set[tuple[str, str]] = set()

    async def deliver(http: aiohttp.ClientSession, updates: list[JSON]) -> None:
        """As Telegram does: one update after another, each until it is acknowledged."""
        for update in updates:
            key = (str(update["message"]["chat"]["id"]), str(update["message"]["message_id"]))
            if key in acknowledged:
                continue
            try:
                async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                    if response.status == 200:
                        acknowledged.add(key)
            except aiohttp.ClientError:
                return  # the process is gone: Telegram keeps the rest for later

    async def ten_senders(http: aiohttp.ClientSession) -> None:
        await asyncio.gather(*(deliver(http, burst.updates[n::10]) for n in range(10)))

    async with running(env, tmp_path) as process, aiohttp.ClientSession() as http:
        log = Log(process)
        await until(lambda: telegram.calls_of("setWebhook"), within=A_PROCESS)
        sending = asyncio.ensure_future(ten_senders(http))
        await until(lambda: len(acknowledged) >= 100, within=A_PROCESS, what="100 updates acknowledged")
        if stop == "kill -9":
            process.kill()
            await process.wait()
        else:  # a deploy: what arrives while it stops gets a 503, and comes again
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
        await sending
        text = await log.closed()
    assert acknowledged <= stored(db, "telegram")  # nothing acknowledged is missing
    if stop == "SIGTERM":
        assert log.unclean() == [], text

    fake_model.default = Reply(text="On it.")
    async with running(env, tmp_path), aiohttp.ClientSession() as http:
        await until(lambda: telegram.calls_of("setWebhook")[1:], within=A_PROCESS)
        await ten_senders(http)  # Telegram delivers the rest again
        await until(lambda: not burst.unanswered(), within=A_PROCESS, what="every mention answered")
        await asyncio.sleep(0.5)
    assert stored(db, "telegram") == burst.said and burst.answered_twice() == []
