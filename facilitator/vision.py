"""What a vision model is shown: the images in the context window, and members' photos on request.

Images are fetched through the adapter (with the platform's authentication), shrunk in a
thread, and kept only in a small in-memory cache for a few minutes, so a lively conversation
does not download the same photo for every answer; nothing is written to disk. An image that
cannot be had is left out and the model still reads that one was shared.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence

from facilitator.chat import Profile
from facilitator.images import ImageError, data_url, shrink
from facilitator.ports import Adapter, ChatImage, MediaError
from facilitator.store.roles import HistoryItem

logger = logging.getLogger(__name__)

FETCH_SECONDS = 15.0
CACHE_ENTRIES = 64
CACHE_SECONDS = 600.0

_PHOTOS = re.compile(
    r"""
    \b(?:profile|avatar|display)\s*(?:pic(?:ture)?s?|photos?|images?)\b | \bavatars?\b | \bpfps?\b
    | \b(?:group|family)\s+portrait\b | \bportraits?\s+of\s+(?:us|everyone|the\s+group)\b
    | \b(?:draw|paint|sketch)\s+(?:us|all\s+of\s+us|everyone)\b | \bour\s+(?:pics|pictures|photos|faces)\b
    | \bfotos?\s+de\s+perfil\b | \bprofilbild | \bphotos?\s+de\s+profil\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def asks_about_photos(text: str) -> bool:
    """ "What do our profile pictures say about us?", "make a group portrait of us"."""
    return _PHOTOS.search(text) is not None


class Vision:
    def __init__(self, max_bytes: int, max_images: int = 4, max_photos: int = 8) -> None:
        self.max_bytes = max_bytes
        self.max_images = max_images
        self.max_photos = max_photos
        self._cache: OrderedDict[tuple[str, str], tuple[float, ChatImage | None]] = OrderedDict()

    async def in_history(
        self, adapter: Adapter, history: Sequence[HistoryItem]
    ) -> dict[str, tuple[ChatImage, ...]]:
        """The newest images of the window, by the id of the message that carries them."""
        wanted: list[tuple[str, str]] = []
        for item in reversed(history):
            for ref in item.images:
                if len(wanted) < self.max_images:
                    wanted.append((item.message_id, ref))
        shown = await asyncio.gather(*(self.image(adapter, ref) for _, ref in wanted))
        found: dict[str, tuple[ChatImage, ...]] = {}
        for (message_id, _), image in zip(wanted, shown, strict=True):
            if image is not None:
                found[message_id] = (image, *found.get(message_id, ()))
        return found

    async def photos(self, adapter: Adapter, members: Sequence[Profile]) -> tuple[ChatImage, ...]:
        """Members' profile photos, each labelled with whose it is (for this request only)."""
        with_photos = [member for member in members if member.photo_url][: self.max_photos]
        shown = await asyncio.gather(*(self.image(adapter, m.photo_url or "") for m in with_photos))
        return tuple(
            ChatImage(image.url, f"Profile photo of {member.name}:")
            for member, image in zip(with_photos, shown, strict=True)
            if image is not None
        )

    async def image(self, adapter: Adapter, ref: str) -> ChatImage | None:
        key = (adapter.platform, ref)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        image = await self._fetch(adapter, ref)
        self._cache[key] = (now, image)
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return image

    async def _fetch(self, adapter: Adapter, ref: str) -> ChatImage | None:
        try:
            data = await asyncio.wait_for(adapter.fetch_image(ref, self.max_bytes), FETCH_SECONDS)
            jpeg = await asyncio.to_thread(shrink, data)
        except (MediaError, ImageError) as exc:
            logger.info("image left out on %s: %s", adapter.platform, exc)
            return None
        except TimeoutError:
            logger.info("image left out on %s: the download took too long", adapter.platform)
            return None
        except Exception:
            logger.warning("image left out on %s", adapter.platform, exc_info=True)
            return None
        return ChatImage(data_url(jpeg))
