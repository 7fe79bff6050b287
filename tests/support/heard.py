"""The real core with a record in front of it: every event an adapter hands over, in order, so a
test can say what the core received (a command's text, where it came from) and still get the
core's real answer."""

from __future__ import annotations

from typing import Any

from facilitator.core import Facilitator
from facilitator.events import CommandReceived, Event
from facilitator.ports import Adapter


class Heard:
    """An EventSink for an adapter: records, then hands each event to `core`."""

    def __init__(self, core: Facilitator) -> None:
        self.core = core
        self.events: list[Event] = []

    async def handle(self, event: Event, adapter: Adapter) -> None:
        self.events.append(event)
        await self.core.handle(event, adapter)

    async def idle(self) -> None:
        await self.core.idle()

    def __getattr__(self, name: str) -> Any:  # the rest of the core, for a driver that asks
        return getattr(self.core, name)

    @property
    def commands(self) -> list[CommandReceived]:
        return [event for event in self.events if isinstance(event, CommandReceived)]
