"""The gate's learnt weights (facilitator/auto/features.py): written by
`python -m benchmarks.train_gate` from the tuning half of benchmarks/data/rooms/ only."""

BIAS = 0.0
THRESHOLD = 0.0
WEIGHTS: dict[str, float] = {}
