"""Discord's CDN in the fake: the attachments and avatars a message or a member points at.

Discord serves files from `https://cdn.discordapp.com` (and the same paths from
`https://media.discordapp.net`), with no authentication:

- attachments at `/attachments/<channel id>/<attachment id>/<filename>`, signed since 2024: the
  URL carries `ex` (expiry, hex seconds), `is` (issued, hex seconds) and `hm` (a signature); a
  URL without a valid, unexpired signature answers 404 "This content is no longer available.";
- avatars at `/avatars/<user id>/<avatar hash>.png` (also .jpg, .webp, .gif, with `?size=`).

The fake serves both on its own address (`FakeDiscord.cdn_base`, "http://127.0.0.1:PORT"), so an
attachment object the fake builds has a URL that works; an avatar is the user's `avatar` hash, its
URL the real one on cdn.discordapp.com (what a client builds from the hash), which an adapter
pointed at the fake's CDN fetches from here. Every request is kept in `requests` with its headers,
so a test can see that no bot token travelled to the CDN.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
SIGNED_FOR = 24 * 3600  # seconds an attachment URL stays valid
GONE = "This content is no longer available."
AVATAR_FORMATS = {"png", "jpg", "jpeg", "webp", "gif"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image, as Discord reports them on an image attachment."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return None


@dataclass
class DiscordCdn:
    port: int = 0
    chunked: bool = False  # answer without Content-Length (chunked), as a proxy may
    files: dict[str, JSON] = field(default_factory=dict)  # path -> {"data", "content_type"}
    requests: list[JSON] = field(default_factory=list)  # {"path", "query", "headers", "status"}
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        app.router.add_get("/avatars/{user_id}/{file}", self._avatar)

    # ----------------------------------------------------------------- builders

    def attachment(
        self,
        channel_id: int | str,
        attachment_id: int,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        description: str | None = None,
        expires_in: float = SIGNED_FOR,
    ) -> JSON:
        """Store `data` and return the attachment object Discord puts in a message: `url` on the
        CDN and `proxy_url` on the media proxy (here both this fake), signed."""
        path = f"/attachments/{channel_id}/{attachment_id}/{filename}"
        self.files[path] = {"data": data, "content_type": content_type or "application/octet-stream"}
        url = self.base + path + "?" + self._signature(path, expires_in) + "&"
        attachment: JSON = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }
        if content_type:
            attachment["content_type"] = content_type
        if description is not None:
            attachment["description"] = description
        if content_type and content_type.startswith("image/") and (size := image_size(data)):
            attachment.update(width=size[0], height=size[1])
        return attachment

    def avatar(self, user_id: int | str, data: bytes, content_type: str = "image/png") -> str:
        """Store a user's avatar; returns its hash (the user object's `avatar`)."""
        avatar_hash = hashlib.md5(data).hexdigest()
        self.files[f"/avatars/{user_id}/{avatar_hash}"] = {"data": data, "content_type": content_type}
        return avatar_hash

    def _signature(self, path: str, expires_in: float) -> str:
        issued = int(time.time())
        expires = int(issued + expires_in)
        return f"ex={expires:08x}&is={issued:08x}&hm={self._mac(path, expires, issued)}"

    def _mac(self, path: str, expires: int, issued: int) -> str:
        return hmac.new(self._key, f"{path}|{expires}|{issued}".encode(), hashlib.sha256).hexdigest()

    # ----------------------------------------------------------------- serving

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        query = request.query
        try:
            expires, issued = int(query.get("ex", ""), 16), int(query.get("is", ""), 16)
        except ValueError:
            return self._answer(request, None, 404, GONE)
        valid = hmac.compare_digest(query.get("hm", ""), self._mac(path, expires, issued))
        if not valid or expires < time.time():
            return self._answer(request, None, 404, GONE)
        return await self._serve(request, self.files.get(path))

    async def _avatar(self, request: web.Request) -> web.StreamResponse:
        avatar_hash, _, extension = request.match_info["file"].rpartition(".")
        if extension not in AVATAR_FORMATS:
            return self._answer(request, None, 415, "")
        found = self.files.get(f"/avatars/{request.match_info['user_id']}/{avatar_hash}")
        return await self._serve(request, found)

    async def _serve(self, request: web.Request, found: JSON | None) -> web.StreamResponse:
        if found is None:
            return self._answer(request, None, 404, "404: Not Found")
        if not self.chunked:
            return self._answer(request, found, 200, "")
        self._record(request, 200)
        response = web.StreamResponse(headers={"Content-Type": found["content_type"]})
        response.enable_chunked_encoding()
        await response.prepare(request)
        data = found["data"]
        for start in range(0, len(data), 16_384):
            await response.write(data[start : start + 16_384])
        await response.write_eof()
        return response

    def _answer(self, request: web.Request, found: JSON | None, status: int, text: str) -> web.Response:
        self._record(request, status)
        if found is None:
            return web.Response(status=status, text=text)
        headers = {"Cache-Control": "public, max-age=31536000", "Accept-Ranges": "bytes"}
        return web.Response(body=found["data"], content_type=found["content_type"], headers=headers)

    def _record(self, request: web.Request, status: int) -> None:
        self.requests.append(
            {
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "status": status,
            }
        )
