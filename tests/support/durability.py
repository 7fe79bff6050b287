"""What a crash or a stop left behind, read as an operator would read it: the database file of a
`parley run` that is gone (stdlib sqlite3, another process's view), and its log."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

# What a clean stop never logs.
UNCLEAN = (
    "Traceback",
    "never retrieved",
    "StoreClosedError",
    "closed database",
    "was destroyed but it is pending",
)


def stored(path: Path, platform: str) -> set[tuple[str, str]]:
    """(chat id, platform message id) of every member's message the database holds."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT c.chat_id, m.message_id FROM messages AS m"
            " JOIN conversations AS c ON c.id = m.conversation_id WHERE c.platform = ? AND m.from_ai = 0",
            (platform,),
        )
        return {(str(chat), str(message)) for chat, message in rows}


def owed_count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM owed_answers").fetchone()[0])


class Log:
    """A process's stderr, read as it is written (a full pipe would stall the process)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        self._stream = process.stderr
        self.text = ""
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while line := await self._stream.readline():
            self.text += line.decode(errors="replace")

    async def closed(self) -> str:
        """Everything it logged, once the process is gone."""
        await self._reader
        return self.text

    def unclean(self) -> list[str]:
        return [line for line in self.text.splitlines() if any(mark in line for mark in UNCLEAN)]
