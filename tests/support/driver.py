"""The shape of every platform's driver: Parley started against that platform's loopback fake,
and the same verbs on every platform, so that a scenario is written once for all of them.

Every driver plays the same world: Alice and Bob, two groups they are both in (`TRIP`, `WORK`),
which Alice administers and Bob does not, and each one's direct chat with Parley once `direct()`
opens it. Places and people are these names; each driver knows what they are on its platform
(`fake` and `adapter` are there for the platform's own tests). A verb a platform cannot do
(`react`, `delete`, `rename`, `told_alone`) is left to the base, which says why; scenarios pick
their platforms with `platforms_where(does("delete"))`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, ClassVar, Self

from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.core import core_with
from tests.support.waiting import until

ALICE, BOB = "alice", "bob"
TRIP, WORK = "trip", "work"
ANSWER = "Hello from the fake model."  # what the model fake says unless scripted


class Driver(ABC):
    """Parley on one platform: the real core, the store and model the test gave, the real SDK."""

    platform: ClassVar[str]
    limit: ClassVar[int] = 0  # the longest message the platform takes, in characters (0: no limit)

    def __init__(self, model: FakeOpenAI, store: SqliteStore) -> None:
        self.model, self.store = model, store
        self._core: Facilitator | None = None

    @classmethod
    @abstractmethod
    def on_its_fake(cls, model: FakeOpenAI, store: SqliteStore) -> AbstractAsyncContextManager[Self]:
        """The platform's loopback fake started, and a driver on it (Parley not started yet:
        `running()`); the fake stopped after. What tests/support/drivers.py starts a scenario on."""

    @property
    def core(self) -> Facilitator:
        assert self._core is not None, "Parley is not running: `async with driver.running():` first"
        return self._core

    @asynccontextmanager
    async def running(self, core: Facilitator | None = None, **core_options: Any) -> AsyncIterator[Self]:
        """Parley started: on `core` when the test made one, else on the real core with these
        options as an operator sets them (vision, quotas, first_use_notice, ...)."""
        async with AsyncExitStack() as stack:
            if core is None:
                core = await stack.enter_async_context(core_with(self.model, self.store, **core_options))
            self._core = core
            await self._start(core)
            stack.push_async_callback(self._stop)
            yield self

    @abstractmethod
    async def _start(self, core: Facilitator) -> None: ...

    @abstractmethod
    async def _stop(self) -> None: ...

    # --- what members do ---------------------------------------------------------------------

    @abstractmethod
    def direct(self, who: str) -> str:
        """Open `who`'s direct chat with Parley (as far as the platform lets a member) and name it."""

    @abstractmethod
    async def say(self, where: str, who: str, text: str) -> str:
        """`who` writes `text` in `where`, addressing nobody; the platform's id of the message."""

    @abstractmethod
    async def mention(self, where: str, who: str, text: str) -> str:
        """`who` writes `text` to Parley: a mention in a group, any message in a direct chat."""

    @abstractmethod
    async def command(self, where: str, who: str, text: str) -> str:
        """`who` runs Parley's command `text` ("usage", "mode off") as the platform offers it,
        and waits for its answer, which is returned (wherever it was shown)."""

    def grow(self, where: str, people: int) -> None:
        """`where` now has `people` members besides Parley (before it starts: some platforms
        tell it their members once)."""
        raise NotImplementedError(f"{self.platform}: no way to grow a group")

    async def react(self, where: str, who: str, said: str, emoji: str) -> None:
        """`who` puts `emoji` (as Unicode: "👍") on message `said` in `where` (one of Parley's,
        say), and the platform tells Parley so."""
        raise NotImplementedError(f"{self.platform}: members cannot react")

    async def delete(self, where: str, said: str) -> None:
        """Message `said` in `where` is deleted (by its author, or an admin for one of Parley's),
        and the platform tells Parley so."""
        raise NotImplementedError(f"{self.platform}: the platform tells no one of a deletion")

    async def rename(self, where: str, who: str, name: str) -> None:
        """`who` changes the name they are shown by in `where` (a nickname, a display name),
        saying nothing, and the platform tells Parley so (Telegram tells a bot no such thing)."""
        raise NotImplementedError(f"{self.platform}: the platform tells no one of a new name")

    # --- what Parley did ---------------------------------------------------------------------

    @abstractmethod
    def posted(self, where: str) -> list[str]:
        """What everyone in `where` now sees from Parley, oldest first."""

    def told_alone(self, who: str) -> list[str]:
        """What Parley showed `who` alone (an ephemeral, or their direct chat), oldest first."""
        raise NotImplementedError(f"{self.platform}: nothing is shown to one member alone")

    @abstractmethod
    def reactions(self, where: str, said: str) -> list[str]:
        """The emoji Parley put on message `said` in `where`."""

    @abstractmethod
    def reactions_made(self) -> int:
        """How many reactions Parley has asked the platform for, anywhere."""

    @abstractmethod
    def messages_sent(self) -> int:
        """How many messages Parley has posted, anywhere (the platform's calls that post one)."""

    @abstractmethod
    def conversation(self, where: str) -> ConversationRef:
        """`where` as the core knows it."""

    # --- the same on every platform ----------------------------------------------------------

    async def parleys(self, where: str) -> list[str]:
        """The platform's ids of what Parley posted in `where` (as it noted them), oldest first."""
        history = await self.store.history(self.conversation(where), 100)
        return [item.message_id for item in history if item.from_ai]

    async def ask(self, where: str, who: str, text: str) -> list[str]:
        """`who` addresses Parley in `where` and waits for its answer there; what it posted."""
        before = len(self.posted(where))
        await self.mention(where, who, text)
        await until(lambda: len(self.posted(where)) > before, what=f"an answer in {where} to {text!r}")
        await self.core.idle()
        return self.posted(where)[before:]

    async def heard(self, where: str, said: str) -> None:
        """Wait until message `said` has reached the core and been dealt with (stored, answered
        or not): after it, the absence of an answer means something."""

        async def stored() -> bool:
            await self.core.idle()
            history = await self.store.history(self.conversation(where), 100)
            return any(item.message_id == said for item in history)

        await until(stored, what=f"message {said} stored in {where}")
        await self.core.idle()
