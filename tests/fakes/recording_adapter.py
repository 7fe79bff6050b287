"""An adapter that records what the core asked of it, for tests of the core without a platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from facilitator.model import Action, ConversationRef, Delivered, SendMessage, StreamMessage


@dataclass
class RecordingAdapter:
    platform: str = "test"
    members: int | None = 3
    fail_sends: bool = False
    actions: list[Action] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # what members saw, in order
    _ids: int = 0

    async def perform(self, action: Action) -> Delivered | None:
        self.actions.append(action)
        if isinstance(action, (SendMessage, StreamMessage)) and self.fail_sends:
            raise ConnectionError("the platform is down")
        if isinstance(action, SendMessage):
            return self._posted(action.text)
        if isinstance(action, StreamMessage):
            return self._posted("".join([chunk async for chunk in action.chunks]))
        return None

    def _posted(self, text: str) -> Delivered:
        self._ids += 1
        self.texts.append(text)
        return Delivered(((f"ai-{self._ids}", text),))

    async def count_members(self, conversation: ConversationRef) -> int | None:
        return self.members
