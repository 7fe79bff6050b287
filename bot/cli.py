"""The `parley` command: run, shell, migrate, usage, off and on (`parley check` is in bot/checks.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from adapters.discord.config import AUTO, FORMS, parse_shards
from adapters.shell import ShellAdapter, ShellGroup
from bot import registry
from bot.app import Runtime, open_runtime, wants_local_model
from bot.checks import check
from bot.http import HealthCheck, HttpServer
from bot.local_model import LocalModelError
from bot.logs import setup_logging
from bot.platforms import Platforms
from bot.settings import Settings, SettingsError, load_settings
from bot.stores import copy_from_sqlite, open_store, where
from facilitator.chat import utcnow
from facilitator.gc_tuning import tune_garbage_collector
from facilitator.ports import Adapter, StoreUnavailable
from facilitator.store.conversations import StoreError

logger = logging.getLogger(__name__)


def how_to_configure() -> str:
    setups = "".join(f"\n  {platform.title}: {platform.setup}" for platform in registry.PLATFORMS)
    return (
        "No chat platform is configured yet, so Parley starts its local shell.\n"
        f"Each platform is configured by its token in the environment:{setups}\n"
        "See config.example.toml for every setting."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="An AI member for your group chats.")
    parser.add_argument("--config", help="TOML settings file (default: config.toml or $PARLEY_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="start every configured platform (the local shell if none)")
    run.add_argument(
        "--shards",
        metavar="IDS",
        help=f"the Discord shards this process runs, of discord.shard_count: {FORMS}, or auto (split "
        "between the processes sharing PostgreSQL; default: all)",
    )
    shell = commands.add_parser("shell", help="a group chat with the AI in this terminal")
    shell.add_argument(
        "--script", type=Path, help="replay a transcript (`name: text` a line) and print what the AI did"
    )
    shell.add_argument("--direct", action="store_true", help="a direct chat instead of a group")
    shell.add_argument("--chat", default="local", help="which local chat to use (each keeps its own history)")
    shell.add_argument("--verbose", action="store_true", help="show the logs as well")
    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument(
        "--from-sqlite",
        type=Path,
        metavar="FILE",
        help="copy an existing SQLite database into the (PostgreSQL) DATABASE_URL first",
    )
    usage = commands.add_parser("usage", help="usage per member, group and day (answers, tokens, images)")
    usage.add_argument("--csv", action="store_true", help="as CSV, for a spreadsheet or a bill")
    usage.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    for name, what in (("off", "switch the AI off"), ("on", "switch the AI on again")):
        switch = commands.add_parser(name, help=f"{what} for a chat, server or workspace (lists with none)")
        switch.add_argument(
            "target", nargs="?", help="platform:id, e.g. telegram:-1001234, discord:<server id>, slack:T0123"
        )
    commands.add_parser("check", help="validate the settings and reach the model")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"parley: configuration error\n{exc}", file=sys.stderr)
        return 2
    quiet = args.command == "shell" and not args.verbose
    setup_logging(
        "WARNING" if quiet and settings.log.level in {"DEBUG", "INFO"} else settings.log.level,
        settings.log.format,
        settings.secret_values(),
    )
    runner = {
        "run": _run,
        "shell": _shell,
        "migrate": _migrate,
        "check": check,
        "off": _switch,
        "on": _switch,
        "usage": _usage,
    }[args.command]
    tune_garbage_collector()
    try:
        return asyncio.run(runner(settings, args))
    except (SettingsError, StoreError, LocalModelError) as exc:
        print(f"parley: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:  # PostgreSQL unreachable, or refusing the credentials
        print(f"parley: database {where(settings)}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _shell(settings: Settings, args: argparse.Namespace) -> int:
    lines = None
    if args.script is not None:
        try:
            lines = (await asyncio.to_thread(args.script.read_text, encoding="utf-8")).splitlines()
        except OSError as exc:
            raise SettingsError(f"cannot read the script {args.script}: {exc.strerror}") from None
    if wants_local_model(settings):
        print("Starting the local model on this machine (no API key is set)…", file=sys.stderr)
    async with open_runtime(settings, notices=False) as runtime:
        await _run_shell(runtime, lines, direct=args.direct, chat=args.chat)
    return 0


async def _run_shell(runtime: Runtime, lines: list[str] | None, *, direct: bool, chat: str) -> None:
    adapter = ShellAdapter(
        runtime.facilitator, runtime.settings.bot.name, group=ShellGroup(chat_id=chat, direct=direct)
    )
    if lines is not None:
        await adapter.run_script(line for line in lines if not line.lstrip().startswith("#"))
    else:
        await adapter.run_interactive()


def with_shards(settings: Settings, text: str | None) -> Settings:
    """The settings with `parley run --shards` in place of discord.shards, checked against
    discord.shard_count; SettingsError saying what is wrong."""
    if text is None:
        return settings
    if settings.discord.token is None:
        raise SettingsError("--shards is for Discord, which is not configured (set DISCORD_TOKEN)")
    try:
        if text != AUTO:
            parse_shards(text, settings.discord.shard_count)
    except ValueError as exc:
        raise SettingsError(f"--shards {text}: {exc}") from None
    return settings.model_copy(update={"discord": settings.discord.model_copy(update={"shards": text})})


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    settings = with_shards(settings, args.shards)
    async with open_runtime(settings) as runtime, contextlib.AsyncExitStack() as stack:
        http = None
        if settings.http.port is not None:
            http = HttpServer(settings.http.host, settings.http.port, _health(runtime))
        taking_over: list[asyncio.Future[None]] = []

        async def started_late(adapter: Adapter) -> None:  # a standby took over Discord's shards
            await runtime.facilitator.resume_owed(adapter)
            taking_over.append(asyncio.ensure_future(runtime.facilitator.keep_taking_over(adapter)))

        platforms = Platforms(settings, runtime.facilitator, http, started_late)
        if http is not None:
            await http.start()
            stack.push_async_callback(http.stop)
        await platforms.start(stack)
        for adapter in platforms.adapters:  # what a crash or the last deploy left unanswered
            taken = await runtime.facilitator.resume_owed(adapter)
            if taken:
                logger.info("%s: took up %d answer(s) owed from before the restart", adapter.platform, taken)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        work: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
        # Beside other processes on one database: what a dead one left, taken over in seconds.
        taking_over += [
            asyncio.ensure_future(runtime.facilitator.keep_taking_over(adapter))
            for adapter in platforms.adapters
        ]
        if not platforms.names:
            print(how_to_configure(), file=sys.stderr)
            # The shell runs where someone can type (or pipe) to it; a PaaS worker without a
            # terminal keeps serving /healthz until it is stopped.
            if http is None or sys.stdin.isatty():
                work.append(asyncio.ensure_future(_run_shell(runtime, None, direct=False, chat="local")))
        await asyncio.wait(work, return_when=asyncio.FIRST_COMPLETED)
        for task in work:
            task.cancel()
        for taking in taking_over:
            taking.cancel()
        await asyncio.gather(*work, *taking_over, return_exceptions=True)
        await _stop(runtime, platforms, http)
    return 0


async def _stop(runtime: Runtime, platforms: Platforms, http: HttpServer | None) -> None:
    """A stop as a PaaS asks for one (SIGTERM, then a grace period): new events refused (the
    platforms deliver them again later), answers under way finished or left owed, and only
    then the platforms stopped; the core and the store close after them (open_runtime)."""
    grace = runtime.settings.bot.shutdown_grace_seconds
    logger.info("shutting down: finishing answers under way (for up to %g s)", grace)
    if http is not None:
        http.drain()
    await platforms.pause()
    await runtime.facilitator.close(grace)
    logger.info("stopped taking events; closing the platforms")


def _health(runtime: Runtime) -> HealthCheck:
    async def report() -> dict[str, object]:
        await runtime.store.schema_version()  # the database answers
        return {"status": "ok", "platforms": runtime.settings.configured_platforms() or ["shell"]}

    return report


async def _usage(settings: Settings, args: argparse.Namespace) -> int:
    """Totals per account and day; group accounts (`group:<chat>`) are auto mode's own answers."""
    if args.days < 1:
        raise SettingsError("--days: at least 1")
    store = await open_store(settings)
    try:
        rows = await store.usage_rows(utcnow().date() - timedelta(days=args.days - 1))
    finally:
        await store.close()
    header = ("day", "platform", "account", "kind", "answers", "prompt_tokens", "completion_tokens", "images")
    table = [
        (
            day,
            platform,
            account,
            _kind(account),
            u.replies,
            u.prompt_tokens,
            u.completion_tokens,
            u.images,
        )
        for day, platform, account, u in rows
    ]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
        return 0
    for row in table:
        print("  ".join(str(cell) for cell in row))
    spent = [row for row in table if row[3] != "group"]  # a group's totals repeat its members'
    tokens = sum(row[5] + row[6] for row in spent)
    print(f"{len(table)} account-days, {sum(row[4] for row in spent)} answers, {tokens} tokens")
    return 0


