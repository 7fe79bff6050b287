"""Images on Slack: files members shared and their profile photos fetched, images the AI made
uploaded.

A shared file is `slack-file:<id>` (events.py): `files.info` gives its private URL and size, and
the download carries the bot token, which Slack's file host needs (without it Slack answers 200
with its HTML sign-in page, so only an image/* answer counts). The token goes to Slack's own file
hosts only: files.slack.com and the host of the configured API address. Profile photos on Slack's
image CDN (*.slack-edge.com) are public and fetched without it; any other address is refused
before a request is made. An image the AI made goes up with `files_upload_v2`, in the thread the
answer would go to, with the caption as its message.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin, urlsplit
from urllib.request import proxy_bypass_environment  # type: ignore[attr-defined]

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import split_mrkdwn, to_mrkdwn
from adapters.slack.sending import SlackSender
from facilitator.model import SendImage
from facilitator.ports import MediaError

logger = logging.getLogger(__name__)

FILE_REF = "slack-file:"
FILE_HOST = ("https", "files.slack.com", 443)
PUBLIC_IMAGE_DOMAIN = "slack-edge.com"  # avatars.slack-edge.com, ca.slack-edge.com...
REDIRECTS = 3
RATE_LIMIT_WAITS = 3
DOWNLOAD_SECONDS = 30.0
SHARE_WAITS = (0.2, 0.4, 0.8, 1.6)  # files.info, until Slack says which message shares an upload
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
Origin = tuple[str, str, int]


def _origin(url: str) -> Origin | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.password:
        return None
    return (parts.scheme, parts.hostname, port)


class SlackFiles:
    def __init__(self, client: AsyncWebClient, token: str, api_base_url: str, sender: SlackSender) -> None:
        self.client = client
        self.sender = sender
        self._token = token
        api = _origin(api_base_url)
        self._token_origins = {FILE_HOST, *([api] if api else [])}

    # --- in ---------------------------------------------------------------------------------

    async def fetch(self, ref: str, max_bytes: int) -> bytes:
        if ref.startswith(FILE_REF):
            return await self._fetch_file(ref.removeprefix(FILE_REF), max_bytes)
        if _origin(ref) is None:
            raise MediaError("not a Slack file or image address")
        return await self._download(ref, max_bytes)

    async def _fetch_file(self, file_id: str, max_bytes: int) -> bytes:
        if not file_id.isalnum():
            raise MediaError("not a Slack file id")
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "missing_scope":
                raise MediaError("the Slack app lacks the files:read scope") from None
            raise MediaError(f"Slack would not describe the file ({error})") from None
        except (SlackRequestError, aiohttp.ClientError, TimeoutError) as exc:
            raise MediaError(f"files.info failed ({type(exc).__name__})") from None
        file = info.get("file") or {}
        size = int(file.get("size") or 0)
        if size > max_bytes:
            raise MediaError(f"the file is {size} bytes, over the limit of {max_bytes}")
        mimetype = str(file.get("mimetype") or "")
        if mimetype and not mimetype.startswith("image/"):
            raise MediaError(f"the file is not an image ({mimetype})")
        url = file.get("url_private_download") or file.get("url_private")
        if not isinstance(url, str):
            raise MediaError("Slack gave no download address for the file")
        return await self._download(url, max_bytes)

    def _with_token(self, origin: Origin) -> bool:
        return origin in self._token_origins

    @staticmethod
    def _public(origin: Origin) -> bool:
        scheme, host, _ = origin
        return scheme == "https" and (host == PUBLIC_IMAGE_DOMAIN or host.endswith("." + PUBLIC_IMAGE_DOMAIN))

    async def _download(self, url: str, max_bytes: int) -> bytes:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_SECONDS)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                return await self._follow(session, url, max_bytes)
        except (aiohttp.ClientError, TimeoutError) as exc:  # never str(exc): no address or header in it
            raise MediaError(f"the download failed ({type(exc).__name__})") from None

    async def _follow(self, session: aiohttp.ClientSession, url: str, max_bytes: int) -> bytes:
        waits = 0
        for _ in range(REDIRECTS + 1 + RATE_LIMIT_WAITS):
            origin = _origin(url)
            if origin is None or not (self._with_token(origin) or self._public(origin)):
                raise MediaError("not one of Slack's file or image hosts: not fetched")
            headers = {"Authorization": f"Bearer {self._token}"} if self._with_token(origin) else {}
            async with session.get(
                url, headers=headers, proxy=_proxy_for(origin[1]), allow_redirects=False
            ) as response:
                if response.status in REDIRECT_STATUSES and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status == 429 and waits < RATE_LIMIT_WAITS:
                    waits += 1
                    await asyncio.sleep(_retry_after(response.headers.get("Retry-After")))
                    continue
                if response.status != 200:
                    raise MediaError(f"Slack answered the download with HTTP {response.status}")
                if not response.content_type.startswith("image/"):
                    page = " (Slack's sign-in page: the token was not accepted)"
                    kind = response.content_type or "no type"
                    raise MediaError(f"the answer is {kind}, not an image{page if 'html' in kind else ''}")
                if response.content_length is not None and response.content_length > max_bytes:
                    raise MediaError(f"the image is {response.content_length} bytes, over {max_bytes}")
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise MediaError(f"the image is over the limit of {max_bytes} bytes")
                return bytes(data)
        raise MediaError("too many redirects or rate limits")

    # --- out --------------------------------------------------------------------------------

    async def send_image(self, action: SendImage) -> tuple[str, str]:
        """Upload the image into the conversation (the thread an answer would go to) with the
        caption as its message; returns (the ts of the message that shows it, the caption), or
        the file id when Slack has not said which message that is."""
        where = action.conversation
        thread = self.sender.thread_of(where, action.reply_to)
        comment = split_mrkdwn(to_mrkdwn(action.caption))[0] if action.caption.strip() else None
        done = await self.client.files_upload_v2(
            channel=where.chat_id,
            file=action.data,
            filename=action.name,
            initial_comment=comment,
            thread_ts=thread,
        )
        file = done.get("file") or {}
        file_id = str(file.get("id") or "")
        ts = _shared_at(file, where.chat_id)
        for wait in SHARE_WAITS if ts is None and file_id else ():
            await asyncio.sleep(wait)  # Slack shares an upload a moment after completing it
            try:
                ts = _shared_at((await self.client.files_info(file=file_id)).get("file") or {}, where.chat_id)
            except SlackApiError as exc:
                logger.info("no share of %s yet: %s", file_id, exc.response.get("error"))
            if ts is not None:
                break
        if ts is None:
            logger.info("Slack did not say which message shows %s: its id stands for it", file_id)
        return (ts or file_id, action.caption)


def _shared_at(file: dict[str, object], channel: str) -> str | None:
    """The ts of the message that shares `file` in `channel` (files.info's `shares`)."""
    shares = file.get("shares")
    if not isinstance(shares, dict):
        return None
    for kind in ("public", "private"):
        found = (shares.get(kind) or {}).get(channel) or []
        if found and isinstance(found[-1], dict) and found[-1].get("ts"):
            return str(found[-1]["ts"])
    return None


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 30.0)
    except ValueError:
        return 1.0


def _proxy_for(host: str) -> str | None:
    """The proxy slack-sdk would use (HTTPS_PROXY...), except where NO_PROXY says not to."""
    return None if proxy_bypass_environment(host) else load_http_proxy_from_env()
