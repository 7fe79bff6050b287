"""Figure 3: how long building the model's context takes as the stored history grows; the
work must depend on the recent window only, never on how much is stored."""

from __future__ import annotations

import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from benchmarks import fixtures
from benchmarks.measure import Figure, figure, main, ms, progress

BUILDS_PER_RUN = 100


async def measure(quick: bool) -> list[Figure]:
    runs, sizes = (1, (1_000, 5_000, 20_000)) if quick else (5, (1_000, 100_000, 1_000_000))
    ref = fixtures.conversation(0)
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        async with AsyncExitStack() as stack:
            cores = {}
            for size in sizes:
                progress(f"context: storing {size:,} messages")
                database = await fixtures.stored_history(Path(tmp, f"context-{size}.db"), 1, size)
                cores[size], _ = await stack.enter_async_context(fixtures.core_without_model(database))
                await cores[size].context(ref)  # open the conversation, warm the page cache
            for run in range(runs):
                for size in sizes:  # interleaved, so a noisy moment hits every size alike
                    builds = []
                    for _ in range(BUILDS_PER_RUN):
                        started = time.perf_counter()
                        turns = await cores[size].context(ref)
                        builds.append(ms(time.perf_counter() - started))
                    if len(turns) < 2:
                        raise RuntimeError("the context holds no conversation")
                    timings[size].append(statistics.median(builds))
                progress(
                    f"context run {run + 1}/{runs}: "
                    + ", ".join(f"{size:,}: {timings[size][-1]:.3f} ms" for size in sizes)
                )
    smallest, largest = sizes[0], sizes[-1]
    figures = [
        figure(
            3, f"context_{size}", f"Context build, {size:,} stored", timings[size], "ms", target="reported"
        )
        for size in sizes
    ]
    ratios = [big / small for big, small in zip(timings[largest], timings[smallest], strict=True)]
    figures.append(
        figure(
            3,
            "context_growth",
            f"Context build {largest:,} ÷ {smallest:,} stored",
            ratios,
            "×",
            at_most=1.5,
            target="≤ 1.5×",
        )
    )
    return figures


if __name__ == "__main__":
    main(measure)
