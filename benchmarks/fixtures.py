"""What the figures run against: stored history made in bulk, the fake model as a process of its
own, messages as an adapter hands them to the core, and an adapter that notes when it is asked."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from facilitator.actions import Action, Delivered, SendMessage, StreamMessage
from facilitator.chat import ConversationRef, Member, Message
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.gc_tuning import freeze_startup_objects
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.ports import MediaError
from facilitator.store.sqlite import SqliteStore

PLATFORM = "bench"
WORDS = (
    "saturday dinner pizza train tickets which time works for everyone maybe later tonight I think "
    "we should book the place near the station did anyone see the match the weather looks fine "
    "let's vote on it sounds good to me not sure about that option can we move it to sunday"
).split()
_ids = itertools.count(1)


def conversation(number: int) -> ConversationRef:
    return ConversationRef(PLATFORM, f"group-{number}")


def member(number: int) -> Member:
    return Member(PLATFORM, f"u{number}", f"Member {number}", handle=f"member{number}")


def sentence(rng: random.Random, low: int = 4, high: int = 30) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def message(
    ref: ConversationRef,
    author: Member,
    text: str,
    *,
    mentions_ai: bool = False,
    sent_at: datetime | None = None,
) -> MessageReceived:
    number = next(_ids)
    return MessageReceived(
        event_id=f"e{number}",
        message=Message(
            id=f"live-{number}",
            conversation=ref,
            author=author,
            text=text,
            sent_at=sent_at or datetime.now(UTC),
            mentions_ai=mentions_ai,
        ),
    )


# --- stored history, made in bulk --------------------------------------------------------------


async def create_database(path: Path) -> None:
    """An empty database at the latest schema, made by the store itself."""
    store = await SqliteStore.open(path)
    await store.close()


def _rows(
    conversation_ids: list[int], per_conversation: int, members: int, text_chars: int, seed: int
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    filler = " ".join(WORDS)
    for number in range(per_conversation):
        sent_at = (start + timedelta(seconds=number)).isoformat(timespec="microseconds")
        for conv_id in conversation_ids:
            text = sentence(rng)
            if text_chars > len(text):
                text = (text + " " + filler * (text_chars // len(filler) + 1))[:text_chars]
            author = f"u{rng.randrange(members)}"
            yield (conv_id, f"m{conv_id}-{number}", author, 0, text, sent_at, None, None)


def fill(
    path: Path,
    conversations: int,
    per_conversation: int,
    *,
    members: int = 8,
    text_chars: int = 0,
    seed: int = 1,
) -> None:
    """Stored history through plain sqlite3 (the fast way in): `conversations` groups named
    group-0.., each with `members` members and `per_conversation` messages. Blocking: run it
    in a thread."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous = OFF")
        now = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
        db.executemany(
            "INSERT INTO members (platform, user_id, display_name, handle, is_bot, updated_at)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
            [(PLATFORM, f"u{n}", f"Member {n}", f"member{n}", now) for n in range(members)],
        )
        ids = []
        for number in range(conversations):
            cursor = db.execute(
                "INSERT INTO conversations (platform, chat_id, thread_id, is_direct, created_at)"
                " VALUES (?, ?, '', 0, ?)",
                (PLATFORM, f"group-{number}", now),
            )
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
        db.executemany(
            "INSERT INTO conversation_members (conversation_id, user_id, last_seen) VALUES (?, ?, ?)",
            [(conv_id, f"u{n}", now) for conv_id in ids for n in range(members)],
        )
        db.executemany(
            "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at,"
            " reply_to, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(ids, per_conversation, members, text_chars, seed),
        )
        db.commit()
    finally:
        db.close()


async def stored_history(path: Path, conversations: int, per_conversation: int, **options: Any) -> Path:
    await create_database(path)
    await asyncio.to_thread(fill, path, conversations, per_conversation, **options)
    return path


# --- the model, as a process of its own --------------------------------------------------------


