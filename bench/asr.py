"""WER and real-time factor per ASR backend on the sample corpus: faster-whisper plain and batched,
openai-whisper on the converted base weights, and caption tracks; plus plain vs batched on a long input
(the corpus audio concatenated). Prints a table; numbers go into issue notes, not into tests.

    python -m bench.asr [--ow-videos 1] [--ow-beam 1] [--long-repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from bench.run import _wer as wer  # the same WER as the stage bench
from eval.corpus import demo_videos, ground_truth, heldout_videos
from ophin.adapters.asr import FasterWhisperTranscriber, OpenAIWhisperTranscriber
from ophin.adapters.media import FfmpegMedia
from ophin.domain.subtitles import captions_transcript
from ophin.settings import AsrSettings


def _stamp(t: float) -> str:
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def creator_vtt(video: dict) -> str:
    """The captions a creator would upload: one cue per narrated sentence, at its true time."""
    cues = [s for sc in video["scenes"] for s in sc["sentences"]]
    return "WEBVTT\n\n" + "\n\n".join(
        f"{_stamp(c['start_s'])} --> {_stamp(c['end_s'])}\n{c['text']}" for c in cues
    )


def rolling_vtt(video: dict) -> str:
    """The same words in YouTube's automatic-caption layout: lowercase, no punctuation, each cue
    repeating the line before it, a 10 ms cue in between (what parse_captions must de-duplicate)."""
    out, previous = ["WEBVTT\n"], ""
    for sc in video["scenes"]:
        for c in sc["sentences"]:
            line = " ".join(w.strip(".,;:!?").lower() for w in c["text"].split())
            out.append(f"{_stamp(c['start_s'])} --> {_stamp(c['end_s'])}\n{previous}\n{line}\n")
            out.append(f"{_stamp(c['end_s'])} --> {_stamp(c['end_s'] + 0.01)}\n{line}\n \n")
            previous = line
    return "\n".join(out)


def _narration(video: dict) -> str:
    return " ".join(s["text"] for sc in video["scenes"] for s in sc["sentences"])


def score(name: str, transcribe, items: list[tuple[Path, str, float]]) -> dict:  # noqa: ANN001
    seconds = audio = errors = words = 0.0
    for wav, reference, duration in items:
        t0 = time.perf_counter()
        text = " ".join(s.text for s in transcribe(wav).segments)
        seconds += time.perf_counter() - t0
        n = len(reference.split())
        errors, words, audio = errors + wer(reference, text) * n, words + n, audio + duration
    return {"backend": name, "wer": errors / words, "rtf": seconds / audio, "audio_s": audio}


def long_input(wavs: list[Path], repeat: int, out: Path) -> tuple[Path, float]:
    from faster_whisper import decode_audio

    samples = np.concatenate([decode_audio(str(w)) for w in wavs] * repeat)
    with wave.open(str(out), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out, len(samples) / 16000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ow-videos", type=int, default=1, help="openai-whisper over the first N demo lectures")
    ap.add_argument("--ow-beam", type=int, default=1, help="openai-whisper beam (1: greedy; 5 is ~3x slower)")
    ap.add_argument("--long-repeat", type=int, default=1, help="demo+heldout audio concatenated N times")
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ophin-bench-asr-"))
    media = FfmpegMedia()
    truth = {v["file"]: v for v in ground_truth("demo")["videos"]}
    items = []
    for path in demo_videos():
        wav = media.extract_audio(path, home / f"{path.stem}.wav")
        items.append((wav, _narration(truth[path.name]), truth[path.name]["duration_s"]))
    models = home / "models"
    plain = FasterWhisperTranscriber(AsrSettings(), models)
    batched = FasterWhisperTranscriber(
        AsrSettings(batch_min_duration_s=0.0, batch_size=args.batch_size), models
    )
    batched._model = plain._load()  # same weights; load time is not decoding time
    ow = OpenAIWhisperTranscriber(
        AsrSettings(backend="openai-whisper", beam_size=args.ow_beam), cache_dir=models
    )
    t0 = time.perf_counter()
    ow._load()
    ow_load = time.perf_counter() - t0
    rows = [
        score("faster-whisper beam5 int8", plain.transcribe, items),
        score(f"faster-whisper batched b{args.batch_size}", batched.transcribe, items),
        score(f"openai-whisper beam{args.ow_beam} fp32", ow.transcribe, items[: args.ow_videos]),
        score(
            "subtitles creator (vtt)",
            lambda wav: captions_transcript(creator_vtt(truth[wav.stem + ".mp4"]), "en", "c"),
            items,
        ),
        score(
            "subtitles automatic (rolling vtt)",
            lambda wav: captions_transcript(rolling_vtt(truth[wav.stem + ".mp4"]), "en", "a"),
            items,
        ),
    ]
    print(f"# sample corpus: {len(items)} demo lectures, {sum(i[2] for i in items):.0f} s; openai-whisper "
          f"over {args.ow_videos} (load incl. conversion {ow_load:.1f} s)")  # fmt: skip
    for r in rows:
        print(f"asr {r['backend']:<36} wer={r['wer']:.3f} rtf={r['rtf']:.4f} audio_s={r['audio_s']:.0f}")
    held_truth = {v["file"]: v for v in ground_truth("heldout")["videos"]}
    held = [media.extract_audio(p, home / f"{p.stem}.wav") for p in heldout_videos()]
    reference = " ".join([i[1] for i in items] + [_narration(held_truth[p.name]) for p in heldout_videos()])
    wav, duration = long_input([i[0] for i in items] + held, args.long_repeat, home / "long.wav")
    for name, t in (("plain", plain), (f"batched b{args.batch_size}", batched)):
        t0 = time.perf_counter()
        segments = t.transcribe(wav).segments
        elapsed = time.perf_counter() - t0
        text = " ".join(s.text for s in segments)
        error = wer(" ".join([reference] * args.long_repeat), text)
        print(f"long input {duration:.0f} s, faster-whisper {name:<12} rtf={elapsed / duration:.4f} "
              f"wer={error:.3f} segments={len(segments)}")  # fmt: skip


if __name__ == "__main__":
    main()
