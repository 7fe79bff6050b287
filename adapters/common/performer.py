"""Every action the core asks for, handed to the method of its own name: the one `perform` of
every platform, in the order of `facilitator.actions`.

A platform's sender (each `sending.py`, and the shell) is a `Performer`: one method per action
type. `perform` ends with `assert_never`, so mypy fails here when an action type is added and
not handled, and then at every platform that lacks the new method.
"""

from __future__ import annotations

from typing import Protocol, assert_never

from facilitator.actions import (
    Action,
    Delivered,
    EditMessage,
    React,
    SendImage,
    SendMessage,
    ShowTyping,
    StartGroup,
    StreamMessage,
)


class Performer(Protocol):
    """What a platform does for each action; sends, streams and images report what was posted."""

    async def send_message(self, action: SendMessage) -> Delivered | None: ...

    async def stream_message(self, action: StreamMessage) -> Delivered: ...

    async def edit_message(self, action: EditMessage) -> None: ...

    async def react(self, action: React) -> None: ...

    async def show_typing(self, action: ShowTyping) -> None: ...

    async def send_image(self, action: SendImage) -> Delivered: ...

    async def start_group(self, action: StartGroup) -> Delivered | None: ...


async def perform(performer: Performer, action: Action) -> Delivered | None:
    if isinstance(action, SendMessage):
        return await performer.send_message(action)
    if isinstance(action, StreamMessage):
        return await performer.stream_message(action)
    if isinstance(action, EditMessage):
        await performer.edit_message(action)
        return None
    if isinstance(action, React):
        await performer.react(action)
        return None
    if isinstance(action, ShowTyping):
        await performer.show_typing(action)
        return None
    if isinstance(action, SendImage):
        return await performer.send_image(action)
    if isinstance(action, StartGroup):
        return await performer.start_group(action)
    assert_never(action)
