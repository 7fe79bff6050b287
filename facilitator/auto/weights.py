"""The gate's learnt weights (facilitator/auto/features.py): written by
`python -m benchmarks.train_gate` from the tuning half of benchmarks/data/rooms/ only.
"""

BIAS = -2.893
THRESHOLD = 0.20
WEIGHTS: dict[str, float] = {
    "after_pause": 0.093,
    "answered": -0.365,
    "asker_back": -0.558,
    "asks": 0.470,
    "contradicts": -0.336,
    "doubts": 0.962,
    "facty": 0.269,
    "general": 0.900,
    "heard_since": 0.982,
    "kind_dispute": 0.713,
    "kind_follow_up": -0.569,
    "kind_open_question": -0.830,
    "kind_options": -0.220,
    "kind_summary": 0.795,
    "laughs": 0.134,
    "long": 1.696,
    "opener": 0.293,
    "ours": 0.102,
    "reasked": 0.257,
    "recap": 0.795,
    "replied": 0.107,
    "says_no": 0.966,
    "short": -0.967,
    "shrugged": 1.990,
    "shrugs": -0.068,
    "silence": 1.144,
    "speakers": 1.130,
    "taste": -0.122,
    "to_group": -0.175,
    "to_one": 0.028,
    "two_talking": 1.112,
    "wants": 0.140,
    "wants_a_figure": 0.086,
    "we": 0.341,
    "wonders": 1.412,
    "work": 0.086,
}
