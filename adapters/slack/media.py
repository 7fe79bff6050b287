"""Images on Slack: files members shared and their profile photos fetched; `file_info` for the
sender, which uploads the images the AI made (sending.py).

A shared file is `slack-file:<id>` (events.py): `files.info` gives its private URL and size, and
the download carries the bot token, which Slack's file host needs (without it Slack answers 200
with its HTML sign-in page, so only an image/* answer counts). The token goes to Slack's own file
hosts only: files.slack.com and the host of the configured API address. Profile photos on Slack's
image CDN (*.slack-edge.com) are public and fetched without it; any other address is refused
before a request is made.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.downloads import TRANSFER_ERRORS, Downloader, DownloadError, origin
from facilitator.ports import MediaError

FILE_REF = "slack-file:"
FILE_HOST = ("https", "files.slack.com", 443)
PUBLIC_IMAGE_DOMAIN = "slack-edge.com"  # avatars.slack-edge.com, ca.slack-edge.com...
REDIRECTS = 3
RATE_LIMIT_WAITS = 3
DOWNLOAD_SECONDS = 30.0
# What files.info raises besides its own errors.
FILES_INFO_ERRORS: tuple[type[Exception], ...] = (SlackRequestError, *TRANSFER_ERRORS)


class SlackMedia:
    """Files in over the app's client (files.info); downloads over
    adapters.common.downloads, with this module's rule for which hosts get the token."""

    def __init__(
        self, client: AsyncWebClient, token: str, api_base_url: str, proxy: str | None = None
    ) -> None:
        self.client = client
        self._token = token
        api = origin(api_base_url)
        self._token_origins = {FILE_HOST, *([api] if api else [])}
        self._downloader = Downloader(
            "Slack",
            timeout=DOWNLOAD_SECONDS,
            allowed=self._allowed,
            headers=self._headers,
            redirects=REDIRECTS,
            rate_limit_waits=RATE_LIMIT_WAITS,
            image_only=True,  # not the sign-in page Slack serves a request it does not accept
            proxy=proxy,  # the one slack-sdk takes from the environment; never where NO_PROXY says
        )

    async def close(self) -> None:
        await self._downloader.close()

    async def fetch(self, ref: str, max_bytes: int) -> bytes:
        if ref.startswith(FILE_REF):
            return await self._fetch_file(ref.removeprefix(FILE_REF), max_bytes)
        if origin(ref) is None:
            raise MediaError("not a Slack file or image address")
        return await self._download(ref, max_bytes)

    async def _fetch_file(self, file_id: str, max_bytes: int) -> bytes:
        if not file_id.isalnum():
            raise MediaError("not a Slack file id")
        file = await self.file_info(file_id)
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

    async def file_info(self, file_id: str) -> dict[str, Any]:
        """files.info's `file`; MediaError, in words of its own, when Slack will not describe it."""
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error == "missing_scope":
                raise MediaError("the Slack app lacks the files:read scope") from None
            raise MediaError(f"Slack would not describe the file ({error})") from None
        except FILES_INFO_ERRORS as exc:
            raise MediaError(f"files.info failed ({type(exc).__name__})") from None
        return dict(info.get("file") or {})

    def _with_token(self, url: str) -> bool:
        return origin(url) in self._token_origins

    def _allowed(self, url: str) -> bool:
        """Slack's own file hosts (with the token) and its public image CDN (without)."""
        where = origin(url)
        if where is None:
            return False
        scheme, host, _ = where
        public = scheme == "https" and (
            host == PUBLIC_IMAGE_DOMAIN or host.endswith("." + PUBLIC_IMAGE_DOMAIN)
        )
        return public or where in self._token_origins

    def _headers(self, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._with_token(url) else {}

    async def _download(self, url: str, max_bytes: int) -> bytes:
        try:
            return await self._downloader.fetch(url, max_bytes)
        except DownloadError as exc:
            if exc.content_type and "html" in exc.content_type:
                raise MediaError(f"{exc} (Slack's sign-in page: the token was not accepted)") from None
            raise
