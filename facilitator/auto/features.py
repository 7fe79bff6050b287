"""What the gate's score reads: a candidate's message and its place in the conversation when it
was said, then what the group did while it waited. Every feature is a kind of word or a shape
of the conversation, never a word of one language, so that the weights learnt on some groups
(facilitator/auto/weights.py, fitted by `python -m benchmarks.train_gate` on the tuning half
only) carry to groups, languages and registers they never saw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from facilitator.auto.reading import Reading

Features = tuple[tuple[str, float], ...]


def of_message(
    reading: Reading,
    kind: str,
    speakers: int,
    gap_seconds: float,
    laughing: bool,
    pair: bool,
) -> Features:
    """The message as said: what it does, how long, and how lively the room was."""
    flags = {
        "asks": reading.asks,
        "opener": reading.opener,
        "wonders": reading.wonders,
        "to_group": reading.to_group,
        "to_one": reading.to_one,
        "we": reading.we,
        "wants": reading.wants,
        "work": reading.work,
        "recap": reading.recap,
        "laughs": reading.laughs,
        "shrugs": reading.shrugs,
        "taste": reading.taste,
        "contradicts": reading.contradicts,
        "doubts": reading.doubts,
        "says_no": reading.says_no,
        "facty": reading.facty,
        "wants_a_figure": reading.wants_a_figure,
        "ours": reading.ours,
        "general": reading.general,
        "short": reading.size <= 6,
        "long": reading.size >= 20,
        "laughing_room": laughing,
        "two_talking": pair,
        "kind_" + kind: True,
    }
    values = {name: 1.0 for name, on in flags.items() if on}
    values["speakers"] = min(speakers, 6) / 6
    values["after_pause"] = min(math.log1p(max(gap_seconds, 0.0)) / math.log1p(3600), 1.0)
    return tuple(sorted(values.items()))


def of_waiting(
    others: int, replies: int, answered: bool, shrugged: bool, asker_back: bool, reasked: bool
) -> Features:
    """What the group did while the candidate waited."""
    values = {
        "heard_since": min(others, 6) / 6,
        "silence": float(others == 0),
        "replied": float(replies > 0),
        "answered": float(answered),
        "shrugged": float(shrugged),
        "asker_back": float(asker_back),
        "reasked": float(reasked),
    }
    return tuple((name, value) for name, value in values.items() if value)


def score(features: Sequence[tuple[str, float]], weights: Mapping[str, float], bias: float) -> float:
    """The weighted sum, through the logistic: how likely a thoughtful member would join in."""
    total = bias + sum(weights.get(name, 0.0) * value for name, value in features)
    return 1.0 / (1.0 + math.exp(-max(min(total, 30.0), -30.0)))
