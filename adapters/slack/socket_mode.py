"""Socket Mode as Parley runs it: Bolt's handler, which acknowledges an envelope only once Bolt
has run its listener (the app is built with `process_before_response`, so that is once the core
has stored the event), and which can be paused for a deploy.

Paused, it takes no new envelope: one that arrives is left unacknowledged, and Slack gives it to
another connection (the next process). The connection closes once the envelopes under way are
acknowledged, and it is not reopened.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

logger = logging.getLogger(__name__)

PAUSE_GRACE = 10.0  # seconds the envelopes under way get to be stored and acknowledged


class SocketMode(AsyncSocketModeHandler):
    paused = False
    _under_way = 0
    _quiet: asyncio.Event | None = None

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        if self.paused:
            logger.info("Socket Mode paused: envelope %s left for the next connection", req.envelope_id)
            return
        self._under_way += 1
        try:
            started = time.time()
            answer = await run_async_bolt_app(self.app, req)
            try:
                await send_async_response(client, req, answer, started)
            except Exception as exc:  # the connection went away: Slack delivers it again
                logger.warning("could not acknowledge envelope %s (%s)", req.envelope_id, type(exc).__name__)
        finally:
            self._under_way -= 1
            if self._under_way == 0 and self._quiet is not None:
                self._quiet.set()

    async def pause(self, grace: float = PAUSE_GRACE) -> None:
        """Take no new envelope; close the connection once those under way are acknowledged."""
        self.paused = True
        self.client.auto_reconnect_enabled = False
        self.client.default_auto_reconnect_enabled = False
        if self._under_way:
            self._quiet = asyncio.Event()
            try:
                await asyncio.wait_for(self._quiet.wait(), grace)
            except TimeoutError:
                logger.warning("%d Socket Mode envelope(s) still under way at pause", self._under_way)
        await self.disconnect_async()  # type: ignore[no-untyped-call]
