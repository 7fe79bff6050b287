"""The HTTP server on $PORT: /healthz says ok while the parts answer, 503 when one does not."""

from __future__ import annotations

import asyncio

from bot.http import HttpServer


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
