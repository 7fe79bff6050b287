"""Parley's own HTTP server on `$PORT`: the health check and the platforms' webhooks.

Once a stop begins (`drain`), webhooks are answered 503 with a Retry-After, so the platform
delivers them again later (to the next process), and the health check says the process is going.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from facilitator.ports import StoreUnavailable

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, object]]]
WebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]
# (raw body, headers, query string) -> (status, body, headers): for an SDK that checks
# signatures itself and must see the body exactly as it was sent.
RawHandler = Callable[[str, dict[str, str], str], Awaitable[tuple[int, str, dict[str, str]]]]


class HttpServer:
    def __init__(self, host: str, port: int, health: HealthCheck) -> None:
        self._host = host
        self._port = port
        self._health = health
        self.app = web.Application(client_max_size=1024 * 1024)
        self.app.router.add_get("/healthz", self._healthz)
        self._runner: web.AppRunner | None = None
        self.port = port
        self.draining = False

    def drain(self) -> None:
        """Take no more webhook calls: a stop is coming, and the platforms retry a 503."""
        self.draining = True

    def add_webhook(self, path: str, secret_header: str, secret: str, handler: WebhookHandler) -> None:
        """Receive a platform's JSON posts at `path`; a request without the shared secret in
        `secret_header` gets 403 and goes no further."""

        async def receive(request: web.Request) -> web.Response:
            if self.draining:
                return _going()
            given = request.headers.get(secret_header, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                logger.warning("refused a webhook call on %s: wrong or missing secret", path)
                return web.Response(status=403, text="forbidden")
            try:
                payload = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                return web.Response(status=400, text="not JSON")
            if not isinstance(payload, dict):
                return web.Response(status=400, text="not a JSON object")
            try:
                await handler(payload)
            except StoreUnavailable:  # not stored: the platform delivers it again later
                return _going()
            except Exception:  # acknowledged all the same: the platform would resend it forever
                logger.exception("a webhook payload on %s could not be handled", path)
            return web.Response(text="ok")

        self.app.router.add_post(path, receive)

    def add_raw(self, path: str, handler: RawHandler) -> None:
        async def receive(request: web.Request) -> web.Response:
            if self.draining:
                return _going()
            raw = await request.read()
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                return web.Response(status=400, text="not UTF-8")
            status, text, headers = await handler(body, dict(request.headers), request.query_string)
            kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
            kind = next((v for n, v in headers.items() if n.lower() == "content-type"), "text/plain")
            return web.Response(status=status, text=text, headers=kept, content_type=kind.split(";")[0])

        self.app.router.add_post(path, receive)

    async def _healthz(self, request: web.Request) -> web.Response:
        if self.draining:
            return web.json_response({"status": "stopping"}, status=503)
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


def _going() -> web.Response:
    return web.Response(status=503, text="stopping: try again shortly", headers={"Retry-After": "5"})
