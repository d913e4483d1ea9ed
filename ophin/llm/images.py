"""Frames for models that can see: a JPEG data URL in the OpenAI chat API's image content part."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

JPEG_QUALITY = 85


def jpeg_capped(data: bytes, max_side: int) -> bytes:
    """The image re-encoded as JPEG with its long side at most max_side (never enlarged)."""
    with Image.open(io.BytesIO(data)) as img:
        picture = img.convert("RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def image_part(data: bytes, max_side: int) -> dict[str, Any]:
    encoded = base64.b64encode(jpeg_capped(data, max_side)).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{encoded}"}}


def user_message(text: str, image: bytes | None = None, max_side: int = 768) -> dict[str, Any]:
    """Plain text content without an image (every server accepts it); text then image parts with one."""
    if image is None:
        return {"role": "user", "content": text}
    return {"role": "user", "content": [{"type": "text", "text": text}, image_part(image, max_side)]}
