"""Images on Slack: files members shared and their profile photos fetched, images the AI made
uploaded.

A shared file is `slack-file:<id>` (events.py): `files.info` gives its private URL and size, and
the download carries the bot token, which Slack's file host needs (without it Slack answers 200
with its HTML sign-in page, so only an image/* answer counts). The token goes to Slack's own file
hosts only: files.slack.com and the host of the configured API address. Profile photos on Slack's
image CDN (*.slack-edge.com) are public and fetched without it; any other address is refused
before a request is made. An image the AI made goes up with `files_upload_v2`, in the thread the
answer would go to (the sender says which), with the caption as its message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.downloads import TRANSFER_ERRORS, Downloader, DownloadError, origin
from adapters.slack.render import split_mrkdwn, to_mrkdwn
from facilitator.actions import SendImage
from facilitator.ports import MediaError

logger = logging.getLogger(__name__)

FILE_REF = "slack-file:"
FILE_HOST = ("https", "files.slack.com", 443)
PUBLIC_IMAGE_DOMAIN = "slack-edge.com"  # avatars.slack-edge.com, ca.slack-edge.com...
REDIRECTS = 3
RATE_LIMIT_WAITS = 3
DOWNLOAD_SECONDS = 30.0
SHARE_WAITS = (0.2, 0.4, 0.8, 1.6)  # files.info, until Slack says which message shares an upload
# What files.info raises besides its own errors.
FILES_INFO_ERRORS: tuple[type[Exception], ...] = (SlackRequestError, *TRANSFER_ERRORS)


class SlackMedia:
    """Files in and out over the app's client (files.info, files_upload_v2); downloads over
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

    # --- in ---------------------------------------------------------------------------------

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

    # --- out --------------------------------------------------------------------------------

    async def send_image(self, action: SendImage, thread: str | None) -> tuple[str, str]:
        """Upload the image into the conversation (in `thread`, where an answer would go) with the
        caption as its message; returns (the ts of the message that shows it, the caption), or
        the file id when Slack has not said which message that is."""
        where = action.conversation
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
                ts = _shared_at(await self.file_info(file_id), where.chat_id)
            except MediaError as exc:
                logger.info("no share of %s yet: %s", file_id, exc)
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
