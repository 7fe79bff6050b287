"""The adapters' one HTTP downloader against a small aiohttp server on 127.0.0.1: bytes back, the
size bound declared or not, redirects asked of the caller, the type checked, failures in words
that show neither the address nor the headers."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from adapters.common.downloads import Downloader, DownloadError
from facilitator.ports import MediaError

PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # 2056 bytes
SECRET = "bot123456:SECRET-token"


@dataclass
class Server:
    base: str
    requests: list[web.Request] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def files_app(seen: list[web.Request], elsewhere: str = "http://files.example.com") -> web.Application:
    async def record(request: web.Request) -> None:
        seen.append(request)

    async def image(request: web.Request) -> web.Response:
        await record(request)
        response = web.Response(body=PICTURE, content_type="image/png")
        response.set_cookie("session", "kept-by-nobody")
        return response

    async def streamed(request: web.Request) -> web.StreamResponse:
        await record(request)
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.enable_chunked_encoding()  # no Content-Length: only the bytes read tell the size
        await response.prepare(request)
        for _ in range(8):
            await response.write(PICTURE)
        await response.write_eof()
        return response

    async def page(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text="<html>sign in</html>", content_type="text/html")

    async def redirect(request: web.Request) -> web.Response:
        await record(request)
        target = {"away": f"{elsewhere}/x.png", "home": "/image", "loop": "/redirect/loop"}
        return web.Response(status=302, headers={"Location": target[request.match_info["to"]]})

    async def limited(request: web.Request) -> web.Response:
        await record(request)
        if len([r for r in seen if r.path == request.path]) == 1:
            return web.Response(status=429, headers={"Retry-After": "0"})
        return web.Response(body=PICTURE, content_type="image/png")

    async def slow(request: web.Request) -> web.Response:
        await record(request)
        await asyncio.sleep(1)
        return web.Response(body=PICTURE, content_type="image/png")

    async def missing(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=404, text=f"no {request.path_qs} here")

    app = web.Application()
    app.router.add_get("/image", image)
    app.router.add_get("/stream", streamed)
    app.router.add_get("/page", page)
    app.router.add_get("/redirect/{to}", redirect)
    app.router.add_get("/limited", limited)
    app.router.add_get("/slow", slow)
    app.router.add_get("/{tail:.*}", missing)
    return app


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    seen: list[web.Request] = []
    runner, base = await serve(files_app(seen))
    yield Server(base, seen)
    await runner.cleanup()


@pytest.fixture
async def other() -> AsyncIterator[Server]:
    """Another origin (the same host, another port): what a redirect may point at."""
    seen: list[web.Request] = []
    runner, base = await serve(files_app(seen))
    yield Server(base, seen)
    await runner.cleanup()


@pytest.fixture
async def downloader() -> AsyncIterator[Downloader]:
    opened = Downloader("the test server", timeout=5.0)
    yield opened
    await opened.close()


async def test_the_bytes_come_back_over_one_session_without_cookies(
    server: Server, downloader: Downloader
) -> None:
    assert await downloader.fetch(f"{server.base}/image", len(PICTURE)) == PICTURE
    session = downloader._session
    assert await downloader.fetch(f"{server.base}/stream", 10 * len(PICTURE)) == PICTURE * 8
    assert downloader._session is session  # reused
    assert await downloader.fetch(f"{server.base}/image", len(PICTURE)) == PICTURE
    assert "session" not in server.requests[-1].cookies  # the cookie it was given is kept by nobody
    await downloader.close()
    assert session is not None and session.closed and downloader._session is None
    assert await downloader.fetch(f"{server.base}/image", len(PICTURE)) == PICTURE  # opened again


async def test_over_the_limit_by_content_length_or_by_the_bytes_read(
    server: Server, downloader: Downloader
) -> None:
    with pytest.raises(
        DownloadError, match=f"larger than {len(PICTURE) - 1} bytes \\({len(PICTURE)} or more"
    ):
        await downloader.fetch(f"{server.base}/image", len(PICTURE) - 1)
    with pytest.raises(DownloadError, match="larger than 5000 bytes") as caught:
        await downloader.fetch(f"{server.base}/stream", 5000)
    assert isinstance(caught.value, MediaError)
    assert server.paths == ["/image", "/stream"]


async def test_a_redirect_is_followed_only_where_the_caller_allows(server: Server, other: Server) -> None:
    asked: list[str] = []

    def allowed(url: str) -> bool:
        asked.append(url)
        return url.startswith(server.base)

    away = Downloader("the test server", allowed=allowed, redirects=3)
    try:
        assert await away.fetch(f"{server.base}/redirect/home", 10_000) == PICTURE
        with pytest.raises(DownloadError, match="redirected to a host Parley does not fetch from") as caught:
            await away.fetch(f"{server.base}/redirect/away", 10_000)  # files.example.com: never resolved
        assert caught.value.status is None
        with pytest.raises(DownloadError, match="too many redirects"):
            await away.fetch(f"{server.base}/redirect/loop", 10_000)
        with pytest.raises(DownloadError, match="nothing requested"):
            await away.fetch(f"{other.base}/image", 10_000)
    finally:
        await away.close()
    assert "http://files.example.com/x.png" in asked and other.requests == []
    assert server.paths == ["/redirect/home", "/image", "/redirect/away"] + ["/redirect/loop"] * 4


async def test_without_redirects_a_redirect_is_an_error(server: Server, downloader: Downloader) -> None:
    with pytest.raises(DownloadError, match="a redirect, not followed") as caught:
        await downloader.fetch(f"{server.base}/redirect/home", 10_000)
    assert caught.value.status == 302 and server.paths == ["/redirect/home"]


async def test_headers_go_only_where_the_caller_says(other: Server) -> None:
    seen: list[web.Request] = []
    runner, base = await serve(files_app(seen, elsewhere=other.base))
    token = Downloader(
        "the test server",
        headers=lambda url: {"Authorization": f"Bearer {SECRET}"} if url.startswith(base) else {},
        redirects=1,
    )
    try:
        with pytest.raises(DownloadError, match="HTTP 404"):  # the other server has no /x.png
            await token.fetch(f"{base}/redirect/away", 10_000)
    finally:
        await token.close()
        await runner.cleanup()
    assert seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert [r.path for r in other.requests] == ["/x.png"] and "Authorization" not in other.requests[0].headers


async def test_the_type_is_checked_when_asked(server: Server, downloader: Downloader) -> None:
    images = Downloader("the test server", image_only=True)
    try:
        assert await images.fetch(f"{server.base}/image", 10_000) == PICTURE
        with pytest.raises(DownloadError, match="the answer is text/html, not an image") as caught:
            await images.fetch(f"{server.base}/page", 10_000)
        assert caught.value.content_type == "text/html"
    finally:
        await images.close()
    assert await downloader.fetch(f"{server.base}/page", 10_000) == b"<html>sign in</html>"  # not asked


async def test_a_404_is_refused_with_its_status(server: Server, downloader: Downloader) -> None:
    with pytest.raises(DownloadError, match="the test server answered HTTP 404") as caught:
        await downloader.fetch(f"{server.base}/gone.png", 10_000)
    assert caught.value.status == 404


async def test_a_rate_limit_is_waited_out_when_allowed(server: Server, downloader: Downloader) -> None:
    with pytest.raises(DownloadError, match="HTTP 429"):
        await downloader.fetch(f"{server.base}/limited", 10_000)
    patient = Downloader("the test server", rate_limit_waits=1)
    try:
        assert await patient.fetch(f"{server.base}/limited", 10_000) == PICTURE
    finally:
        await patient.close()


async def test_a_slow_or_absent_server_is_a_short_error(server: Server) -> None:
    hasty = Downloader("the test server", timeout=0.3)
    try:
        with pytest.raises(DownloadError, match="did not answer in time"):
            await hasty.fetch(f"{server.base}/slow", 10_000)
    finally:
        await hasty.close()
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    nobody = Downloader("the test server")
    try:
        with pytest.raises(DownloadError, match=r"the download from the test server failed \(\w+\)"):
            await nobody.fetch(f"http://127.0.0.1:{closed}/file/bot{SECRET}/x.png", 10_000)
        for url in ("ftp://127.0.0.1/x.png", "not a url", f"http://127.0.0.1:port{SECRET}/x"):
            with pytest.raises(DownloadError, match="nothing requested"):
                await nobody.fetch(url, 10_000)
    finally:
        await nobody.close()


async def test_no_error_shows_the_address_or_the_headers(server: Server) -> None:
    """Telegram's file addresses hold the bot token, Slack's headers do: neither is ever told."""
    secretive = Downloader(
        "the test server",
        headers=lambda url: {"Authorization": f"Bearer {SECRET}", "X-Key": "header-secret"},
        image_only=True,
        timeout=0.3,
    )
    failures: list[BaseException] = []
    try:
        for url in (
            f"{server.base}/file/bot{SECRET}/gone.png?token={SECRET}",  # 404
            f"{server.base}/page?token={SECRET}",  # not an image
            f"{server.base}/slow?token={SECRET}",  # too slow
            f"{server.base}/image?token={SECRET}",  # too large, declared
            f"{server.base}/stream?token={SECRET}",  # too large, read
            f"http://127.0.0.1:1/file/bot{SECRET}?token={SECRET}",  # nobody there
        ):
            with pytest.raises(MediaError) as caught:
                await secretive.fetch(url, 100)
            failures.append(caught.value)
    finally:
        await secretive.close()
    assert [r.headers["X-Key"] for r in server.requests] == ["header-secret"] * 5  # they were sent
    for failure in failures:
        told = "".join(traceback.format_exception(failure))  # chained exceptions too
        assert failure.__cause__ is None and (failure.__context__ is None or failure.__suppress_context__)
        for secret in (SECRET, "SECRET-token", "header-secret", "/file/bot", "token=", server.base):
            assert secret not in told


async def test_the_environments_proxy_is_used_except_where_no_proxy_says(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxied: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        proxied.append(str(request.url))  # a proxy is asked for the whole address
        return web.Response(body=b"via the proxy", content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", proxy)
    runner, proxy_base = await serve(app)
    from_env = Downloader("the test server", proxy_from_env=True)
    given = Downloader("the test server", proxy=proxy_base)
    direct = Downloader("the test server")
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy_base)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.delenv("no_proxy", raising=False)
        assert await from_env.fetch(f"{server.base}/image", 10_000) == b"via the proxy"
        assert await given.fetch(f"{server.base}/image", 10_000) == b"via the proxy"
        assert await direct.fetch(f"{server.base}/image", 10_000) == PICTURE  # only when asked
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert await from_env.fetch(f"{server.base}/image", 10_000) == PICTURE
        assert await given.fetch(f"{server.base}/image", 10_000) == PICTURE
    finally:
        for opened in (from_env, given, direct):
            await opened.close()
        await runner.cleanup()
    assert proxied == [f"{server.base}/image"] * 2 and len(server.requests) == 3
