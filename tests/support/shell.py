"""Parley in the terminal in tests: typed lines in, what the AI printed out (adapters/shell.py).
`Shell` is one terminal group; `ShellDriver` plays the drivers' world with a terminal per place."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Self

from adapters.shell import ShellAdapter, ShellGroup
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI
from tests.support.driver import ALICE, BOB, TRIP, WORK, Driver

AI = "Parley"


class Shell:
    """A shell group in a test: type lines, read what the AI printed."""

    def __init__(self, core: Facilitator, direct: bool = False) -> None:
        self.out = io.StringIO()
        self.adapter = ShellAdapter(core, AI, out=self.out, group=ShellGroup(direct=direct))
        self.core = core

    async def say(self, *lines: str) -> str:
        """Feed lines as a script (each waits for the AI) and return what the AI printed."""
        start = self.out.tell()
        await self.adapter.run_script(lines)
        return self.out.getvalue()[start:]

    async def burst(self, *lines: str) -> str:
        """Feed lines without waiting between them, as a fast typist would."""
        start = self.out.tell()
        for line in lines:
            await self.adapter.receive(line)
        await self.core.idle()
        return self.out.getvalue()[start:]


class ShellDriver(Driver):
    """A terminal for each place (`trip`, `work`, a direct chat), all on one core; Alice starts
    each group, so she administers it. The shell shows everything to everyone: it has no way to
    tell one member something alone, and no length limit. A terminal has no reactions or
    deletions: the shell's own `/react EMOJI` and `/delete` stand for them, on Parley's latest
    message."""

    platform = "shell"

    def __init__(self, model: FakeOpenAI, store: SqliteStore) -> None:
        super().__init__(model, store)
        self.groups = {where: self._group(where) for where in (TRIP, WORK)}
        self.outs: dict[str, io.StringIO] = {}
        self.adapters: dict[str, ShellAdapter] = {}

    @classmethod
    @asynccontextmanager
    async def on_its_fake(cls, model: FakeOpenAI, store: SqliteStore) -> AsyncIterator[Self]:
        yield cls(model, store)  # the terminal is no server: nothing to start

    @staticmethod
    def _group(where: str, direct: bool = False) -> ShellGroup:
        group = ShellGroup(chat_id=where.replace(":", "-"), direct=direct)
        for name in (ALICE, BOB):
            group.member(name.title())
        return group

    def _attach(self, core: Facilitator, where: str) -> None:
        self.outs[where] = io.StringIO()
        self.adapters[where] = ShellAdapter(core, AI, out=self.outs[where], group=self.groups[where])

    async def _start(self, core: Facilitator) -> None:
        for where in self.groups:
            self._attach(core, where)

    async def _stop(self) -> None:
        return None  # what was printed stays readable

    def direct(self, who: str) -> str:
        where = f"direct:{who}"
        if where not in self.groups:
            self.groups[where] = self._group(where, direct=True)
            if self._core is not None:
                self._attach(self._core, where)
        return where

    async def _type(self, where: str, who: str, line: str) -> str:
        """`who` types `line` in `where`'s terminal; the id of the message it became."""
        await self.adapters[where].receive(f"{who.title()}: {line}")
        authors = self.groups[where].authors
        return next((m for m in reversed(authors) if m.startswith("m") and authors[m] == who.title()), "")

    async def say(self, where: str, who: str, text: str) -> str:
        return await self._type(where, who, text)

    async def mention(self, where: str, who: str, text: str) -> str:
        return await self._type(where, who, text if self.groups[where].direct else f"@{AI} {text}")

    async def command(self, where: str, who: str, text: str) -> str:
        out = self.outs[where]
        start = out.tell()
        await self._type(where, who, f"/{text}")
        await self.core.idle()
        return out.getvalue()[start:].removeprefix(f"{AI}: ")

    async def react(self, where: str, who: str, said: str, emoji: str) -> None:
        assert said == self.groups[where].last_ai_message, "the shell reacts to Parley's latest message"
        await self._type(where, who, f"/react {emoji}")

    async def delete(self, where: str, said: str) -> None:
        assert said == self.groups[where].last_ai_message, "the shell deletes Parley's latest message"
        await self.adapters[where].receive("/delete")

    def grow(self, where: str, people: int) -> None:
        group = self.groups[where]
        for n in range(group.humans, people):
            group.member(f"member{n}")

    def _lines(self, where: str) -> list[str]:
        out = self.outs.get(where)
        return out.getvalue().splitlines() if out else []

    def posted(self, where: str) -> list[str]:
        return [line.removeprefix(f"{AI}: ") for line in self._lines(where) if line.startswith(f"{AI}: ")]

    def reactions(self, where: str, said: str) -> list[str]:
        author = self.groups[where].authors.get(said, "")
        shown = re.compile(rf"^{AI} reacted (\S+) to {re.escape(author)}$")
        return [found.group(1) for line in self._lines(where) if (found := shown.match(line))]

    def reactions_made(self) -> int:
        return sum(line.startswith(f"{AI} reacted ") for where in self.outs for line in self._lines(where))

    def messages_sent(self) -> int:
        return sum(len(self.posted(where)) for where in self.outs)

    def conversation(self, where: str) -> ConversationRef:
        return self.groups[where].conversation
