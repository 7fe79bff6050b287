"""Figure 2: from an addressing message entering the core to the model request reaching the
model (a server in its own process), with a long history stored in that conversation."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, ms, percentile, progress

WARM_UP = 10  # the first requests open the connection and warm the caches


async def measure(quick: bool) -> list[Figure]:
    runs, stored, per_run = (1, 2_000, 20) if quick else (5, 100_000, 200)
    p50s, p99s = [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        database = await fixtures.stored_history(Path(tmp, "mention.db"), 1, stored)
        async with (
            fixtures.model_server(text="On it.") as server,
            fixtures.running_core(database, server) as (core, _store),
        ):
            adapter = fixtures.TimingAdapter()
            await fixtures.address_one_at_a_time(core, adapter, WARM_UP)
            for run in range(runs):
                skip = len(await server.received())
                entered = await fixtures.address_one_at_a_time(core, adapter, per_run)
                arrived = [r["at"] for r in (await server.received())[skip:]]
                if len(arrived) != per_run:
                    raise RuntimeError(f"{len(arrived)} model requests for {per_run} mentions")
                latencies = [ms(a - e) for a, e in zip(arrived, entered, strict=True) if a is not None]
                p50s.append(percentile(latencies, 0.50))
                p99s.append(percentile(latencies, 0.99))
                progress(f"mention run {run + 1}/{runs}: p50 {p50s[-1]:.2f} ms, p99 {p99s[-1]:.2f} ms")
    label = f"Mention → model request, {stored:,} stored"
    return [
        figure(2, "mention_p50", f"{label}, p50", p50s, "ms", at_most=2.0, target="≤ 2 ms", stored=stored),
        figure(2, "mention_p99", f"{label}, p99", p99s, "ms", at_most=5.0, target="≤ 5 ms", stored=stored),
    ]


if __name__ == "__main__":
    main(measure)
