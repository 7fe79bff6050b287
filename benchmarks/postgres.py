"""PostgreSQL for the figures that run on it (9 to 12): a server of the benchmark's own, started
from the machine's binaries as the tests start theirs (tests/support/postgres.py finds them and
runs them as the `postgres` user when we are root), listening on 127.0.0.1 only, stopped at the
end. Unlike the tests' server it keeps PostgreSQL's durability as shipped (fsync on, every commit
waits for its WAL to be flushed): what an operator's database does. Its data folder is a
temporary one, or one kept between runs (the start-up figure's 10 million messages).

Also here: databases of their own (copies of one brought up to date), history made in bulk with
`generate_series`, the core on a `PostgresStore`, and the CPU time a server has used."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import fixtures
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.gc_tuning import freeze_startup_objects
from facilitator.llm import OpenAIChatModel
from facilitator.store import pg_pool
from facilitator.store.postgres import PostgresStore
from tests.support.postgres import _as_postgres, _free_port, binary

USER = "parley"
TEMPLATE = "parley_template"
# A server as small as a PaaS's smallest plan is not the point: enough connections for the
# stores of several processes (each holds a pool, a writer, a listener), WAL room for a bulk load.
SETTINGS = ("max_connections=300", "shared_buffers=512MB", "max_wal_size=4GB")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    data: Path  # the data folder (PGDATA)
    run: Path  # sockets and the log, always temporary
    port: int
    made_databases: set[str] = field(default_factory=set)
    _making: asyncio.Lock = field(default_factory=asyncio.Lock)

    def dsn(self, database: str = "parley") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def cpu_seconds(self) -> float:
        """CPU time the whole server has used so far: the postmaster, what its ended children
        used (it waits for them), and what its living backends use."""
        total = _cpu(self.pid, children=True)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.pid:
                    total += _cpu(int(entry.name), children=True)
        return total

    async def database(self, name: str, *, migrated: bool = True) -> str:
        """A new database of its own (one a kept server held under that name is dropped): a copy
        of a template brought up to date (copying is much faster than migrating), or an empty one."""
        async with self._making:  # one at a time: figures ask for several at once
            admin = await asyncpg.connect(self.dsn())
            try:
                if migrated and TEMPLATE not in self.made_databases:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
                    await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
                    pool = await pg_pool.open_pool(self.dsn(TEMPLATE), 1)
                    try:
                        await pg_pool.migrate(pool)
                    finally:
                        await pool.close()
                    self.made_databases.add(TEMPLATE)
                template = f' TEMPLATE "{TEMPLATE}"' if migrated else ""
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.execute(f'CREATE DATABASE "{name}"{template}')
            finally:
                await admin.close()
        return self.dsn(name)


def _cpu(pid: int, *, children: bool) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for
    return ticks / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """CPU time a process (and the children it waited for) has used so far."""
    return _cpu(pid, children=True)


@asynccontextmanager
async def server(data: Path | None = None) -> AsyncIterator[Server]:
    """A PostgreSQL server on a loopback port while the block runs. With `data`, that folder is
    its data folder, made (initdb) the first time and reused after; else a temporary one."""
    run = Path(tempfile.mkdtemp(prefix="parley-bench-pg-"))
    temporary = data is None
    folder = run / "data" if data is None else data
    started = Server(folder, run, _free_port())
    try:
        await asyncio.to_thread(_start, started)
        yield started
    finally:
        await asyncio.to_thread(_stop, started)
        shutil.rmtree(run, ignore_errors=True)
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _start(server: Server) -> None:
    made = not (server.data / "PG_VERSION").exists()
    server.data.mkdir(parents=True, exist_ok=True)
    (server.run / "sockets").mkdir(exist_ok=True)
    as_user = _as_postgres(server.run)  # the folders made the server's (when we are root)
    if not server.data.is_relative_to(server.run):
        _as_postgres(server.data)
    if made:
        initdb = (binary("initdb"), "-D", str(server.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        _run(server, "initdb", *as_user, *initdb)
    options = " ".join(
        [f"-c listen_addresses=127.0.0.1 -p {server.port} -k {server.run / 'sockets'}"]
        + [f"-c {setting}" for setting in SETTINGS]
    )
    log = str(server.run / "log")
    pg_ctl = (binary("pg_ctl"), "-D", str(server.data), "-o", options, "-l", log, "-w", "start")
    _run(server, "pg_ctl start", *as_user, *pg_ctl)
    if made:
        createdb = (binary("createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", USER, "parley")
        _run(server, "createdb", *as_user, *createdb)


def _stop(server: Server) -> None:
    if (server.data / "postmaster.pid").exists():
        subprocess.run(
            [*_as_postgres(server.run), binary("pg_ctl"), "-D", str(server.data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )


def _run(server: Server, name: str, *command: str) -> None:
    done = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log = server.run / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"{name} failed: {done.stderr.strip()}\n{tail}")


# --- history made in bulk ----------------------------------------------------------------------

SENTENCES = 64


async def fill(
    dsn: str,
    conversations: int,
    per_conversation: int,
    *,
    members: int = 8,
    text_chars: int = 0,
    seed: int = 1,
    progress: Any = None,
) -> int:
    """Stored history made by the server itself (`generate_series`), as fixtures.fill makes it
    for SQLite: `conversations` groups named group-0.., each with `members` members and
    `per_conversation` messages, the oldest first across groups. Returns the messages stored."""
    rng = random.Random(seed)
    filler = " ".join(fixtures.WORDS)
    texts = []
    for _ in range(SENTENCES):
        text = fixtures.sentence(rng)
        if text_chars > len(text):
            text = (text + " " + filler * (text_chars // len(filler) + 1))[:text_chars]
        texts.append(text)
    now = "2026-01-01T00:00:00+00:00"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "INSERT INTO members (platform, user_id, display_name, handle, is_bot, updated_at)"
            " SELECT $1, 'u' || n, 'Member ' || n, 'member' || n, 0, $2 FROM generate_series(0, $3 - 1) AS n"
            " ON CONFLICT DO NOTHING",
            fixtures.PLATFORM,
            now,
            members,
        )
        await connection.execute(
            "INSERT INTO conversations (platform, chat_id, thread_id, is_direct, created_at)"
            " SELECT $1, 'group-' || n, '', 0, $2 FROM generate_series(0, $3 - 1) AS n",
            fixtures.PLATFORM,
            now,
            conversations,
        )
        await connection.execute(
            "INSERT INTO conversation_members (conversation_id, user_id, last_seen)"
            " SELECT c.id, 'u' || n, $2 FROM conversations AS c, generate_series(0, $3 - 1) AS n"
            " WHERE c.platform = $1",
            fixtures.PLATFORM,
            now,
            members,
        )
        step = max(1, 500_000 // max(1, conversations))  # about half a million rows a statement
        for first in range(0, per_conversation, step):
            last = min(per_conversation, first + step) - 1
            await connection.execute(
                "INSERT INTO messages (conversation_id, message_id, author_id, from_ai, text, sent_at)"
                " SELECT c.id, 'm' || c.id || '-' || k, 'u' || ((c.id * 7 + k) % $4), 0,"
                " ($5::text[])[1 + (k * 7919 + c.id * 31) % $6],"
                " to_char(timestamp '2026-01-01' + k * interval '1 second',"
                '  \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')'
                " FROM generate_series($2::int, $3::int) AS k, conversations AS c WHERE c.platform = $1"
                " ORDER BY k, c.id",
                fixtures.PLATFORM,
                first,
                last,
                members,
                texts,
                SENTENCES,
            )
            if progress is not None:
                progress((last + 1) * conversations)
        await connection.execute("ANALYZE")
        return int(await connection.fetchval("SELECT count(*) FROM messages"))
    finally:
        await connection.close()


async def count_messages(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM messages"))
    finally:
        await connection.close()


# --- the core on PostgreSQL --------------------------------------------------------------------


@asynccontextmanager
async def core_without_model(dsn: str, **config: Any) -> AsyncIterator[tuple[Facilitator, PostgresStore]]:
    store = await PostgresStore.open(dsn)
    core = Facilitator(FacilitatorConfig(**config), store, fixtures.NoModel())
    try:
        yield core, store
    finally:
        await core.close()
        await store.close()


@asynccontextmanager
async def running_core(
    dsn: str, model: OpenAIChatModel, *, pool_size: int = 10, **config: Any
) -> AsyncIterator[tuple[Facilitator, PostgresStore]]:
    """The core as `parley run` builds it on PostgreSQL (`store.pool_size` is 10 unless the
    operator says otherwise), with this model."""
    store = await PostgresStore.open(dsn, pool_size=pool_size)
    core = Facilitator(FacilitatorConfig(**config), store, model)
    await core.refresh_switches()  # as `parley run` does before any event: says it is alive
    freeze_startup_objects()
    try:
        yield core, store
    finally:
        await core.close()
        await model.close()
        await store.close()
