"""Figure 8: how long Slack waits for its acknowledgement, now that an event is acknowledged only
once the core has stored it. Signed event deliveries over HTTP to the real Slack adapter (Bolt)
against the loopback Slack fake, with the real core and store, and a model that takes 2 s to
answer (its answers under way while the events keep coming), ten deliveries at a time, one in
ten a mention, from members whose profiles are not known yet. Slack gives up after 3 s."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.slack.adapter import SlackAdapter
from adapters.slack.config import SlackConfig
from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, ms, percentile, progress
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_events import sign

SECRET = "benchmark-signing-secret"
CONCURRENCY = 10
MENTION_EVERY = 10
MODEL_SECONDS = 2.0
WARM_UP = 10


def deliveries(fake: FakeSlack, count: int, members: list[str]) -> list[str]:
    bodies = []
    for n in range(count):
        user = members[n % len(members)]
        if n % MENTION_EVERY == MENTION_EVERY - 1:
            body = fake.event_app_mention(
                f"C{n // MENTION_EVERY % 5}", user, f"<@{fake.bot_user_id}> question {n}?"
            )
        else:
            body = fake.event_message(f"C{n % 5}", user, f"what we said, number {n}")
        bodies.append(json.dumps(body))
    return bodies


async def acknowledged(session: aiohttp.ClientSession, url: str, bodies: list[str]) -> list[float]:
    """Seconds from each delivery's start to Slack's 200, CONCURRENCY at a time."""
    waits: list[float] = []
    queue = iter(bodies)

    async def worker() -> None:
        for raw in queue:
            started = time.perf_counter()
            async with session.post(url, data=raw, headers=sign(raw, SECRET)) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"a delivery was answered {response.status}")
            waits.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return waits


async def one_run(server: fixtures.ModelServer, count: int, run: int) -> list[float]:
    fake = await FakeSlack().start()
    members = [f"U{n:02d}" for n in range(20)]
    for user in members:
        fake.user(user, f"Member {user}", display_name=f"member-{user.lower()}")
    for channel in range(5):
        fake.channel(f"C{channel}", f"room-{channel}", members=members)
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        async with fixtures.running_core(Path(tmp, "slack.db"), server) as (core, _store):
            config = SlackConfig(bot_token=fake.bot_token, signing_secret=SECRET, api_base_url=fake.base_url)
            adapter = SlackAdapter(core, config)

            async def relay(request: web.Request) -> web.Response:
                answer = await adapter.receive((await request.read()).decode(), dict(request.headers))
                return web.Response(status=answer.status, text=answer.body)

            app = web.Application()
            app.router.add_post("/slack/events", relay)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            await adapter.start()
            url = f"http://127.0.0.1:{port}/slack/events"
            try:
                async with aiohttp.ClientSession() as session:
                    await acknowledged(session, url, deliveries(fake, WARM_UP, members))
                    waits = await acknowledged(session, url, deliveries(fake, count, members))
                await core.idle()  # the answers, 2 s each, given before the next run
            finally:
                await adapter.stop()
                await runner.cleanup()
                await fake.stop()
    answered, asked = len(fake.calls_of("chat.startStream")), len(fake.calls_of("users.info"))
    p50, p99 = ms(percentile(waits, 0.5)), ms(percentile(waits, 0.99))
    progress(
        f"slack_ack run {run}: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(waits)} deliveries,"
        f" {answered} answers, {asked} users.info"
    )
    return waits


async def measure(quick: bool) -> list[Figure]:
    runs, count = (1, 60) if quick else (3, 200)
    p50s, p99s = [], []
    async with fixtures.model_server(delay=MODEL_SECONDS, text="On it.") as server:
        for run in range(runs):
            waits = await one_run(server, count, run + 1)
            p50s.append(ms(percentile(waits, 0.50)))
            p99s.append(ms(percentile(waits, 0.99)))
    label = (
        f"Slack event → acknowledged (stored), {count} at {CONCURRENCY} at a time, {MODEL_SECONDS:g} s model"
    )
    notes: dict[str, Any] = {"events": count, "concurrency": CONCURRENCY, "model_seconds": MODEL_SECONDS}
    return [
        figure(8, "slack_ack_p50", f"{label}, p50", p50s, "ms", target="reported", **notes),
        figure(8, "slack_ack_p99", f"{label}, p99", p99s, "ms", at_most=300.0, target="≤ 300 ms", **notes),
    ]


if __name__ == "__main__":
    main(measure)
