"""The oracle transcript: a corpus video's audio is answered with its true narration, at the true times;
audio of any other video is refused (an ablation that fell back to Whisper would measure nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.corpus import ground_truth, videos
from eval.quality.oracle import SAMPLE_RATE, OracleTranscriber, true_segments
from ophin.adapters.media import FfmpegMedia


def test_oracle_answers_a_corpus_video_with_its_true_sentences(tmp_path: Path) -> None:
    media = FfmpegMedia()
    truth = {v["file"]: v for v in ground_truth("demo")["videos"]}
    first, second = videos("demo")[:2]
    oracle = OracleTranscriber.for_videos(media, [(first, truth[first.name])])
    wav = media.extract_audio(first, tmp_path / "a.wav", SAMPLE_RATE)
    got = oracle.transcribe(wav)
    said = [s for scene in truth[first.name]["scenes"] for s in scene["sentences"]]
    assert [s.text for s in got.segments] == [s["text"] for s in said]
    assert [(s.start_s, s.end_s) for s in got.segments] == [(s["start_s"], s["end_s"]) for s in said]
    words = got.segments[0].words
    assert " ".join(w.text.strip() for w in words) == said[0]["text"]
    assert words[0].start_s == said[0]["start_s"] and words[-1].end_s == pytest.approx(said[0]["end_s"])
    assert oracle.detect_language(wav).language == "en"
    other = media.extract_audio(second, tmp_path / "b.wav", SAMPLE_RATE)
    with pytest.raises(LookupError, match="not the audio of a corpus video"):
        oracle.transcribe(other)


def test_true_segments_of_footage_take_intro_and_spans_in_time_order() -> None:
    footage = {
        "intro": [{"text": "An intro.", "start_s": 0.5, "end_s": 1.5}],
        "spans": [
            {"sentences": [{"text": "Second.", "start_s": 9.0, "end_s": 10.0}]},
            {"sentences": [{"text": "First.", "start_s": 3.0, "end_s": 4.0}]},
        ],
    }
    assert [s.text for s in true_segments(footage)] == ["An intro.", "First.", "Second."]
