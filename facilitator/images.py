"""Images made small enough for a vision model: the one module that uses Pillow.

Decoding and encoding are CPU work, so callers run `shrink` in a thread. An image is bounded
in pixels before it is decoded (a "decompression bomb" is refused), its longest side is
brought down to `max_side`, and it leaves as a JPEG data: URL. Nothing is written to disk.
"""

from __future__ import annotations

import base64
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the most any phone sends


# Pillow warns of a likely decompression bomb and decodes it anyway; the size is checked here
# before decoding instead (set once at import: the filters are not safe to change per thread).
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageError(ValueError):
    """Not an image Parley can show: unreadable, or absurdly large."""


def shrink(data: bytes, max_side: int = MAX_SIDE, quality: int = 80) -> bytes:
    """The image as a JPEG whose longest side is at most `max_side` pixels."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(f"the image is too large ({image.width}×{image.height})")
            image.seek(0)  # the first frame of an animation
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((max_side, max_side))
            if picture.mode != "RGB":
                picture = _flatten(picture)
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=quality, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a readable image ({type(exc).__name__})") from exc


def _flatten(picture: Image.Image) -> Image.Image:
    """Transparency on white, palettes and greys as RGB (JPEG has neither)."""
    rgba = picture.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
