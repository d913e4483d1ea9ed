"""ASR on the sample corpus. By default: WER and KEY-TERM RECALL per backend (faster-whisper, openai-whisper)
with and without domain-biased decoding, on a corpus set and on a noisy variant of it (sox: tempo and pitch
changed, pink noise mixed in at --snr-db). With --speed also the older table: WER and real-time factor of
faster-whisper plain and batched, openai-whisper and caption tracks, and plain vs batched on a long input.
Prints tables; numbers go into issue notes, not into tests.

Modes: `none` (no prompt), `static` (asr.initial_prompt alone, which both Whisper implementations use for the
first 30 s chunk only), `biased` (ophin/adapters/asr_bias.py: initial_prompt + the slide terms OCR reads +
the lexicon's labels, on every chunk, as the transcribe stage does). Key-term recall: of the domain-lexicon
terms the true narration names (ophin/cues/lexicon.py, counted per video), the share the transcript names.
Held-out sets may be scored (--sets demo,heldout,heldout2): figures only, never their text.

    python -m bench.asr [--sets demo] [--backends faster-whisper,openai-whisper] [--ow-videos 3] [--speed]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.run import _wer as wer  # the same WER as the stage bench
from eval.corpus import demo_videos, ground_truth, heldout_videos, videos
from ophin.adapters.asr import FasterWhisperTranscriber, OpenAIWhisperTranscriber
from ophin.adapters.asr_bias import build_prompt, window_slide_terms
from ophin.adapters.media import FfmpegMedia
from ophin.adapters.ocr import TesseractOcr
from ophin.cues.lexicon import TERMS, find_terms
from ophin.domain.subtitles import captions_transcript
from ophin.domain.transcript import Transcript
from ophin.refine.confidence import refine_window
from ophin.refine.lexicon import LexiconRefiner
from ophin.settings import AsrSettings
from ophin.stages.cues import sentences as cue_sentences

RATE = 16000


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


@dataclass(frozen=True)
class Item:
    name: str
    video: Path
    wav: Path
    reference: str
    duration_s: float


def noisy_copy(wav: Path, out: Path, snr_db: float, tempo: float, pitch_cents: int, seed: int = 7) -> Path:
    """The narration slowed or sped up (tempo), its pitch moved, and pink noise at snr_db under it."""
    shifted = out.with_suffix(".shifted.wav")
    noise = out.with_suffix(".noise.wav")
    subprocess.run(  # noqa: S603, S607 - sox from PATH, argv list
        ["sox", str(wav), "-r", str(RATE), "-c", "1", "-b", "16", str(shifted), "tempo", f"{tempo}",
         "pitch", f"{pitch_cents}"],
        check=True, capture_output=True,
    )  # fmt: skip
    with wave.open(str(shifted)) as w:
        seconds = w.getnframes() / RATE
    subprocess.run(  # noqa: S603, S607
        ["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(noise), "synth", f"{seconds:.3f}",
         "pinknoise"],
        check=True, capture_output=True,
    )  # fmt: skip
    speech, pink = _read(shifted), _read(noise)
    pink = pink[: len(speech)] if len(pink) >= len(speech) else np.resize(pink, len(speech))
    if not pink.any():  # sox -R seeds pink noise the same each run; fall back to a seeded generator
        pink = np.random.default_rng(seed).normal(0, 1, len(speech))
    gain = np.sqrt(np.mean(speech**2) / max(np.mean(pink**2), 1e-12) / 10 ** (snr_db / 10))
    _write(out, speech + gain * pink)
    shifted.unlink(missing_ok=True)
    noise.unlink(missing_ok=True)
    return out


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768


def _write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def key_terms(text: str) -> Counter[str]:
    return Counter(
        m.term.label for m in find_terms(text, TERMS) if m.term.kind not in ("deictic", "negative")
    )


def term_recall(reference: str, hypothesis: str) -> tuple[int, int]:
    """(terms of the reference also named in the hypothesis, terms of the reference), per label counts."""
    ref, hyp = key_terms(reference), key_terms(hypothesis)
    return sum(min(n, hyp[label]) for label, n in ref.items()), sum(ref.values())


def slide_prompt(item: Item, media: object, ocr: object, base: str, max_terms: int, every_s: float) -> str:
    """What the transcribe stage gives a window of at most asr.window_s: here the whole (short) lecture."""
    slides = window_slide_terms(media, ocr, item.video, 0.0, item.duration_s, every_s)
    return build_prompt(base, slides, max_terms)


def refine_transcript(
    refiner: LexiconRefiner, transcript: Transcript, use_words: bool
) -> tuple[str, int, int, int]:
    """(kept sentences' refined text, sentences corrected, sentences dropped, sentences), the transcript
    taken as one window; use_words: with the words' probabilities (the engine now) or without (before)."""
    text = " ".join(s.text for s in transcript.segments)
    heard = [(w.text, w.probability) for s in transcript.segments for w in s.words] if use_words else []
    out = refine_window(refiner, cue_sentences(text), text, heard)
    kept = " ".join(r.text for r in out if not r.dropped)
    return kept, sum(bool(r.corrections) for r in out), sum(bool(r.dropped) for r in out), len(out)


def score_terms(
    label: str,
    transcribe: Callable[[Item], Transcript],
    items: list[Item],
    refine: Callable[[Transcript], tuple[str, int, int, int]],
) -> dict[str, float | str]:
    errors = words = hit = total = seconds = audio = r_hit = fixed = dropped = n_sentences = 0.0
    for item in items:
        t0 = time.perf_counter()
        transcript = transcribe(item)
        seconds += time.perf_counter() - t0
        text = " ".join(s.text for s in transcript.segments)
        n = len(item.reference.split())
        errors, words = errors + wer(item.reference, text) * n, words + n
        h, t = term_recall(item.reference, text)
        hit, total, audio = hit + h, total + t, audio + item.duration_s
        kept, c, d, k = refine(transcript)
        r_hit, fixed, dropped, n_sentences = (
            r_hit + term_recall(item.reference, kept)[0],
            fixed + c,
            dropped + d,
            n_sentences + k,
        )
    return {
        "label": label,
        "wer": errors / max(words, 1),
        "term_recall": hit / max(total, 1),
        "terms": total,
        "rtf": seconds / max(audio, 1e-9),
        "refined_recall": r_hit / max(total, 1),
        "corrected": fixed,
        "dropped": dropped,
        "sentences": n_sentences,
    }


def speed_table(args: argparse.Namespace, home: Path) -> None:
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


def bias_table(args: argparse.Namespace, home: Path) -> None:
    """WER and key-term recall per backend x mode x (clean, noisy) on each set asked for."""
    media, ocr = FfmpegMedia(), (TesseractOcr(min_conf=0) if TesseractOcr.available() else None)
    base = AsrSettings().initial_prompt
    refiner = LexiconRefiner()
    models = home / "models"
    fw = FasterWhisperTranscriber(AsrSettings(initial_prompt=""), models)
    fw_static = FasterWhisperTranscriber(AsrSettings(), models)
    fw_static._model = fw._load()  # one set of weights for every mode
    ow = ow_static = None
    if "openai-whisper" in args.backends:
        ow_settings = AsrSettings(backend="openai-whisper", beam_size=args.ow_beam)
        ow = OpenAIWhisperTranscriber(ow_settings.model_copy(update={"initial_prompt": ""}), cache_dir=models)
        ow_static = OpenAIWhisperTranscriber(ow_settings, model=ow._load(), cache_dir=models)
    print(f"# bias: noisy = tempo {args.tempo}, pitch {args.pitch} cents, pink noise {args.snr_db} dB SNR;"
          f" slides OCR {'on' if ocr else 'OFF'}; openai-whisper beam {args.ow_beam}")  # fmt: skip
    for set_name in args.sets.split(","):
        truth = {v["file"]: v for v in ground_truth(set_name)["videos"]}
        clean: list[Item] = []
        for path in videos(set_name)[: args.videos]:
            if path.name not in truth:
                continue
            wav = media.extract_audio(path, home / f"{set_name}-{path.stem}.wav")
            clean.append(
                Item(path.stem, path, wav, _narration(truth[path.name]), truth[path.name]["duration_s"])
            )
        noisy = [
            Item(i.name, i.video, noisy_copy(i.wav, home / f"{set_name}-{i.name}-noisy.wav", args.snr_db,
                                             args.tempo, args.pitch), i.reference, i.duration_s / args.tempo)
            for i in clean
        ]  # fmt: skip
        prompts = {i.name: slide_prompt(i, media, ocr, base, args.max_terms, 10.0) for i in clean}
        print(f"# set {set_name}: {len(clean)} videos, {sum(i.duration_s for i in clean):.0f} s")
        backends: list[tuple[str, object, object, int]] = []
        if "faster-whisper" in args.backends:
            backends.append(("faster-whisper", fw, fw_static, len(clean)))
        if ow is not None:
            backends.append(("openai-whisper", ow, ow_static, args.ow_videos))
        for backend, plain, static, n in backends:
            modes: dict[str, Callable[[Item], Transcript]] = {
                "none": lambda i, t=plain: t.transcribe(i.wav),
                "static": lambda i, t=static: t.transcribe(i.wav),
                "biased": lambda i, t=plain, p=prompts: t.transcribe(i.wav, p[i.name]),
            }
            for mode in args.modes.split(","):
                # The refiner as it was (no probabilities) after the static prompt; as it is now when biased.
                use_words = mode == "biased"
                for condition, items in (("clean", clean[:n]), ("noisy", noisy[:n])):
                    r = score_terms(
                        mode, modes[mode], items, lambda t, u=use_words: refine_transcript(refiner, t, u)
                    )
                    print(f"asr-bias {set_name:<8} {backend:<15} {condition:<5} {mode:<6} wer={r['wer']:.3f}"
                          f" recall={r['term_recall']:.3f} (of {r['terms']:.0f}) rtf={r['rtf']:.2f} n={n}"
                          f" | refined{'+p' if use_words else ''}: recall={r['refined_recall']:.3f}"
                          f" sentences={r['sentences']:.0f} corrected={r['corrected']:.0f}"
                          f" dropped={r['dropped']:.0f}", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="demo", help="corpus sets, comma-separated (demo, heldout, heldout2)")
    ap.add_argument("--backends", default="faster-whisper,openai-whisper")
    ap.add_argument("--modes", default="none,static,biased")
    ap.add_argument("--max-terms", type=int, default=AsrSettings().bias_max_terms)
    ap.add_argument("--snr-db", type=float, default=15.0)
    ap.add_argument("--tempo", type=float, default=1.1)
    ap.add_argument("--pitch", type=int, default=-200, help="cents")
    ap.add_argument("--videos", type=int, default=None, help="only the first N videos of each set")
    ap.add_argument("--ow-videos", type=int, default=3, help="openai-whisper over the first N lectures")
    ap.add_argument("--ow-beam", type=int, default=1, help="openai-whisper beam (1: greedy; 5 is ~3x slower)")
    ap.add_argument(
        "--speed", action="store_true", help="also the speed table (batched, captions, long input)"
    )
    ap.add_argument(
        "--long-repeat", type=int, default=1, help="--speed: demo+heldout audio concatenated N times"
    )
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ophin-bench-asr-"))
    bias_table(args, home)
    if args.speed:
        speed_table(args, home)


if __name__ == "__main__":
    main()
