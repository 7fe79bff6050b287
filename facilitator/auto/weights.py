"""The gate's learnt weights (facilitator/auto/features.py): written by
`python -m benchmarks.train_gate` from the tuning half of benchmarks/data/rooms/ only.
"""

BIAS = -2.497
THRESHOLD = 0.20
WEIGHTS: dict[str, float] = {
    "after_pause": -0.195,
    "answered": -0.143,
    "asker_back": -0.326,
    "asks": 0.674,
    "contradicts": -0.110,
    "doubts": 1.011,
    "facty": 0.279,
    "general": 0.643,
    "heard_since": 0.178,
    "kind_dispute": 0.723,
    "kind_follow_up": -0.497,
    "kind_open_question": -0.798,
    "kind_options": -0.277,
    "kind_summary": 0.780,
    "laughs": 0.229,
    "long": 1.805,
    "opener": 0.213,
    "ours": 0.112,
    "reasked": 0.055,
    "recap": 0.780,
    "replied": 0.454,
    "says_no": 0.875,
    "short": -0.914,
    "shrugged": 1.881,
    "shrugs": -0.260,
    "silence": 0.807,
    "speakers": 1.005,
    "taste": -0.120,
    "to_group": -0.092,
    "to_one": 0.072,
    "two_talking": 1.296,
    "wants": 0.176,
    "wants_a_figure": 0.073,
    "we": 0.278,
    "wonders": 1.545,
    "work": 0.088,
}
