"""One Parley process on PostgreSQL, for the figures that need several (10 and 11): the core on a
`PostgresStore`, as `parley run` builds it, with the benchmarks' adapter in place of a platform.
The benchmark starts it, tells it what to do on stdin and reads what happened on stdout, one
JSON line each way; every time is `time.perf_counter()`, which on Linux is one clock for every
process on the machine.

    python -m benchmarks.pg_worker DSN MODEL_URL --groups FIRST:COUNT [--take-over]

It prints {"ready": ...} once its store is open, then on "go" addresses the AI at once in each of
its groups (group-FIRST..) and prints {"stored": t} once every message is stored and
{"done": t, "answered": n, "cpu": s} once every answer is shown; "stop" (or the end of stdin)
closes it. With --take-over it also looks for what a dead process left, as `parley run` does
beside others, and prints {"shown": chat_id, "at": t} as each answer starts to show.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import fixtures, postgres
from facilitator.actions import Action, Delivered
from facilitator.gc_tuning import tune_garbage_collector
from facilitator.llm import ModelConfig, OpenAIChatModel


def say(**what: Any) -> None:
    sys.stdout.write(json.dumps(what) + "\n")
    sys.stdout.flush()


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Adapter(fixtures.TimingAdapter):
    """The benchmarks' adapter, saying when each answer starts to show (when told to)."""

    telling = False

    async def perform(self, action: Action) -> Delivered | None:
        if self.telling and hasattr(action, "conversation"):
            say(shown=action.conversation.chat_id, at=time.perf_counter())
        return await super().perform(action)


async def run(dsn: str, model_url: str, first: int, count: int, take_over: bool) -> None:
    model = OpenAIChatModel(ModelConfig(base_url=model_url, api_key="bench", model="fake-model"))
    async with postgres.running_core(dsn, model) as (core, _store):
        adapter = Adapter()
        adapter.telling = take_over
        wave = [
            fixtures.message(
                fixtures.conversation(n), fixtures.member(n % 8), "@Parley you in?", mentions_ai=True
            )
            for n in range(first, first + count)
        ]
        sweeping = asyncio.ensure_future(core.keep_taking_over(adapter)) if take_over else None
        say(ready=time.perf_counter(), cpu=cpu())
        while (line := (await asyncio.to_thread(sys.stdin.readline)).strip()) not in ("", "stop"):
            if line != "go":
                continue
            await asyncio.gather(*(core.handle(event, adapter) for event in wave))
            say(stored=time.perf_counter())
            await core.idle()
            say(done=time.perf_counter(), answered=len(adapter.replies), cpu=cpu())
        if sweeping is not None:
            sweeping.cancel()
            await asyncio.gather(sweeping, return_exceptions=True)


class Worker:
    """The benchmark's side of a worker process: start it, tell it, hear from it, kill it."""

    ROOT = Path(__file__).resolve().parents[1]

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.ready: dict[str, Any] = {}

    @classmethod
    async def start(
        cls, dsn: str, model_url: str, first: int, count: int, *, take_over: bool = False
    ) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.pg_worker",
            dsn,
            model_url,
            f"--groups={first}:{count}",
            *(["--take-over"] if take_over else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(cls.ROOT), "NO_PROXY": "127.0.0.1,localhost"},
        )
        worker = cls(process)
        worker.ready = await worker.hear("ready")
        return worker

    def tell(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")

    async def hear(self, key: str, within: float = 120.0) -> dict[str, Any]:
        """The next line saying `key` (lines saying something else are skipped)."""
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), within)
            if not line:
                raise RuntimeError(f"a worker ended (exit {await self.process.wait()}) before saying {key}")
            heard = json.loads(line)
            if key in heard:
                return dict(heard)

    async def stop(self) -> None:
        if self.process.returncode is None:
            try:
                self.tell("stop")
                assert self.process.stdin is not None
                self.process.stdin.close()
                await asyncio.wait_for(self.process.wait(), timeout=30)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                self.process.kill()
        await self.process.wait()

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean stop, no claims given up
        await self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("model_url")
    parser.add_argument("--groups", default="0:0", help="FIRST:COUNT, the groups it is addressed in")
    parser.add_argument("--take-over", action="store_true", help="take over what a dead process left")
    args = parser.parse_args()
    first, count = (int(part) for part in args.groups.split(":"))
    # Message ids of its own: a worker started again must not look like a redelivery.
    fixtures._ids = itertools.count(time.time_ns() // 1000)
    tune_garbage_collector()  # as `parley` sets it for itself
    asyncio.run(run(args.dsn, args.model_url, first, count, args.take_over))


if __name__ == "__main__":
    main()
