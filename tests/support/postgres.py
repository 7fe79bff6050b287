"""A real PostgreSQL server for the tests, from the machine's own binaries: `initdb` and `pg_ctl`
in a temporary folder, listening on a loopback port only, stopped when the session ends.

Run as root (CI is), the server runs as the `postgres` user, which PostgreSQL insists on; the
folder is made theirs. `.ci/run` installs Debian's `postgresql` when `initdb` is missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

GUARDED = "guarded"  # the role that needs its password: the test creates it with one
SEARCH = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def binary(name: str) -> str:
    """A PostgreSQL program: on PATH, else where Debian puts it; LookupError saying how to get it."""
    found = shutil.which(name) or next(
        (str(Path(folder, name)) for folder in SEARCH if Path(folder, name).exists()), None
    )
    if found is None:
        raise LookupError(f"{name} not found: install PostgreSQL (apt-get install -y postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    folder: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://parley@127.0.0.1:{self.port}/parley"

    @classmethod
    def start(cls, port: int | None = None) -> PostgresServer:
        """A new server, on `port` if given (else a free one)."""
        folder = Path(tempfile.mkdtemp(prefix="parley-pg-"))
        server = cls(folder, port or _free_port())
        data, sockets = folder / "data", folder / "sockets"
        sockets.mkdir()
        as_user = _as_postgres(folder)
        server._run(as_user, binary("initdb"), "-D", str(data), "-U", "parley", "--auth=trust", "-E", "UTF8")
        # One role must give its password (the tests of credentials refused); the others need none.
        hba = data / "pg_hba.conf"
        hba.write_text(f"host all {GUARDED} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {sockets} -c fsync=off"
        server._run(
            as_user,
            binary("pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "log"),
            "-w",
            "start",
        )
        server._run(
            as_user, binary("createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "parley", "parley"
        )
        return server

    def halt(self) -> None:
        """Stop the server and keep its data (`resume` starts it again on the same port)."""
        self._pg_ctl("-m", "fast", "stop")

    def resume(self) -> None:
        self._pg_ctl("-w", "start")

    def _pg_ctl(self, *args: str) -> None:
        sockets = self.folder / "sockets"
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {sockets} -c fsync=off"
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self._run(_as_postgres(self.folder), binary("pg_ctl"), "-D", data, "-o", options, "-l", log, *args)

    def stop(self) -> None:
        subprocess.run(
            [
                *_as_postgres(self.folder),
                binary("pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "fast",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, as_user: list[str], *command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()}\n{log[-2000:]}")


def _as_postgres(folder: Path) -> list[str]:
    """The prefix that runs a command as the `postgres` user when we are root (else nothing)."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("postgres")
    for path in (folder, *folder.rglob("*")):
        os.chown(path, user.pw_uid, user.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


class Databases:
    """Databases of their own for the tests, on one server: each a copy of a template already
    brought up to date (copying is much faster than migrating), dropped after its test."""

    TEMPLATE = "parley_template"

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._count = 0
        self._templated = False

    def dsn(self, name: str) -> str:
        return self.server.dsn.rsplit("/", 1)[0] + "/" + name

    async def create(self, *, migrated: bool = True) -> str:
        import asyncpg

        from facilitator.store import pg_pool

        admin = await asyncpg.connect(self.server.dsn)
        try:
            if migrated and not self._templated:
                await admin.execute(f'CREATE DATABASE "{self.TEMPLATE}"')
                pool = await pg_pool.open_pool(self.dsn(self.TEMPLATE), 1)
                await pg_pool.migrate(pool)
                await pool.close()
                self._templated = True
            self._count += 1
            name = f"test_{os.getpid()}_{self._count}"
            template = f' TEMPLATE "{self.TEMPLATE}"' if migrated else ""
            await admin.execute(f'CREATE DATABASE "{name}"{template}')
        finally:
            await admin.close()
        return self.dsn(name)

    async def drop(self, dsn: str) -> None:
        import asyncpg

        admin = await asyncpg.connect(self.server.dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await admin.close()
