"""PostgreSQL, through asyncpg (the one module that imports it): a pool sized by the operator,
the schema brought up to date, what went wrong said plainly, a connection that speaks the small
async DB-API the store's parts are written against (`?` placeholders, cursors with `rowcount`,
an explicit commit), and a listener for word of changes from other processes.

Migrations run under a transaction-scoped advisory lock, so two processes starting at once (or
`parley migrate` beside a running release) apply each step exactly once; a step and its row in
`schema_migrations` commit together.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg

from facilitator.ports import StoreUnavailable
from facilitator.store.pg_migrations import MIGRATIONS

logger = logging.getLogger(__name__)

MIGRATION_LOCK = 0x5A4C_E9  # pg_advisory_xact_lock's key for Parley's migrations


class DatabaseUnreachable(StoreUnavailable):
    """The database refused us or is not there; the message says which, never the password."""


Pool = asyncpg.Pool
PgError = asyncpg.PostgresError


def _unreachable(exc: BaseException) -> DatabaseUnreachable:
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return DatabaseUnreachable("PostgreSQL refused the credentials in DATABASE_URL")
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseUnreachable("the database named in DATABASE_URL does not exist")
    return DatabaseUnreachable(f"PostgreSQL is not reachable ({type(exc).__name__})")


_CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def open_pool(dsn: str, size: int = 10) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, timeout=10)
    except _CONNECT_ERRORS as exc:
        raise _unreachable(exc) from exc
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, timeout=10)
    except _CONNECT_ERRORS as exc:
        raise _unreachable(exc) from exc


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?(\d*)")


def numbered(sql: str) -> str:
    """SQLite's placeholders (`?`, `?2`) as PostgreSQL's (`$1`, `$2`), string literals untouched."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0).startswith("'"):
            return match.group(0)
        if match.group(1):
            return f"${match.group(1)}"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


class Cursor:
    """What a statement tells: the rows it changed, the first column of what it returned."""

    __slots__ = ("lastrowid", "rowcount", "rows")

    def __init__(self, rowcount: int, rows: list[Any] | None = None) -> None:
        self.rowcount = rowcount
        self.rows = rows or []
        self.lastrowid = self.rows[0][0] if self.rows else None


