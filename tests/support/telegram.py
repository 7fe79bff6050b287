"""Parley on Telegram in tests: the real python-telegram-bot polling the loopback Bot API fake
(tests/fakes/telegram_api.py), and the few names Telegram's own tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.ports import EventSink
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram_api import JSON, FakeTelegram
from tests.support.driver import ALICE, BOB, TRIP, WORK, Driver
from tests.support.waiting import until

GROUP_ID, OTHER_GROUP = -1001234, -1005678  # TRIP and WORK
USER_IDS = {ALICE: 11, BOB: 12}


def adapter_for(telegram: FakeTelegram, core: EventSink, **options: Any) -> TelegramAdapter:
    """The adapter polling the fake, with quick edits and drafts."""
    config = TelegramConfig(
        token=telegram.token,
        api_base_url=f"http://127.0.0.1:{telegram.port}",
        group_edit_seconds=options.pop("group_edit_seconds", 0.5),
        draft_seconds=0.05,
        **options,
    )
    return TelegramAdapter(core, config)


def bot_texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    """What members of the chat now see from the bot, oldest first."""
    return list(telegram.messages.get(chat_id, {}).values())


def mention(telegram: FakeTelegram) -> str:
    return f"@{telegram.username}"


class TelegramDriver(Driver):
    """Alice (11) and Bob (12) in the supergroups Trip and Work; a private chat is one a member
    started (pressed Start in), as a bot cannot write first. In the scenarios' world
    (`on_its_fake`) Alice administers both groups, and so does Parley: Telegram tells only an
    admin bot of members' reactions. Telegram tells a bot of no deletion: no `delete` here."""

    platform = "telegram"
    limit = 4096

    def __init__(
        self, fake: FakeTelegram, model: FakeOpenAI, store: SqliteStore, **adapter_options: Any
    ) -> None:
        super().__init__(model, store)
        self.fake, self._options = fake, adapter_options
        self.users = {who: fake.user(number, who.title()) for who, number in USER_IDS.items()}
        self.chats: dict[str, JSON] = {
            TRIP: fake.group(GROUP_ID, "Trip", supergroup=True),
            WORK: fake.group(OTHER_GROUP, "Work", supergroup=True),
        }
        self._adapter: TelegramAdapter | None = None

    @classmethod
    @asynccontextmanager
    async def on_its_fake(cls, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Self]:
        telegram = await FakeTelegram().start()
        try:
            driver = cls(telegram, model, store)
            for where in (TRIP, WORK):
                telegram.add_admin(driver.chats[where], driver.users[ALICE])
                telegram.add_admin(driver.chats[where], telegram.me)
            yield driver
        finally:
            await telegram.stop()

    @property
    def adapter(self) -> TelegramAdapter:
        assert self._adapter is not None, "Parley is not running"
        return self._adapter

    async def _start(self, core: Facilitator) -> None:
        self._adapter = adapter_for(self.fake, core, **self._options)
        await self._adapter.start()

    async def _stop(self) -> None:
        await self.adapter.stop()

    async def react(self, where: str, who: str, said: str, emoji: str) -> None:
        """A `message_reaction` update (Telegram's fixed set of emoji)."""
        self.fake.push_reaction(self.chats[where], self.users[who], int(said), emoji)

    def chat_id(self, where: str) -> int:
        return int(self.chats[where]["id"])

    def direct(self, who: str) -> str:
        self.chats[f"direct:{who}"] = self.fake.private_chat(self.users[who])
        return f"direct:{who}"

    async def say(self, where: str, who: str, text: str) -> str:
        update = self.fake.push_message(self.chats[where], self.users[who], text)
        return str(update["message"]["message_id"])

    async def mention(self, where: str, who: str, text: str) -> str:
        private = self.chats[where]["type"] == "private"
        return await self.say(where, who, text if private else f"{mention(self.fake)} {text}")

    async def command(self, where: str, who: str, text: str) -> str:
        """`/parley text`; the answer in the chat, or in the member's private chat."""
        mine = USER_IDS[who]
        before = {chat: len(bot_texts(self.fake, chat)) for chat in (self.chat_id(where), mine)}
        await self.say(where, who, f"/parley {text}")
        [chat] = await until(
            lambda: [chat for chat, count in before.items() if len(bot_texts(self.fake, chat)) > count],
            what=f"an answer to /parley {text}",
        )
        return bot_texts(self.fake, chat)[before[chat]]

    def grow(self, where: str, people: int) -> None:
        self.fake.member_counts[self.chat_id(where)] = people + 1  # Telegram counts the bot too

    def posted(self, where: str) -> list[str]:
        return bot_texts(self.fake, self.chat_id(where))

    def told_alone(self, who: str) -> list[str]:
        return bot_texts(self.fake, USER_IDS[who])  # the private chat

    def reactions(self, where: str, said: str) -> list[str]:
        return list(self.fake.reactions.get((self.chat_id(where), int(said)), []))

    def reactions_made(self) -> int:
        return len(self.fake.calls_of("setMessageReaction"))

    def messages_sent(self) -> int:
        return len(self.fake.calls_of("sendMessage")) + len(self.fake.calls_of("sendPhoto"))

    def conversation(self, where: str) -> ConversationRef:
        return ConversationRef(self.platform, str(self.chat_id(where)))
