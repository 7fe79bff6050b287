"""`auto` mode in tests: limits quick enough for a test to wait out, and the model's decision
scripted as the decision call returns it (its `decide` tool called with these arguments)."""

from __future__ import annotations

from facilitator.actions import React, SendMessage, StreamMessage
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Message
from facilitator.core import Facilitator
from facilitator.events import CommandReceived, MessageReceived
from tests.fakes.openai_server import Reply
from tests.fakes.recording_adapter import RecordingAdapter

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


class Group:
    """One group in a test, talked to through the core as an adapter would: each message and
    command numbered, a command's answer returned."""

    def __init__(self, core: Facilitator, adapter: RecordingAdapter, where: ConversationRef) -> None:
        self.core, self.adapter, self.where, self.number = core, adapter, where, 0

    async def say(self, author: Member, text: str, **flags: bool) -> str:
        self.number += 1
        message_id = f"m{self.number}"
        await self.core.handle(
            MessageReceived(Message(message_id, self.where, author, text, **flags)), self.adapter
        )
        return message_id

    async def command(self, author: Member, text: str) -> str:
        self.number += 1
        await self.core.handle(
            CommandReceived(self.where, author, text, message_id=f"c{self.number}"), self.adapter
        )
        await self.core.idle()
        return self.adapter.texts[-1] if self.adapter.texts else ""

    def unprompted(self) -> list[object]:
        """Every reaction, and every message posted but the answers to commands."""
        return [
            a
            for a in self.adapter.actions
            if isinstance(a, React)
            or (isinstance(a, SendMessage | StreamMessage) and not (a.reply_to or "").startswith("c"))
        ]
