"""Fit the gate's weights on the tuning half, and only on it: `python -m benchmarks.train_gate`.

Each tuning transcript is replayed through the real core (figure 7's replay) with every due
candidate decided, and each candidate's features when it fell due are kept with its label (the
transcript's `calls_for_ai`). A logistic regression with an L2 penalty is fitted to them; a
leave-one-group-out run says how well the weights carry to a group they were not fitted on;
then the tuning half is replayed at a few bars (`auto.join_threshold`) to show what each
costs and joins, and facilitator/auto/weights.py is written. The held-out half is never read here.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from benchmarks import auto_cost, rooms
from facilitator.auto import weights as shipped
from facilitator.auto.features import of_waiting
from facilitator.auto.room import AutoLimits, Candidate, Room

DEFAULT_BAR = 0.2  # the best of the bars below on the tuning half, on calls and moments both
WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "facilitator" / "auto" / "weights.py"
Sample = tuple[dict[str, float], int]


async def collect(transcript: rooms.Transcript) -> list[Sample]:
    """Every candidate's features when it fell due, decided whatever its score."""
    lines = transcript.lines()
    labelled = {f"t{number}" for number, line in enumerate(lines) if line["calls_for_ai"]}
    samples: dict[str, Sample] = {}  # each candidate as it was when last due
    original = Room.due

    def due(self: Room, now: float) -> list[Candidate]:
        for waiting in self.waiting:
            if waiting.due <= now:
                samples[waiting.message_id] = (_features(waiting), int(waiting.message_id in labelled))
        return original(self, now)

    Room.due = due  # type: ignore[method-assign]
    try:
        await auto_cost.replay(
            lines, name=transcript.name, limits=dataclasses.replace(AutoLimits(), join_threshold=0.0)
        )
    finally:
        Room.due = original  # type: ignore[method-assign]
    return list(samples.values())


def _features(candidate: Candidate) -> dict[str, float]:
    waited = of_waiting(
        candidate.heard_since,
        candidate.replies,
        candidate.answered,
        candidate.shrugged,
        candidate.asker_back,
        candidate.reasked,
    )
    return dict((*candidate.features, *waited))


def fit(
    samples: Sequence[Sample], l2: float = 1.0, steps: int = 3000, rate: float = 0.5
) -> tuple[dict[str, float], float]:
    """Logistic regression by gradient descent, the classes weighted to count equally."""
    names = sorted({name for features, _ in samples for name in features})
    weights = dict.fromkeys(names, 0.0)
    bias = 0.0
    positives = sum(label for _, label in samples) or 1
    negatives = (len(samples) - positives) or 1
    scale = {1: len(samples) / (2 * positives), 0: len(samples) / (2 * negatives)}
    for _ in range(steps):
        grad = dict.fromkeys(names, 0.0)
        grad_bias = 0.0
        for features, label in samples:
            z = bias + sum(weights[n] * v for n, v in features.items())
            p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
            error = (p - label) * scale[label]
            grad_bias += error
            for n, v in features.items():
                grad[n] += error * v
        count = len(samples)
        bias -= rate * grad_bias / count
        for n in names:
            weights[n] -= rate * (grad[n] / count + l2 * weights[n] / count)
    return weights, bias


def probability(features: dict[str, float], weights: dict[str, float], bias: float) -> float:
    z = bias + sum(weights.get(n, 0.0) * v for n, v in features.items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


async def frontier(weights: dict[str, float], bias: float, bars: Sequence[float]) -> None:
    """Moments joined and calls made over the tuning half at each bar: the trade an operator
    makes with `auto.join_threshold` (0 lets every due candidate through)."""
    shipped.WEIGHTS = weights  # the replays score with these
    shipped.BIAS = bias
    for bar in bars:
        limits = dataclasses.replace(AutoLimits(), join_threshold=bar)
        results = await auto_cost.replay_all(rooms.corpus("tuning"), limits=limits)
        joined = min(r.joined_share for r in results)
        calls = max(r.calls_per_100 for r in results)
        print(
            f"  bar {bar:.2f}: worst joined {joined:.0f}%, worst calls {calls:.2f}, total joined "
            f"{sum(r.joined for r in results)}/{sum(r.labelled for r in results)}"
        )


def write(weights: dict[str, float], bias: float, threshold: float) -> None:
    lines = [
        '"""The gate\'s learnt weights (facilitator/auto/features.py): written by',
        "`python -m benchmarks.train_gate` from the tuning half of benchmarks/data/rooms/ only.",
        '"""',
        "",
        f"BIAS = {bias:.3f}",
        f"THRESHOLD = {threshold:.2f}",
        "WEIGHTS: dict[str, float] = {",
        *(f'    "{name}": {value:.3f},' for name, value in sorted(weights.items()) if abs(value) >= 0.001),
        "}",
        "",
    ]
    WEIGHTS_FILE.write_text("\n".join(lines), encoding="utf-8")


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.train_gate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()
    tuning = rooms.corpus("tuning")
    per_group = {t.name: await collect(t) for t in tuning}
    samples = [s for group in per_group.values() for s in group]
    print(f"{len(samples)} candidates when due, {sum(label for _, label in samples)} labelled")
    for name, held in per_group.items():  # leave one group out
        rest = [s for other, group in per_group.items() if other != name for s in group]
        weights, bias = fit(rest, args.l2, steps=800)
        scored = sorted(((probability(f, weights, bias), label) for f, label in held), reverse=True)
        positives = sum(label for _, label in scored)
        kept = [label for p, label in scored if p >= 0.5]
        others = len(kept) - sum(kept)
        print(f"  {name}: left out, at 0.5 keeps {sum(kept)}/{positives} labelled and {others} others")
    weights, bias = fit(samples, args.l2)
    print("what each bar (auto.join_threshold) would do on the tuning half:")
    await frontier(weights, bias, [0.0, 0.2, 0.3, 0.4, 0.5])
    write(weights, bias, DEFAULT_BAR)
    print(f"wrote {WEIGHTS_FILE} (default bar {DEFAULT_BAR:.2f}: the operator raises it for a quieter room)")


if __name__ == "__main__":
    asyncio.run(main())
