"""Figure 5: many groups at once. Every conversation is addressed at the same moment, the
model takes a second to answer each; all answers must be shown soon after that second, in
little memory. The core runs with its default settings.

Beside it, in the same run: the same requests sent by the `openai` client alone, with no bot
around it (each the context the core built for its group), which is the floor for this
figure on this machine."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import fixtures
from benchmarks.measure import Figure, PeakRss, figure, main, progress, rss_bytes
from facilitator.llm import OpenAIChatModel
from facilitator.ports import ChatTurn

MODEL_SECONDS = 1.0
MB = 1024 * 1024


async def measure(quick: bool) -> list[Figure]:
    runs, groups = (1, 50) if quick else (3, 1_000)
    walls, peaks, per_group, floors = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        database = await fixtures.stored_history(Path(tmp, "groups.db"), groups, 50)
        async with fixtures.model_server(delay=MODEL_SECONDS, text="Count me in for Saturday!") as server:
            idle = rss_bytes()  # the process before any group was active
            for run in range(runs):
                # A fresh start each run: no conversation is cached when the wave arrives.
                async with fixtures.running_core(database, server) as (core, _store):
                    adapter = fixtures.TimingAdapter()
                    wave = [
                        fixtures.message(
                            fixtures.conversation(n),
                            fixtures.member(n % 8),
                            "@Parley you in?",
                            mentions_ai=True,
                        )
                        for n in range(groups)
                    ]
                    with PeakRss() as rss:
                        started = time.perf_counter()
                        await asyncio.gather(*(core.handle(event, adapter) for event in wave))
                        await core.idle()
                        walls.append(time.perf_counter() - started)
                    if len(adapter.replies) != groups:
                        raise RuntimeError(f"{len(adapter.replies)} of {groups} groups were answered")
                    peaks.append(rss.peak / MB)
                    per_group.append((rss.peak - idle) / groups / 1024)
                    contexts = [await core.context(event.message.conversation) for event in wave]
                floors.append(await client_alone(server, contexts))
                progress(
                    f"groups run {run + 1}/{runs}: {groups:,} answered in {walls[-1]:.2f} s, "
                    f"peak RSS {peaks[-1]:.0f} MB ({per_group[-1]:.0f} KB per group); "
                    f"the openai client alone {floors[-1]:.2f} s"
                )
    return [
        figure(
            5,
            "groups_wall",
            f"{groups:,} groups at once, model {MODEL_SECONDS:g} s: all answered",
            walls,
            "s",
            at_most=1.5,
            target="≤ 1.5 s",
            groups=groups,
        ),
        figure(5, "groups_peak_rss", "…peak RSS", peaks, "MB", at_most=200, target="≤ 200 MB"),
        figure(5, "groups_rss_per_group", "…RSS per active conversation", per_group, "KB", target="reported"),
        figure(
            5,
            "groups_client_alone",
            "…the same requests, openai client alone",
            floors,
            "s",
            target="reported (the floor)",
        ),
        figure(
            5,
            "groups_bot_share",
            "…Parley's own share of the wall time",
            [wall - floor for wall, floor in zip(walls, floors, strict=True)],
            "s",
            target="reported",
            median_wall=statistics.median(walls),
        ),
    ]


async def client_alone(server: fixtures.ModelServer, contexts: list[list[ChatTurn]]) -> float:
    """The same wave of requests from a fresh client (fresh connections, as the core had)."""
    model = server.client()
    try:
        started = time.perf_counter()
        replies = await asyncio.gather(*(_read(model, turns) for turns in contexts))
        elapsed = time.perf_counter() - started
    finally:
        await model.close()
    if not all(replies):
        raise RuntimeError("the model left a request unanswered")
    return elapsed


async def _read(model: OpenAIChatModel, turns: list[ChatTurn]) -> str:
    return "".join([chunk async for chunk in model.stream(turns)])


if __name__ == "__main__":
    main(measure)
