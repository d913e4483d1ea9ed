"""The transcribe stage over real Whisper and real Postgres: the spoken language detected and flagged,
caption tracks preferred or merged, every row saying how it was made; and WER per ASR backend."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos, ground_truth
from ophin.adapters.asr import FasterWhisperTranscriber, OpenAIWhisperTranscriber
from ophin.adapters.media import FfmpegMedia
from ophin.db.crawl_models import SubtitleTrack
from ophin.db.models import TranscriptSegment, Video
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import subtitle_id
from ophin.domain.keys import subtitle_key
from ophin.pipeline import acquire_urls, acquired_videos, params_for
from ophin.settings import AsrSettings
from ophin.stages.transcribe import transcribe_video
from tests.conftest import make_services
from tests.support.truth import wer

# Two sentences: forced English decoding of French falls back through every temperature (slow).
FRENCH = "Bonjour et bienvenue dans ce cours sur le glaucome. On voit la papille optique à gauche."


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def narrated_video(out: Path, text: str, voice: str) -> Path:
    """A grey slide narrated by espeak-ng in the given voice (fr, de, en)."""
    wav = out.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
    _ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=5", "-i", str(wav), "-shortest",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out),
    )  # fmt: skip
    return out


def english_clip(out: Path) -> Path:
    """The first fundus slide of the glaucoma lecture and its 14 s of narration."""
    _ffmpeg("-ss", "16", "-t", "14", "-i", str(demo_videos()[0]), "-c:v", "libx264", "-preset",
            "ultrafast", "-c:a", "aac", str(out))  # fmt: skip
    return out


def acquire(svc, path: Path) -> uuid.UUID:  # noqa: ANN001
    url = path.resolve().as_uri()
    acquire_urls([url], svc)
    (vid,) = acquired_videos([url], svc)
    return vid


def add_track(svc, vid: uuid.UUID, text: str, language: str, kind: str) -> None:  # noqa: ANN001
    """What acquisition stores for a caption track yt-dlp found (file URLs carry none)."""
    key = subtitle_key(vid, language, kind, "vtt")
    svc.store.put_bytes(key, text.encode(), content_type="text/vtt")
    row = {
        "id": subtitle_id(vid, language, kind),
        "video_id": vid,
        "language": language,
        "kind": kind,
        "format": "vtt",
        "object_key": key,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "cue_count": text.count("-->"),
    }
    with session_scope(svc.sessions) as session:
        upsert(session, SubtitleTrack, [row])


def rows_of(svc, vid: uuid.UUID) -> list[TranscriptSegment]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        return list(
            session.scalars(
                select(TranscriptSegment)
                .where(TranscriptSegment.video_id == vid)
                .order_by(TranscriptSegment.index)
            )
        )


def transcribe(svc, vid: uuid.UUID, **asr: object):  # noqa: ANN001, ANN201
    svc.settings.asr = svc.settings.asr.model_copy(update=asr)
    return transcribe_video(vid, params_for(svc).transcribe, svc=svc, force=True)


@pytest.fixture
def svc(tmp_path, db_url, transcriber):  # noqa: ANN001, ANN201
    return make_services(tmp_path, db_url, transcriber)


def test_transcribe_flags_a_french_lecture_and_stores_its_language(svc, tmp_path) -> None:  # noqa: ANN001
    vid = acquire(svc, narrated_video(tmp_path / "cours.mp4", FRENCH, "fr"))
    result = transcribe(svc, vid)  # asr.language="en" forces decoding; detection still hears French
    assert result.output["language"] == "fr" and result.output["language_allowed"] is False
    p = result.output["language_p"]
    assert 0.0 < p <= 1.0  # espeak's French: ~0.4 over two windows (99 languages share the rest)
    with session_scope(svc.sessions) as session:
        video = session.get(Video, vid)
        assert (video.spoken_language, round(video.spoken_language_p, 3)) == ("fr", p)
    rows = rows_of(svc, vid)
    assert rows and {r.language for r in rows} == {"fr"} and {r.source for r in rows} == {"asr"}
    params = rows[0].asr_params
    assert (params["language"], params["language_mode"]) == ("en", "forced")
    # Allowed once French is: the same audio, no longer flagged.
    assert transcribe(svc, vid, allowed_languages=["en", "fr"]).output["language_allowed"] is True


def test_transcribe_does_not_flag_english(svc, tmp_path) -> None:  # noqa: ANN001
    vid = acquire(svc, english_clip(tmp_path / "en.mp4"))
    out = transcribe(svc, vid).output
    assert (out["language"], out["language_allowed"], out["sources"]) == ("en", True, ["asr"])
    rows = rows_of(svc, vid)
    assert {(r.backend, r.model, r.source) for r in rows} == {
        ("faster-whisper", "faster-whisper/base", "asr")
    }
    params = rows[0].asr_params
    assert params["compute_type"] == "int8" and params["device"] == "cpu"  # auto, on a CPU
    assert params["beam_size"] == 5 and params["batch_size"] is None  # 14 s: not batched
    assert len(params["prompt_hash"]) == 12 and "optic" in " ".join(r.text for r in rows).lower()
    # Domain-biased decoding on by default, its slide terms and the language's evidence on the rows.
    assert params["bias"] is True and isinstance(params["bias_slide_terms"], list)
    assert params["language_evidence"]["rule"] == "top" and params["language_evidence"]["windows"]


CAPTIONS = """WEBVTT

