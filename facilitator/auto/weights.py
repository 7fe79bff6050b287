"""The gate's learnt weights (facilitator/auto/features.py): written by
`python -m benchmarks.train_gate` from the tuning half of benchmarks/data/rooms/ only.
"""

BIAS = -2.664
THRESHOLD = 0.40
WEIGHTS: dict[str, float] = {
    "after_pause": 0.264,
    "answered": -0.840,
    "asker_back": -0.022,
    "asks": 0.495,
    "contradicts": -0.375,
    "doubts": 0.917,
    "facty": 0.249,
    "general": 0.992,
    "heard_since": 1.519,
    "kind_dispute": 0.792,
    "kind_follow_up": -0.481,
    "kind_open_question": -1.036,
    "kind_options": -0.204,
    "kind_summary": 0.785,
    "laughs": 0.050,
    "long": 1.634,
    "opener": 0.293,
    "ours": 0.112,
    "reasked": 0.066,
    "recap": 0.785,
    "replied": 0.067,
    "says_no": 0.792,
    "short": -0.935,
    "shrugged": 1.678,
    "shrugs": -0.027,
    "silence": 0.961,
    "speakers": 0.902,
    "taste": -0.053,
    "to_group": -0.161,
    "to_one": 0.265,
    "two_talking": 1.376,
    "wants": 0.152,
    "wants_a_figure": -0.027,
    "we": 0.291,
    "wonders": 1.500,
    "work": 0.172,
}
