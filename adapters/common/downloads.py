"""Bounded image downloads for the adapters: the one adapter module that speaks HTTP itself.

Each platform keeps its own policy (which addresses may be fetched, which get its token) and
hands it to a `Downloader`; this module only moves the bytes. A download is a GET, bounded in
time and in size (a declared Content-Length over the limit is refused before any byte is read,
and reading stops as soon as the bytes pass it, whatever was declared). Redirects are followed
by hand, each new address asked of the caller's `allowed` first, so a redirect to a host it does
not allow is refused without a request. Headers are asked per address too: a token goes only
where the platform says.

The addresses may carry credentials (Telegram's file URLs hold the bot token) and so may the
headers (Slack's): no error says either. A failure is a `DownloadError` whose text is a short
reason in words of its own, raised `from None`, so no chained exception can show them either;
nothing here logs, and aiohttp does not log the addresses it fetches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment  # type: ignore[attr-defined]

import aiohttp

from facilitator.ports import MediaError

CHUNK = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
LONGEST_WAIT = 30.0  # seconds: a Retry-After beyond this is waited this long
# What a failed HTTP exchange raises, for a module that cannot name aiohttp (slack-sdk's client).
TRANSFER_ERRORS: tuple[type[Exception], ...] = (aiohttp.ClientError, TimeoutError, OSError)
Origin = tuple[str, str, int]  # scheme, host, port


class DownloadError(MediaError):
    """A download that failed; `status` is the HTTP status when the server answered with one,
    `content_type` the type of an answer that was not the image asked for."""

    def __init__(self, reason: str, *, status: int | None = None, content_type: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.content_type = content_type


def _everywhere(url: str) -> bool:
    return True


def _no_headers(url: str) -> Mapping[str, str]:
    return {}


class Downloader:
    """GETs over one aiohttp session, opened when first needed and closed by `close()`.

    `name` says who serves the files, in error messages ("Telegram", "Discord's CDN").
    `allowed(url)` is asked before every request, the first and each redirect's; `headers(url)`
    gives the headers for that request. `redirects` is how many are followed (0: a redirect is an
    error), `rate_limit_waits` how many 429 answers are waited out (Retry-After). `image_only`
    refuses an answer whose type is not image/*. Proxy: `proxy`, or with `proxy_from_env` the
    environment's for the address's scheme (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY); never for a
    host NO_PROXY names. No cookies are kept.
    """

    def __init__(
        self,
        name: str,
        *,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        allowed: Callable[[str], bool] = _everywhere,
        headers: Callable[[str], Mapping[str, str]] = _no_headers,
        redirects: int = 0,
        rate_limit_waits: int = 0,
        image_only: bool = False,
        proxy: str | None = None,
        proxy_from_env: bool = False,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.allowed = allowed
        self.headers = headers
        self.redirects = redirects
        self.rate_limit_waits = rate_limit_waits
        self.image_only = image_only
        self.proxy = proxy
        self.proxy_from_env = proxy_from_env
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, url: str, max_bytes: int) -> bytes:
        """The body at `url`, at most `max_bytes` long; DownloadError otherwise."""
        try:
            return await self._follow(url, max_bytes)
        except MediaError:
            raise
        except TimeoutError:
            raise DownloadError(f"{self.name} did not answer in time") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:  # never str(exc): it may hold the URL
            raise DownloadError(f"the download from {self.name} failed ({type(exc).__name__})") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=self.connect_timeout),
            )
        return self._session

    async def _follow(self, url: str, max_bytes: int) -> bytes:
        if not _is_http(url) or not self.allowed(url):
            raise DownloadError(f"not an address Parley fetches from {self.name}: nothing requested")
        redirects = waits = 0
        while True:
            async with asyncio.timeout(self.timeout):
                answer = await self._get(url, max_bytes)
            if isinstance(answer, bytes):
                return answer
            status, location, retry_after = answer
            if status == 429 and waits < self.rate_limit_waits:
                waits += 1
                await asyncio.sleep(_seconds(retry_after))
                continue
            if status not in REDIRECT_STATUSES or location is None:
                raise DownloadError(f"{self.name} answered HTTP {status}", status=status)
            if redirects >= self.redirects:
                what = "too many redirects" if self.redirects else "a redirect, not followed"
                raise DownloadError(f"{self.name} answered with {what} (HTTP {status})", status=status)
            redirects += 1
            url = urljoin(url, location)
            if not _is_http(url) or not self.allowed(url):
                raise DownloadError(
                    f"{self.name} redirected to a host Parley does not fetch from: not followed"
                )

    async def _get(self, url: str, max_bytes: int) -> bytes | tuple[int, str | None, str | None]:
        """The body of a 200 answer; for any other, (status, Location, Retry-After)."""
        request_headers = dict(self.headers(url))
        async with self._client().get(
            url, headers=request_headers, proxy=self._proxy_for(url), allow_redirects=False
        ) as response:
            if response.status != 200:
                return (
                    response.status,
                    response.headers.get("Location"),
                    response.headers.get("Retry-After"),
                )
            if self.image_only and not response.content_type.startswith("image/"):
                kind = response.content_type[:100] or "no type"
                raise DownloadError(f"the answer is {kind}, not an image", content_type=kind)
            if response.content_length is not None and response.content_length > max_bytes:
                raise _too_large(response.content_length, max_bytes)
            data = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise _too_large(len(data), max_bytes)
            return bytes(data)

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        if proxy_bypass_environment(parts.hostname or ""):
            return None
        if self.proxy is not None:
            return self.proxy
        if not self.proxy_from_env:
            return None
        proxies = getproxies_environment()
        return proxies.get(parts.scheme) or proxies.get("all")


def origin(url: str) -> Origin | None:
    """Where an http(s) address points, its port filled in, for a platform's rule of which hosts
    it fetches from (and which get its token); None for anything else, and for an address with
    credentials in it (user:password@), which no rule trusts."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.password:
        return None
    return (parts.scheme, parts.hostname, port)


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _too_large(size: int, max_bytes: int) -> DownloadError:
    return DownloadError(f"the file is larger than {max_bytes} bytes ({size} or more)")


def _seconds(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 1), 0.0), LONGEST_WAIT)
    except ValueError:
        return 1.0
