"""Images made small for a vision model: any common format in, a bounded JPEG out, and junk or
a decompression bomb refused with a clear error instead of eating the machine."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from facilitator.images import ImageError, data_url, shrink


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_large_photo_comes_out_a_bounded_jpeg_with_its_proportions() -> None:
    out = opened(shrink(encoded(Image.new("RGB", (4000, 3000), (10, 200, 30)), "PNG"), max_side=1024))
    assert out.format == "JPEG" and out.size == (1024, 768)


def test_a_small_image_is_not_blown_up() -> None:
    assert opened(shrink(encoded(Image.new("RGB", (64, 48)), "PNG"))).size == (64, 48)


def test_transparency_lands_on_white_and_palettes_become_colour() -> None:
    clear = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    assert opened(shrink(encoded(clear, "PNG"))).getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)
    palette = Image.new("P", (20, 20), 5)
    assert opened(shrink(encoded(palette, "GIF"))).mode == "RGB"


def test_a_phone_photo_is_turned_the_way_it_was_taken() -> None:
    tall = Image.new("RGB", (300, 100))
    exif = tall.getexif()
    exif[0x0112] = 6  # orientation: rotated 90°, as phones write it
    out = opened(shrink(encoded(tall, "JPEG", exif=exif.tobytes())))
    assert out.size == (100, 300)


def test_an_animation_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (30, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert opened(shrink(data)).getpixel((15, 15))[0] > 200


@pytest.mark.parametrize("junk", [b"", b"<html>sign in to Slack</html>", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_junk_is_refused_with_a_clear_error(junk: bytes) -> None:
    with pytest.raises(ImageError, match="not a readable image"):
        shrink(junk)


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = encoded(Image.new("1", (10_000, 10_000)), "PNG")  # a few kilobytes, 100 megapixels
    assert len(bomb) < 100_000
    with pytest.raises(ImageError, match="too large"):
        shrink(bomb)


def test_the_data_url_is_what_the_model_reads() -> None:
    assert data_url(b"\xff\xd8\xff").startswith("data:image/jpeg;base64,/9j/")
