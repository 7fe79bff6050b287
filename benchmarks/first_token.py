"""Figure 4: from the model's first streamed token (written by the model server, in its own
process) to the adapter being asked to show the reply."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, ms, percentile, progress

WARM_UP = 10
REPLY = "Saturday at seven works for everyone who answered; shall I note it down?"


async def measure(quick: bool) -> list[Figure]:
    runs, per_run = (1, 20) if quick else (5, 200)
    p50s, p99s = [], []
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        database = await fixtures.stored_history(Path(tmp, "first-token.db"), 1, 1_000)
        # The model thinks a little before it speaks, then streams word by word.
        async with (
            fixtures.model_server(delay=0.01, chunk_delay=0.002, chunk_size=6, text=REPLY) as server,
            fixtures.running_core(database, server) as (core, _store),
        ):
            adapter = fixtures.TimingAdapter()
            await fixtures.address_one_at_a_time(core, adapter, WARM_UP)
            for run in range(runs):
                skip = len(await server.received())
                asked_from = len(adapter.asked_at)
                await fixtures.address_one_at_a_time(core, adapter, per_run)
                spoke = [r["first_token_at"] for r in (await server.received())[skip:]]
                asked = adapter.asked_at[asked_from:]
                if len(spoke) != per_run or len(asked) != per_run or None in spoke:
                    raise RuntimeError("a reply went missing")
                latencies = [ms(a - s) for a, s in zip(asked, spoke, strict=True) if s is not None]
                p50s.append(percentile(latencies, 0.50))
                p99s.append(percentile(latencies, 0.99))
                progress(f"first token run {run + 1}/{runs}: p50 {p50s[-1]:.2f} ms, p99 {p99s[-1]:.2f} ms")
            if any(text != REPLY for text in adapter.replies.values()):
                raise RuntimeError("a reply reached the adapter changed")
    return [
        figure(4, "first_token_p50", "First token → adapter, p50", p50s, "ms", target="reported"),
        figure(4, "first_token_p99", "First token → adapter, p99", p99s, "ms", at_most=5.0, target="≤ 5 ms"),
    ]


if __name__ == "__main__":
    main(measure)
