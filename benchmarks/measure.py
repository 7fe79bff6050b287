"""Statistics and measurements shared by the figures: medians with spread, percentiles, memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from facilitator.gc_tuning import tune_garbage_collector

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Figure:
    """One line of the report: a value (median over runs) with its spread and its target."""

    number: int
    name: str
    label: str
    value: float
    unit: str
    runs: list[float]
    target: str = ""
    met: bool | None = None  # None: reported beside the others, no target of its own
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def spread(self) -> tuple[float, float]:
        return (min(self.runs), max(self.runs)) if self.runs else (self.value, self.value)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["spread"] = list(self.spread)
        return data


def figure(
    number: int,
    name: str,
    label: str,
    runs: Sequence[float],
    unit: str,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    target: str = "",
    **notes: Any,
) -> Figure:
    value = statistics.median(runs)
    met = None
    if at_least is not None:
        met = value >= at_least
    elif at_most is not None:
        met = value <= at_most
    return Figure(number, name, label, value, unit, list(runs), target, met, dict(notes))


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the value below which `fraction` of the samples fall."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def rss_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


class PeakRss:
    """The highest resident memory seen while the block runs, sampled every few milliseconds
    from a thread (so it keeps sampling while the event loop is busy)."""

    def __init__(self, every_seconds: float = 0.002) -> None:
        self.every = every_seconds
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.every)

    def __enter__(self) -> PeakRss:
        self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def ms(seconds: float) -> float:
    return seconds * 1000.0


def main(measure: Callable[[bool], Coroutine[Any, Any, list[Figure]]]) -> None:
    """A figure module's entry point: `--quick` for small sizes; the figures as JSON on stdout."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    args = parser.parse_args()
    tune_garbage_collector()  # as `parley` sets it for itself
    figures = asyncio.run(measure(args.quick))
    print(json.dumps([f.as_json() for f in figures]))


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)
