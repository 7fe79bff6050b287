"""Images on Discord: what the bot downloads from Discord's CDN, and an image it posts.

Attachments and avatars are public on Discord's CDN (`cdn.discordapp.com`, and the media proxy
`media.discordapp.net`): they are downloaded without the bot token, over a session of their own,
so the token cannot travel with them. Any other address — a link a member set as their profile
photo — is never fetched. A download stops at the size the core accepts, whatever the server
declares. `cdn_base` points the CDN somewhere else (a proxy, the tests' fake): Discord's CDN
addresses are then fetched from there, and that host is trusted as well.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit

from adapters.common.downloads import Downloader, DownloadError
from adapters.discord.config import DISCORD_CDN
from adapters.discord.render import safe_text, split_discord
from facilitator.actions import SendImage
from facilitator.ports import MediaError

CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
# The first path segment of what Discord's CDN serves that Parley refers to.
ASSETS = frozenset({"attachments", "ephemeral-attachments", "avatars", "embed", "guilds"})


def cdn_url(ref: str, cdn_base: str = DISCORD_CDN) -> str:
    """The address to download `ref` from, or MediaError when it is not a file on Discord's CDN
    (nothing is requested then)."""
    try:
        return _cdn_url(ref, cdn_base.rstrip("/"))
    except ValueError:  # a port that is not a number, an unbalanced IPv6 bracket...
        raise MediaError("not an address on Discord's CDN") from None


def _cdn_url(ref: str, cdn_base: str) -> str:
    url, base = urlsplit(ref), urlsplit(cdn_base)
    if url.username is not None or url.password is not None:
        raise MediaError("not an address on Discord's CDN")
    own_base = cdn_base != DISCORD_CDN
    if url.scheme == "https" and (url.hostname or "") in CDN_HOSTS and url.port in (None, 443):
        path = url.path
        if own_base:
            url = url._replace(scheme=base.scheme, netloc=base.netloc, path=base.path + url.path)
    elif (
        own_base
        and (url.scheme, url.netloc) == (base.scheme, base.netloc)
        and url.path.startswith(base.path + "/")
    ):
        path = url.path[len(base.path) :]
    else:
        raise MediaError("not an address on Discord's CDN")
    segments = [unquote(segment) for segment in path.lstrip("/").split("/")]
    if segments[0] not in ASSETS or any(segment in (".", "..") for segment in segments):
        raise MediaError("not an attachment or avatar on Discord's CDN")
    return urlunsplit(url._replace(fragment=""))


class DiscordMedia:
    """Downloads from Discord's CDN (adapters.common.downloads), bounded in size and time, without
    credentials, cookies or a proxy from the environment: nothing but the request. A redirect
    is not followed."""

    def __init__(self, cdn_base: str = DISCORD_CDN, timeout: float = 30.0) -> None:
        self.cdn_base = cdn_base
        self.timeout = timeout
        self._downloader = Downloader("Discord's CDN", timeout=timeout, allowed=self._on_cdn)

    async def fetch(self, ref: str, max_bytes: int) -> bytes:
        url = cdn_url(ref, self.cdn_base)
        try:
            return await self._downloader.fetch(url, max_bytes)
        except DownloadError as exc:
            if exc.status == 404:
                raise MediaError("the file is no longer on Discord's CDN (404)") from None
            raise

    def _on_cdn(self, url: str) -> bool:
        try:
            return cdn_url(url, self.cdn_base) == url
        except MediaError:
            return False

    async def close(self) -> None:
        await self._downloader.close()


def image_name(action: SendImage) -> str:
    """The image's file name as an attachment: it ends as its type, since Discord shows a file
    by its name's extension."""
    name = PurePosixPath(action.name.replace("\\", "/")).name or "image"
    wanted = mimetypes.guess_extension(action.mime_type) or ""
    if wanted and mimetypes.guess_type(name)[0] != action.mime_type:
        name = f"{PurePosixPath(name).stem or 'image'}{wanted}"
    return name


def fit_caption(text: str) -> str:
    """A caption pings nobody and fits one message."""
    return split_discord(safe_text(text))[0] if text else ""
