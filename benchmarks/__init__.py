"""The bot's own cost, measured: `python -m benchmarks` (see the README's performance section).

Each figure runs in a process of its own (clean memory figures, no warm caches shared between
figures); comparisons asked for by a figure run side by side inside that one process.
"""
