"""`auto` mode: the local gate (gate.py) and its patterns (patterns.py), the room and its caps
(room.py), hearing and scheduling (mode.py), and the decision call (decision.py)."""
