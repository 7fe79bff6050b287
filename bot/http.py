"""Parley's own HTTP server on `$PORT`: the health check now, the platforms' webhooks later."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, object]]]


class HttpServer:
    def __init__(self, host: str, port: int, health: HealthCheck) -> None:
        self._host = host
        self._port = port
        self._health = health
        self.app = web.Application(client_max_size=1024 * 1024)
        self.app.router.add_get("/healthz", self._healthz)
        self._runner: web.AppRunner | None = None
        self.port = port

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            report = await self._health()
        except Exception as exc:  # an unhealthy part is a 503, never a crash
            logger.warning("health check failed: %s", exc)
            return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
        status = 200 if report.get("status") == "ok" else 503
        return web.json_response(report, status=status)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        logger.info("HTTP server listening on %s:%d", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
