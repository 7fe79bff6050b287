"""`parley check`: the settings, the database, a real request to the model, and each configured
platform's own check (bot/wiring/<platform>.py), with a verdict an operator can act on."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from pathlib import Path

from bot import registry
from bot.app import start_model
from bot.local_model import LocalModelError
from bot.settings import Settings, SettingsError
from bot.stores import open_store, where
from facilitator.ports import StoreUnavailable
from facilitator.store.conversations import StoreError

ALIVE_WITHIN_SECONDS = 30.0  # a process says it is alive every few seconds (facilitator/owing.py)


async def check(settings: Settings, args: argparse.Namespace) -> int:
    problems = 0
    print(f"settings: OK ({settings.config_file or 'no config file, defaults and environment'})")
    problems += await _check_database(settings)
    problems += await _check_model(settings)
    platforms = registry.configured(settings)
    names = ", ".join(platform.name for platform in platforms)
    print(f"platforms: {names or 'none configured (the local shell works)'}")
    for platform in platforms:
        problems += await registry.wiring(platform).check(settings)
    print(
        "verdict: ready"
        if problems == 0
        else f"verdict: NOT READY ({problems} problem{'s' if problems > 1 else ''})"
    )
    return 0 if problems == 0 else 1


async def _check_database(settings: Settings) -> int:
    place = where(settings)
    if settings.store.postgres_url() is None:
        path = settings.store.sqlite_path()
        if path != ":memory:" and not await asyncio.to_thread(Path(path).exists):
            print(f"database: OK ({path} will be created at the first start)")
            return 0
    try:
        store = await open_store(settings, migrate=False)
    except StoreError as exc:
        if "needs migrating" in str(exc):
            print(f"database: OK ({place}; its schema is updated at start or by `parley migrate`)")
            return 0
        print(f"database: PROBLEM: {exc}")
        return 1
    except StoreUnavailable as exc:
        print(f"database: PROBLEM: {place}: {exc}")
        return 1
    try:
        print(f"database: OK ({place}, schema version {await store.schema_version()})")
        alive = await store.processes(seen_since=time.time() - ALIVE_WITHIN_SECONDS)
    finally:
        await store.close()
    if not alive:
        print("processes: none running")
    for process in alive:
        platforms = ", ".join(process.platforms) or "no platform yet"
        print(f"process: {process.host} pid {process.pid} ({platforms}), running since {process.started_at}")
    return 0


async def _check_model(settings: Settings) -> int:
    try:
        async with contextlib.AsyncExitStack() as stack:
            model, _ = await start_model(settings, stack)
            await model.check()
        print(f"model: OK ({model.model} at {model.config.base_url or 'api.openai.com'})")
        return 0
    except (SettingsError, LocalModelError) as exc:
        print(f"model: PROBLEM: {exc}")
        return 1
    except Exception as exc:
        kind = getattr(exc, "kind", type(exc).__name__)
        print(
            f"model: PROBLEM: the endpoint did not answer ({kind}); "
            "check llm.base_url, llm.model and the API key"
        )
        return 1
