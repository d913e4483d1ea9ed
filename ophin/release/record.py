"""The one record every release writer reads: an accepted instruction, its image and its provenance."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ophin.settings import SPLITS

IMAGE_TOKEN = "<image>"  # noqa: S105 - LLaVA's image placeholder, not a secret
__all__ = ["IMAGE_TOKEN", "SOURCE_TYPES", "SPLITS", "ReleaseRecord", "Source", "Turn"]


@dataclass(frozen=True, slots=True)
class Source:
    """Provenance as a flat, typed column set: the same names and types in every format.

    Every text field is public-safe (see ophin.release.public): no local path or private host.
    """

    video_id: str
    video_url: str  # a web URL, or a local file's corpus-relative name ("sample-corpus:demo/x.mp4")
    video_title: str | None
    creator: str | None  # the channel or uploader, as the source names it
    license: str | None
    upload_date: str | None  # YYYY-MM-DD
    frame_id: str
    frame_time_s: float
    window_start_s: float  # the transcript window the instruction was written from
    window_end_s: float
    pair_id: str
    modality: str | None  # colour_fundus | oct | ... (ophin.imaging.assess)
    generator: str
    model: str | None  # the LLM (or template) that wrote the turns
    prompt_version: str | None
    served_model: str | None  # the model the LLM server said answered


SOURCE_TYPES: dict[str, type] = {f.name: f.type for f in fields(Source)}  # names -> annotation strings


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "human" | "gpt"
    text: str


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    id: str  # the instruction id
    kind: str  # vqa | conversation | cot
    turns: tuple[Turn, ...]  # human first, alternating, ending with gpt
    split: str  # one of SPLITS
    image_key: str  # the frame's object-store key
    source: Source
    # The sha256 recorded when the frame was written; the fetched image must hash to it (None: not checked,
    # for synthetic records; export refuses a frame without one).
    image_sha256: str | None = None

    @property
    def image_path(self) -> str:
        """The image, relative to the release folder."""
        return f"images/{self.split}/{self.source.frame_id}.jpg"

    def source_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self.source, f.name) for f in fields(Source)}
