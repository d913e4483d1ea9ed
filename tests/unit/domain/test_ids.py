from __future__ import annotations

from dataclasses import dataclass

from ophin.domain.ids import alias_id, frame_id, params_hash, video_id
from ophin.domain.keys import frame_key, media_key
from ophin.domain.text import clean_text


@dataclass(frozen=True)
class P:
    a: int
    b: str


def test_params_hash_is_stable_and_order_free() -> None:
    assert params_hash(P(1, "x")) == params_hash({"b": "x", "a": 1})
    assert params_hash(P(1, "x")) != params_hash(P(2, "x"))


def test_video_id_keys_by_content_not_by_url() -> None:
    assert video_id("ab" * 32) == video_id("ab" * 32) != video_id("cd" * 32)
    assert video_id("ab" * 32) != alias_id("ab" * 32)  # a URL's alias id and a content id never meet


def test_frame_id_depends_on_params() -> None:
    vid = video_id("ab" * 32)
    assert frame_id(vid, 500, "h1") == frame_id(vid, 500, "h1") != frame_id(vid, 500, "h2")


def test_object_keys_derive_from_ids_and_content() -> None:
    vid = video_id("ab" * 32)
    fid = frame_id(vid, 500, "h")
    assert frame_key(vid, fid) == f"videos/{vid}/frames/{fid}.jpg"
    assert media_key("ab" + "0" * 62, ".mp4") == f"media/ab/ab{'0' * 62}.mp4"


def test_clean_text_strips_nul_and_control_and_bounds_length() -> None:
    assert clean_text("A\x00B\x07  C\n", 100) == "A B C"
    assert clean_text("x" * 50, 10) == "x" * 10
    assert clean_text(None) is None and clean_text("\x01 ") is None