def _kind(account: str) -> str:
    """group: a group's totals (its members' answers too); auto: its unprompted turns."""
    return {"group": "group", "auto": "unprompted"}.get(account.split(":", 1)[0], "member")


async def _switch(settings: Settings, args: argparse.Namespace) -> int:
    """The kill switch, kept in the database: a running bot follows it within half a minute."""
    target = args.target
    if target is not None and not registry.is_target(target):
        raise SettingsError(
            f"{target!r}: give platform:id, for example telegram:-1001234 or slack:T0123ABC "
            f"(platforms: {', '.join(registry.names())})"
        )
    store = await open_store(settings)
    try:
        if target is not None:
            changed = await store.switch(target, off=args.command == "off")
            state = "off" if args.command == "off" else "on"
            print(f"{target}: the AI is {state}" + ("" if changed else " (it already was)"))
        off = sorted(await store.switched_off() | set(settings.bot.switched_off))
    finally:
        await store.close()
    if target is None or off:
        print("switched off: " + (", ".join(off) if off else "nowhere"))
    return 0


async def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Either engine brought up to date (safe beside a running release: each step once); with
    `--from-sqlite FILE`, a SQLite database's history copied into PostgreSQL first."""
    if args.from_sqlite is not None:
        return await copy_from_sqlite(settings, args.from_sqlite)
    store = await open_store(settings)
    try:
        version = await store.schema_version()
        applied = store.applied_migrations
    finally:
        await store.close()
    if applied:
        steps = ", ".join(map(str, applied))
        print(f"database {where(settings)}: applied step(s) {steps}; now at version {version}")
    else:
        print(f"database {where(settings)}: up to date (version {version})")
    return 0
