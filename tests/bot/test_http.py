"""The HTTP server on $PORT: /healthz says ok while the parts answer, 503 when one does not."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.http import HttpServer
from facilitator.ports import StoreUnavailable


async def get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_health_is_ok_then_503_when_a_part_fails() -> None:
    healthy = True

    async def report() -> dict[str, object]:
        if not healthy:
            raise OSError("database is gone")
        return {"status": "ok"}

    server = HttpServer("127.0.0.1", 0, report)
    await server.start()
    try:
        assert await get(server.port, "/healthz") == (200, b'{"status": "ok"}')
        healthy = False
        status, body = await get(server.port, "/healthz")
        assert status == 503 and b"OSError" in body and b"database is gone" not in body
        assert (await get(server.port, "/nothing-here"))[0] == 404
    finally:
        await server.stop()


async def post(port: int, path: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers) as response:
            return response.status, dict(response.headers)


async def test_a_webhook_is_acknowledged_only_once_stored_and_refused_while_stopping() -> None:
    """A platform resends what was not acknowledged with a 2xx: an update the store could not
    take gets a 503, as does every call once the server drains for a stop."""
    store_up = True
    taken: list[dict[str, object]] = []

    async def handler(payload: dict[str, object]) -> None:
        if not store_up:
            raise StoreUnavailable("the database refused writes")
        taken.append(payload)

    async def report() -> dict[str, object]:
        return {"status": "ok"}

    server = HttpServer("127.0.0.1", 0, report)
    server.add_webhook("/hook", "X-Secret", "s3cret", handler)
    await server.start()
    headers = {"X-Secret": "s3cret", "Content-Type": "application/json"}
    try:
        assert (await post(server.port, "/hook", '{"update_id": 1}', headers))[0] == 200
        store_up = False
        status, answered = await post(server.port, "/hook", '{"update_id": 2}', headers)
        assert status == 503 and answered["Retry-After"] == "5"
        store_up = True
        server.drain()
        assert (await post(server.port, "/hook", '{"update_id": 3}', headers))[0] == 503
        assert (await get(server.port, "/healthz"))[0] == 503  # the router stops sending here
    finally:
        await server.stop()
    assert taken == [{"update_id": 1}]
