"""`auto` mode in tests: limits quick enough for a test to wait out, and the model's decision
scripted as the decision call returns it (its `decide` tool called with these arguments)."""

from __future__ import annotations

from facilitator.auto.room import AutoLimits
from tests.fakes.openai_server import Reply

QUICK = AutoLimits(
    recheck_seconds=0,
    question_wait_seconds=0.3,
    settle_seconds=0.05,
    cooldown_seconds=0.0,
    join_threshold=0.0,
)


def decide(action: str, **fields: str) -> Reply:
    """The model's decision: `action` ("reply", "react" or "silent") with its `fields`."""
    arguments = {"action": action, "reason": "test", **fields}
    return Reply(text="", tool_calls=[{"name": "decide", "arguments": arguments}])
