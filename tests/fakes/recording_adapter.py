"""An adapter that records what the core asked of it, for tests of the core without a platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from facilitator.actions import Action, Delivered, SendImage, SendMessage, StreamMessage
from facilitator.chat import ConversationRef
from facilitator.ports import MediaError


@dataclass
class RecordingAdapter:
    platform: str = "test"
    members: int | None = 3
    fail_sends: bool = False
    actions: list[Action] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # what members saw, in order
    images: dict[str, bytes] = field(default_factory=dict)  # what `fetch_image` can serve
    fetched: list[str] = field(default_factory=list)
    blind_spot: str | None = None  # what `partial_view` answers
    _ids: int = 0

    async def perform(self, action: Action) -> Delivered | None:
        self.actions.append(action)
        if isinstance(action, (SendMessage, StreamMessage, SendImage)) and self.fail_sends:
            raise ConnectionError("the platform is down")
        if isinstance(action, SendMessage):
            return await self._told(action, self._posted(action.text))
        if isinstance(action, StreamMessage):
            return await self._told(action, self._posted("".join([chunk async for chunk in action.chunks])))
        if isinstance(action, SendImage):
            return self._posted(action.caption)
        return None

    async def _told(self, action: SendMessage | StreamMessage, delivered: Delivered) -> Delivered:
        """As a platform's adapter does: each part's id told as it goes out (answers owed)."""
        if action.on_part is not None:
            for part_id, _ in delivered.parts:
                await action.on_part(part_id)
        return delivered

    def _posted(self, text: str) -> Delivered:
        self._ids += 1
        self.texts.append(text)
        return Delivered(((f"ai-{self._ids}", text),))

    async def count_members(self, conversation: ConversationRef) -> int | None:
        return self.members

    async def fetch_image(self, ref: str, max_bytes: int) -> bytes:
        self.fetched.append(ref)
        data = self.images.get(ref)
        if data is None:
            raise MediaError(f"no image at {ref}")
        if len(data) > max_bytes:
            raise MediaError("too large")
        return data

    async def partial_view(self, conversation: ConversationRef) -> str | None:
        return self.blind_spot
