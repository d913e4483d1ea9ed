"""Small JPEG thumbnails of stored frames as data: URIs, so the page carries its images inside it.

The store holds only the refined, redacted image of a frame (keyframes never writes another), so a thumbnail
shows what a release shows. A frame whose object is missing or no longer matches its recorded sha256 gets no
image, with the reason, instead of failing the whole page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ophin.adapters.object_store import ObjectCorrupt, ObjectMissing, ObjectStore, get_verified_bytes
from ophin.reporting.queries import SampleFrame

LONG_SIDE = 160  # px: a grid of a few per modality stays a few hundred KB
QUALITY = 70


@dataclass(frozen=True)
class Thumbnail:
    frame: SampleFrame
    data_uri: str | None  # None: see problem
    problem: str | None = None


def thumbnail_uri(jpeg: bytes, long_side: int = LONG_SIDE) -> str:
    """The image scaled down to long_side (never up), re-encoded as a JPEG data: URI."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a decodable image")
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(
            image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise ValueError("could not encode the thumbnail")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def thumbnails(store: ObjectStore | None, frames: list[SampleFrame]) -> list[Thumbnail]:
    out = []
    for frame in frames:
        if store is None:
            out.append(Thumbnail(frame, None, "no object store given"))
            continue
        try:
            out.append(
                Thumbnail(frame, thumbnail_uri(get_verified_bytes(store, frame.object_key, frame.sha256)))
            )
        except ObjectMissing:
            out.append(Thumbnail(frame, None, "image missing from the store"))
        except ObjectCorrupt:
            out.append(Thumbnail(frame, None, "image does not match its recorded sha256"))
        except ValueError as exc:
            out.append(Thumbnail(frame, None, str(exc)))
    return out
