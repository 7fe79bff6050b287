"""`auto` mode: the local gate and its patterns, the room and its caps, the decision call."""