00:00:00.500 --> 00:00:05.000
In this fundus photograph, the <i>optic disc</i> is visible on the left.
"""


def test_transcribe_prefers_creator_captions_and_ignores_automatic_ones(svc, tmp_path) -> None:  # noqa: ANN001
    vid = acquire(svc, english_clip(tmp_path / "en.mp4"))
    add_track(svc, vid, CAPTIONS, "en", "automatic")
    assert transcribe(svc, vid).output["sources"] == ["asr"]  # automatic captions: ignored by default
    add_track(svc, vid, CAPTIONS, "en", "creator")
    out = transcribe(svc, vid).output
    rows = rows_of(svc, vid)
    assert out["sources"] == ["subtitles"] and out["language"] == "en"  # detected from the audio still
    assert [r.text for r in rows] == ["In this fundus photograph, the optic disc is visible on the left."]
    (row,) = rows
    assert (row.backend, row.model, row.start_s) == ("subtitles", "subtitles/creator", 0.5)
    assert row.asr_params["kind"] == "creator" and row.asr_params["format"] == "vtt"
    assert transcribe(svc, vid, subtitles="ignore").output["sources"] == ["asr"]


def test_transcribe_merges_captions_with_asr_in_their_gaps(svc, tmp_path) -> None:  # noqa: ANN001
    vid = acquire(svc, english_clip(tmp_path / "en.mp4"))
    add_track(svc, vid, CAPTIONS, "en", "creator")  # covers the first 5 s of 14
    out = transcribe(svc, vid, subtitles="merge").output
    rows = rows_of(svc, vid)
    assert out["sources"] == ["asr", "subtitles"]
    assert rows[0].source == "subtitles" and rows[0].backend == "subtitles"
    later = [r for r in rows if r.source == "asr"]
    assert later and all(r.start_s >= 4.0 for r in later) and later[0].backend == "faster-whisper"
    assert "patient" in " ".join(r.text for r in later).lower()  # "This patient was referred ..."


def test_transcribe_ignores_captions_in_another_language_than_spoken(svc, tmp_path) -> None:  # noqa: ANN001
    vid = acquire(svc, narrated_video(tmp_path / "cours.mp4", FRENCH, "fr"))
    add_track(svc, vid, CAPTIONS, "en", "creator")  # an English translation of a French lecture
    out = transcribe(svc, vid).output
    assert out["sources"] == ["asr"] and out["language"] == "fr"


# --- WER per backend -------------------------------------------------------------------------------


def narration(path: Path) -> str:
    (video,) = [v for v in ground_truth("demo")["videos"] if v["file"] == path.name]
    return " ".join(s["text"] for sc in video["scenes"] for s in sc["sentences"])


@pytest.mark.slow
def test_wer_per_backend_on_the_demo_corpus(tmp_path, whisper) -> None:  # noqa: ANN001
    """faster-whisper over the three demo lectures (beam 5, the default: ~15 s for 3 min of audio);
    openai-whisper, 6x slower on 2 cores, over the first lecture only at beam 1 (greedy: ~40 s), the
    subset that keeps this test near 2 minutes. Both on the same base weights with the domain prompt."""
    media = FfmpegMedia()
    videos = demo_videos()
    wavs = [media.extract_audio(v, tmp_path / f"{v.stem}.wav") for v in videos]
    refs = [narration(v) for v in videos]

    def corpus_wer(t, n: int) -> float:  # noqa: ANN001 - word-weighted over the first n lectures
        words = [len(r.split()) for r in refs[:n]]
        errors = [
            wer(r, " ".join(s.text for s in t.transcribe(w).segments))
            for r, w in zip(refs[:n], wavs[:n], strict=True)
        ]
        return sum(e * k for e, k in zip(errors, words, strict=True)) / sum(words)

    fw = corpus_wer(whisper, len(videos))
    cache = Path(whisper.model_path).parent
    ow = corpus_wer(
        OpenAIWhisperTranscriber(AsrSettings(backend="openai-whisper", beam_size=1), cache_dir=cache), 1
    )
    fw1 = corpus_wer(FasterWhisperTranscriber(AsrSettings(beam_size=1), cache), 1)
    print(f"WER faster-whisper base beam5 (3 lectures) {fw:.3f}")
    print(f"WER openai-whisper base beam1 (lecture 1) {ow:.3f}; faster-whisper beam1 same lecture {fw1:.3f}")
    # ~10-18% is what base gets on espeak narration (ENVIRONMENT.md, bench/run.py); 0.3 leaves room for
    # CPU-dependent int8 noise and still fails a broken conversion or a decoding bug (those give 0.6+).
    assert fw < 0.3 and ow < 0.3
    # The same weights: openai-whisper (float32) within 10 points of faster-whisper (int8) at equal beam.
    assert abs(ow - fw1) < 0.1


def test_long_audio_is_transcribed_window_by_window_at_pauses(tmp_path, whisper) -> None:  # noqa: ANN001
    """Windows of 25 s over ~60 s of narration: the same words as one pass, in order, times moved right."""
    import re
    import subprocess

    from ophin.adapters.asr_windows import plan_windows, transcribe_windows

    text = " ".join(
        f"Finding number {n}. The optic disc is pale and the macula shows hard exudates." for n in range(1, 9)
    )
    wav = tmp_path / "long.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(tmp_path / "raw.wav"), text], check=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(tmp_path / "raw.wav"), "-ac", "1", "-ar", "16000", wav],
        check=True,
    )
    assert len(plan_windows(wav, 25.0)) >= 2
    # faster-whisper falls back to sampling when a window's text compresses too well (this repetitive text
    # does): CTranslate2's generator seeded, the words heard are the same from run to run on one machine.
    import ctranslate2

    ctranslate2.set_random_seed(7)
    whole = whisper.transcribe(wav)
    windowed = transcribe_windows(whisper, wav, 25.0, tmp_path)
    assert windowed.params["windows"] >= 2 and windowed.language == "en"
    starts = [s.start_s for s in windowed.segments]
    assert starts == sorted(starts)
    pairs = zip(windowed.segments, windowed.segments[1:], strict=False)
    assert all(a.end_s <= b.start_s + 0.05 for a, b in pairs)
    assert windowed.segments[-1].end_s > 40.0  # the last window's times are moved by its start

    def words(t) -> list[str]:  # noqa: ANN001
        return re.findall(r"[a-z]+", " ".join(s.text for s in t.segments).lower())

    # No word lost or repeated at the joins: as many words as were spoken, no sentence twice. (One pass over
    # the whole file lost most of this repetitive text here: 36 of 112 words.) Which words are heard right
    # varies from run to run ("finding" heard 7 times in one run, 5 in another, "i m ding" among the rest),
    # most likely faster-whisper's default fallback to sampling when a window's text compresses too well.
    # Unseeded, two parallel suite runs heard 0.88 and 0.78 of the words; seeded (above) a run repeats. The
    # bound still leaves room for another CPU's kernels, above the failure it guards against (a lost window:
    # 0.68).
    spoken, heard = re.findall(r"[a-z0-9]+", text.lower()), words(windowed)
    assert 0.75 * len(spoken) <= len(heard) <= 1.05 * len(spoken), heard
    assert heard.count("number") <= 8 and heard.count("pale") <= 8, heard
    assert whole.language == windowed.language
    assert not list(tmp_path.glob("window-*.wav"))  # scratch windows removed


def test_detect_language_robust_keeps_a_british_voice_over_room_noise_english(tmp_path, whisper) -> None:  # noqa: ANN001
    """A British espeak voice in a reverberant room under pink noise at -3 dB SNR: one encoder window hears
    Welsh or Latin at low probability with English close behind; the windowed rule keeps it English."""
    from bench.asr import noisy_copy
    from ophin.adapters.asr_language import detect_language_robust

    video = ground_truth("demo")["videos"][1]
    text = " ".join(s["text"] for sc in video["scenes"] for s in sc["sentences"])
    raw, dry = tmp_path / "raw.wav", tmp_path / "dry.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "140", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", "-V1", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(dry), "reverb", "70"], check=True
    )
    noisy = noisy_copy(dry, tmp_path / "noisy.wav", -3.0, 1.0, 0)
    guess, evidence = detect_language_robust(whisper, noisy, tmp_path, allowed=("en",), margin=0.5, windows=3)
    assert guess is not None and guess.language == "en", evidence
    assert evidence["rule"] in ("top", "allowed-within-margin") and len(evidence["windows"]) >= 2
    # The premise: the noise made it a close call (another language holds a fifth of the probability).
    assert any(lang != "en" and p >= 0.2 for lang, p in evidence["mean"].items()), evidence