class Connection:
    """One asyncpg connection as the store's parts use a database: a transaction opened by the
    first statement and ended by `commit` or `rollback`, like sqlite3's. A connection lost (the
    server restarted, a failover) is opened again on the next statement."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: asyncpg.Connection | None = None
        self._transaction: Any = None
        self._sql: dict[str, str] = {}

    def _numbered(self, sql: str) -> str:
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = numbered(sql)
        return found

    async def _open(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._transaction = None
            self._connection = await connect(self._dsn)
        if self._transaction is None:
            self._transaction = self._connection.transaction()
            await self._transaction.start()
        return self._connection

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        connection = await self._open()
        query = self._numbered(sql)
        if " RETURNING " in query:
            rows = await connection.fetch(query, *parameters)
            return Cursor(len(rows), rows)
        status = await connection.execute(query, *parameters)
        count = status.rsplit(" ", 1)[-1]
        return Cursor(int(count) if count.isdigit() else -1)

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> None:
        connection = await self._open()
        await connection.executemany(self._numbered(sql), parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        connection = await self._open()
        return list(await connection.fetch(self._numbered(sql), *parameters))

    async def commit(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await transaction.commit()

    async def rollback(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None and self._connection is not None and not self._connection.is_closed():
            try:
                await transaction.rollback()
            except (asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
                self._connection.terminate()  # beyond saving: the next statement opens another

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


# The server gone, restarting, refusing connections: the database is away, not the query wrong.
_AWAY = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


async def fetch(pool: asyncpg.Pool, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """A read on a connection of the pool, in its own transaction (the writer's is apart);
    `DatabaseUnreachable` when the database is away (what depends on the read is not done)."""
    try:
        async with pool.acquire(timeout=10) as connection:
            return list(await connection.fetch(numbered(sql), *parameters))
    except _AWAY as exc:
        raise DatabaseUnreachable(f"PostgreSQL is not reachable ({type(exc).__name__})") from exc


class Listener:
    """Word of changes on one channel, from every process (NOTIFY), to `on_notice`; and, when the
    connection was lost and is back, `on_notice("*")`: anything may have changed meanwhile."""

    def __init__(self, dsn: str, channel: str, on_notice: Callable[[str], None]) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_notice = on_notice
        self._connection: asyncpg.Connection | None = None
        self._watching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._listen()
        self._watching = asyncio.ensure_future(self._keep_listening())

    async def _listen(self) -> None:
        connection = await connect(self._dsn)
        await connection.add_listener(self._channel, self._heard)
        self._connection = connection

    def _heard(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self._on_notice(payload)

    async def _keep_listening(self, every: float = 1.0) -> None:
        delay = every
        while True:
            await asyncio.sleep(delay)
            if self._connection is not None and not self._connection.is_closed():
                delay = every
                continue
            try:
                await self._listen()
            except DatabaseUnreachable as exc:
                delay = min(delay * 2, 30.0)
                logger.warning("%s; listening again in %.0f s", exc, delay)
                continue
            logger.info("listening for changes again")
            self._on_notice("*")

    async def close(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            await asyncio.gather(self._watching, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()


async def migrate(pool: asyncpg.Pool, steps: Sequence[tuple[int, str]] = MIGRATIONS) -> list[int]:
    """Apply the steps not yet applied, in order; the numbers applied (none when up to date)."""
    applied: list[int] = []
    async with pool.acquire() as connection:
        for version, sql in steps:
            async with connection.transaction():
                # Locked first: even CREATE TABLE IF NOT EXISTS races with another process.
                await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                done = await connection.fetchval(
                    "SELECT 1 FROM schema_migrations WHERE version = $1", version
                )
                if done:
                    continue
                await connection.execute(sql)
                await connection.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied.append(version)
                logger.info("schema step %d applied", version)
    return applied


async def schema_version(pool: asyncpg.Pool) -> int:
    """The last step applied (0 for an empty database)."""
    async with pool.acquire() as connection:
        exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


class NotEmpty(RuntimeError):
    """A copy into a database that holds something already: nothing was copied."""


Feed = Callable[[str, list[str]], AsyncIterator[list[tuple[Any, ...]]]]
_IDENTITIES = (("conversations", "id"), ("messages", "seq"), ("owed_answers", "id"), ("preview_turns", "id"))


def _as(kind: str, value: Any) -> Any:
    """A SQLite value as PostgreSQL's column takes it (SQLite's types are loose, COPY's are not)."""
    if value is None:
        return None
    if kind == "text":
        text = str(value)
        return text.replace("\x00", "") if "\x00" in text else text
    if kind == "double precision":
        return float(value)
    if kind in {"integer", "bigint", "smallint"}:
        return int(value)
    return value


async def copy_into(pool: asyncpg.Pool, tables: Sequence[str], feed: Feed) -> dict[str, int]:
    """Every row `feed(table, columns)` yields, table after table, in one transaction (all or
    nothing), by COPY; the identity columns then continue after the ids copied."""
    counts: dict[str, int] = {}
    async with pool.acquire() as connection, connection.transaction():
        for table in tables:
            if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                raise NotEmpty(f"the PostgreSQL database already holds {table}: copy into an empty one")
        for table in tables:
            described = await connection.fetch(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                table,
            )
            names = [str(row[0]) for row in described]
            kinds = [str(row[1]) for row in described]
            copied = 0
            async for batch in feed(table, names):
                records = [
                    tuple(_as(kind, value) for kind, value in zip(kinds, row, strict=True)) for row in batch
                ]
                await connection.copy_records_to_table(table, records=records, columns=names)
                copied += len(records)
            counts[table] = copied
            logger.info("copied %d rows of %s", copied, table)
        for table, column in _IDENTITIES:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
            )
    return counts


class Roles:
    """Roles only one process may play at a time (polling Telegram), as session advisory locks
    on a connection of their own: held while this process and that connection live, so a
    process that dies gives its roles up at once, for another to take."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def playing(self, key: int) -> bool:
        """Whether this process plays the role now: taken when free, kept when ours (asked
        again each time: a lost connection has lost the role too)."""
        async with self._lock:
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await connect(self._dsn)
                return bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", key))
            except (DatabaseUnreachable, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                logger.warning("could not tell who plays a role (%s)", type(exc).__name__)
                if self._connection is not None:
                    self._connection.terminate()
                    self._connection = None
                return False

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
