"""Images between Parley and Telegram: files fetched (getFile, then the download), and the
caption of an image going out.

Telegram refers to files by `file_id`; the adapter hands them to the core as `tg-file:<file_id>`
and only those are ever fetched. getFile goes through the sender's pacing (`call`, handed in, as
sending.py sits above this module). The download URL carries the bot token, so it is never logged
and never part of an error: a failure says what went wrong in words of its own. The download is
streamed and stops as soon as it passes the size the caller allows, whatever Telegram declared.
An image going out takes a plain-text caption cut to Telegram's limit (`fit_caption`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, File
from telegram.error import BadRequest, TelegramError

from adapters.common.downloads import Downloader, origin
from adapters.telegram.render import utf16_len
from facilitator.ports import MediaError

REF_PREFIX = "tg-file:"
CAPTION_LIMIT = 1024  # Telegram's caption limit, in UTF-16 units after parsing
ELLIPSIS = "…"


def file_id_of(ref: str) -> str:
    """The file_id in a reference the adapter made; MediaError for anything else (a link a
    member set as their photo is never fetched: the token must not travel there)."""
    if not ref.startswith(REF_PREFIX) or not ref[len(REF_PREFIX) :].strip():
        raise MediaError("not a Telegram file")
    return ref[len(REF_PREFIX) :].strip()


def too_large(size: int, max_bytes: int) -> MediaError:
    return MediaError(f"the image is larger than {max_bytes} bytes ({size} or more)")


Call = Callable[..., Awaitable[Any]]  # a Bot API call at Telegram's pace (TelegramSender.call)


async def _direct(method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    return await method(*args, **kwargs)


class TelegramMedia:
    """Telegram files by reference: getFile, then the download (adapters.common.downloads), from
    the origin of the configured API address only and never redirected elsewhere; the proxy is
    the environment's, as for the Bot API itself."""

    def __init__(
        self, bot: Bot, api_base_url: str = "https://api.telegram.org", call: Call = _direct
    ) -> None:
        self._bot = bot
        self._call = call
        self._origin = origin(api_base_url)
        self._downloader = Downloader(
            "Telegram",
            timeout=30.0,
            connect_timeout=10.0,
            allowed=lambda url: self._origin is not None and origin(url) == self._origin,
            proxy_from_env=True,
        )

    async def fetch(self, ref: str, max_bytes: int) -> bytes:
        """An attachment or profile photo by its `tg-file:` reference: getFile, then the download
        (its URL holds the token, so no error or log line ever shows it)."""
        file_id = file_id_of(ref)  # anything else is refused before any request
        try:
            found: File = await self._call(self._bot.get_file, file_id)
        except BadRequest as exc:
            if "too big" in str(exc).lower():  # Telegram's cloud serves bots files up to 20 MB
                raise MediaError("the file is too big for Telegram to hand to a bot") from None
            raise MediaError("Telegram does not know this file (deleted, or never seen)") from None
        except TelegramError as exc:
            raise MediaError(f"Telegram's getFile failed ({type(exc).__name__})") from None
        if found.file_size is not None and found.file_size > max_bytes:
            raise too_large(found.file_size, max_bytes)
        if not found.file_path:
            raise MediaError("Telegram gave no path to download the file")
        return await self._downloader.fetch(found.file_path, max_bytes)

    async def close(self) -> None:
        await self._downloader.close()


def fit_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """`text` cut to Telegram's caption limit, at a word where one is near, with an ellipsis."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return text
    budget, width, end = limit - utf16_len(ELLIPSIS), 0, 0
    while end < len(text) and width + utf16_len(text[end]) <= budget:
        width += utf16_len(text[end])
        end += 1
    cut = text[:end]
    space = cut.rfind(" ")
    if space > max(len(cut) - 40, 0):
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS
