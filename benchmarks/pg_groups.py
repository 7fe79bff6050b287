"""Figure 10: many groups at once on PostgreSQL, in one process and in two. Figure 5's wave (every
one of 1,000 groups addressed at the same moment, the model taking a second to answer each),
here answered by Parley processes sharing one PostgreSQL: each process is a worker of its own
(benchmarks/pg_worker.py: the core on a `PostgresStore` as `parley run` builds it, with the
benchmarks' adapter in place of a platform), given its share of the groups, as a router would
spread them among dynos. The wall is from the moment the wave is sent to the last answer shown
in any process; each run starts the processes afresh (nothing cached when the wave arrives).

Everything shares this machine's cores: the processes, PostgreSQL and the fake model's own
process; the CPU time each used is noted beside the figures."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from benchmarks import fixtures, postgres
from benchmarks.measure import Figure, figure, main, progress
from benchmarks.pg_worker import Worker

MODEL_SECONDS = 1.0


async def wave(
    server: postgres.Server, model: fixtures.ModelServer, dsn: str, groups: int, processes: int
) -> dict[str, float]:
    """One wave answered by `processes` fresh workers, each its share of the groups."""
    share = groups // processes
    workers = await asyncio.gather(
        *(
            Worker.start(dsn, model.base_url, n * share, share if n < processes - 1 else groups - n * share)
            for n in range(processes)
        )
    )
    try:
        db_cpu, model_cpu = server.cpu_seconds(), postgres.cpu_seconds(model.process.pid)
        go = time.perf_counter()
        for worker in workers:
            worker.tell("go")
        done = await asyncio.gather(*(worker.hear("done") for worker in workers))
        wall = max(float(d["done"]) for d in done) - go
        answered = sum(int(d["answered"]) for d in done)
        if answered != groups:
            raise RuntimeError(f"{answered} of {groups} groups were answered")
        return {
            "wall": wall,
            "process_cpu": sum(
                float(d["cpu"]) - float(w.ready["cpu"]) for d, w in zip(done, workers, strict=True)
            ),
            "database_cpu": server.cpu_seconds() - db_cpu,
            "model_cpu": postgres.cpu_seconds(model.process.pid) - model_cpu,
        }
    finally:
        await asyncio.gather(*(worker.stop() for worker in workers))


async def measure(quick: bool) -> list[Figure]:
    runs, groups = (1, 50) if quick else (3, 1_000)
    results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    async with postgres.server() as server:
        dsn = await server.database("groups")
        await postgres.fill(dsn, groups, 50)
        async with fixtures.model_server(delay=MODEL_SECONDS, text="Count me in for Saturday!") as model:
            for run in range(runs):
                for processes in (1, 2):
                    got = await wave(server, model, dsn, groups, processes)
                    results[processes].append(got)
                    progress(
                        f"pg_groups run {run + 1}/{runs}, {processes} process(es): {groups:,} answered in"
                        f" {got['wall']:.2f} s; CPU: Parley {got['process_cpu']:.2f} s,"
                        f" PostgreSQL {got['database_cpu']:.2f} s, the model {got['model_cpu']:.2f} s"
                    )
    one = [r["wall"] for r in results[1]]
    two = [r["wall"] for r in results[2]]

    def cpu(processes: int) -> dict[str, Any]:
        return {
            f"median_{key}_seconds": round(statistics.median(r[key] for r in results[processes]), 2)
            for key in ("process_cpu", "database_cpu", "model_cpu")
        }

    label = f"{groups:,} groups at once, model {MODEL_SECONDS:g} s, PostgreSQL"
    return [
        figure(
            10,
            "pg_groups_one_process",
            f"{label}: 1 process, all answered",
            one,
            "s",
            target="reported",
            groups=groups,
            **cpu(1),
        ),
        figure(
            10,
            "pg_groups_two_processes",
            f"{label}: 2 processes, half the groups each",
            two,
            "s",
            at_most=1.5,
            target="≤ 1.5 s",
            groups=groups,
            **cpu(2),
        ),
        figure(
            10,
            "pg_groups_scaling",
            "…1 → 2 processes, speed-up",
            [a / b for a, b in zip(one, two, strict=True)],
            "×",
            target="reported (≤ 2×: 2 cores)",
        ),
    ]


if __name__ == "__main__":
    main(measure)