@dataclass
class ModelServer:
    """The tests' fake OpenAI-compatible server in its own process, as a real model would be."""

    port: int
    process: asyncio.subprocess.Process

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def received(self) -> list[dict[str, float | None]]:
        """When each request arrived and when its first token left, oldest first."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET /_received HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        raw = await reader.read()
        writer.close()
        await writer.wait_closed()
        return list(json.loads(raw.split(b"\r\n\r\n", 1)[1]))

    def client(self, timeout: float = 30.0) -> OpenAIChatModel:
        return OpenAIChatModel(
            ModelConfig(base_url=self.base_url, api_key="bench", model="fake-model", timeout_seconds=timeout)
        )


@asynccontextmanager
async def model_server(
    *, delay: float = 0.0, chunk_delay: float = 0.0, chunk_size: int = 8, text: str = "Sounds good to me."
) -> AsyncIterator[ModelServer]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.openai_server",
        f"--delay={delay}",
        f"--chunk-delay={chunk_delay}",
        f"--chunk-size={chunk_size}",
        f"--text={text}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    if not line.strip():
        raise RuntimeError("the fake model server did not start")
    try:
        yield ModelServer(int(line), process)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()


# --- the core and an adapter -------------------------------------------------------------------


@dataclass
class TimingAdapter:
    """Notes when the core asks it to post, reads every reply to the end, posts nothing."""

    platform: str = PLATFORM
    members: int = 5
    asked_at: list[float] = field(default_factory=list)  # perf_counter at each send/stream call
    replies: dict[str, str] = field(default_factory=dict)  # conversation chat_id -> text shown

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, StreamMessage):
            self.asked_at.append(time.perf_counter())
            text = "".join([chunk async for chunk in action.chunks])
        elif isinstance(action, SendMessage):
            self.asked_at.append(time.perf_counter())
            text = action.text
        else:
            return None
        self.replies[action.conversation.chat_id] = text
        return Delivered(((f"ai-{next(_ids)}", text),))

    async def count_members(self, conversation: ConversationRef) -> int | None:
        return self.members

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        raise MediaError("the benchmarks share no images")

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        return None


@asynccontextmanager
async def running_core(
    database: Path, server: ModelServer, **config: Any
) -> AsyncIterator[tuple[Facilitator, SqliteStore]]:
    store = await SqliteStore.open(database)
    model = server.client()
    core = Facilitator(FacilitatorConfig(**config), store, model)
    freeze_startup_objects()  # as `parley run` does once it is ready
    try:
        yield core, store
    finally:
        await core.close()
        await model.close()
        await store.close()


class NoModel:
    """For figures that must never reach the model: calling it is a failure of the figure."""

    model = "none"

    def stream(
        self, turns: Any, stats: Any = None, tools: Any = (), force_tool: Any = None, model: Any = None
    ) -> AsyncIterator[str]:
        raise AssertionError("this figure must not call the model")

    async def generate_image(self, prompt: str) -> bytes:
        raise AssertionError("this figure must not call the model")

    async def flagged(self, text: str) -> bool:
        raise AssertionError("this figure must not call the model")


@asynccontextmanager
async def core_without_model(database: Path, **config: Any) -> AsyncIterator[tuple[Facilitator, SqliteStore]]:
    store = await SqliteStore.open(database)
    core = Facilitator(FacilitatorConfig(**config), store, NoModel())
    try:
        yield core, store
    finally:
        await core.close()
        await store.close()


async def address_one_at_a_time(core: Facilitator, adapter: TimingAdapter, count: int) -> list[float]:
    """Address the AI `count` times in group-0, each after the previous answer was shown; the
    perf_counter time at which each message entered the core."""
    ref, author = conversation(0), member(1)
    entered = []
    for number in range(count):
        event = message(ref, author, f"@Parley what do you think, #{number}?", mentions_ai=True)
        entered.append(time.perf_counter())
        await core.handle(event, adapter)
        await core.idle()
    if len(adapter.asked_at) < count:
        raise RuntimeError(f"only {len(adapter.asked_at)} of {count} messages were answered")
    return entered
