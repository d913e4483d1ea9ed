"""Frames for vision models: capped JPEGs in base64 data URLs, and plain text content without an image."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from ophin.llm.images import image_part, jpeg_capped, user_message


def _image(size: tuple[int, int], mode: str = "RGB", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    img = Image.new(mode, size)
    # A gradient, so that resampling has something to do and the JPEG is not trivially small.
    img.putdata(
        [((x * 7) % 256, (y * 5) % 256, 90)[: len(mode)] for y in range(size[1]) for x in range(size[0])]
    )
    img.save(out, format=fmt)
    return out.getvalue()


def _size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.mode == "RGB"
        return img.size


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((1600, 400), 768, (768, 192)),  # wide: the long side is capped, the aspect ratio kept
        ((300, 1200), 600, (150, 600)),  # tall
        ((768, 768), 768, (768, 768)),  # exactly at the cap
        ((120, 80), 768, (120, 80)),  # small: never enlarged
    ],
)
def test_jpeg_capped_caps_the_long_side_and_never_enlarges(
    size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    capped = jpeg_capped(_image(size), max_side)
    assert _size(capped) == expected
    assert max(_size(capped)) <= max_side


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_jpeg_capped_converts_other_modes(mode: str) -> None:
    img = Image.new(mode, (50, 40))
    out = io.BytesIO()
    img.save(out, format="PNG")
    assert _size(jpeg_capped(out.getvalue(), 768)) == (50, 40)


def test_image_part_is_a_jpeg_data_url() -> None:
    data = _image((1000, 500))
    part = image_part(data, 256)
    assert set(part) == {"type", "image_url"} and part["type"] == "image_url"
    url = part["image_url"]["url"]
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    decoded = base64.b64decode(url[len(prefix) :], validate=True)
    assert decoded == jpeg_capped(data, 256)
    assert _size(decoded) == (256, 128)


def test_user_message_without_an_image_is_plain_text() -> None:
    assert user_message("What is shown?") == {"role": "user", "content": "What is shown?"}
    assert user_message("What is shown?", None, 512) == {"role": "user", "content": "What is shown?"}


def test_user_message_with_an_image_is_text_then_image() -> None:
    data = _image((900, 300), fmt="JPEG")
    message = user_message("What is shown?", data, 300)
    assert message["role"] == "user"
    text, image = message["content"]
    assert text == {"type": "text", "text": "What is shown?"}
    assert image == image_part(data, 300)


def test_jpeg_capped_refuses_bytes_that_are_no_image() -> None:
    from PIL import UnidentifiedImageError

    with pytest.raises(UnidentifiedImageError):
        jpeg_capped(b"not an image", 768)
