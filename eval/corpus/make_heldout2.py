"""Generate heldout2: a second held-out corpus, drawn and voiced differently from the sample corpus.

Five narrated lectures and one continuous fundus examination, written once with a fixed seed to
``eval/corpus/heldout2/`` with ``ground_truth.json``.  Pictures are procedural (``heldout2_fundus``,
``heldout2_images``); the narration, ``heldout2/script.py`` (kept with the held-out data), is read by
espeak-ng voices the sample corpus does not use, at per-lecture speed and pitch, over room noise (pink or
brown noise, mains hum) with reverb on two lectures.  Sentence times are measured from the synthesized
speech before noise is added.

Never read this corpus's transcripts or ground truth while tuning the engine: it is a test.

Usage::

    python -m eval.corpus.make_heldout2            # writes eval/corpus/heldout2
    python -m eval.corpus.make_heldout2 --out /tmp/h2
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np

from eval.corpus import heldout2_images as im
from eval.corpus.heldout2.script import Footage, Lecture, Line, Scene, Voice, footage, lectures
from eval.corpus.heldout2_fundus import fundus_diagram, fundus_photo, geometry

SEED = 20261206
W, H, FPS = im.W, im.H, 25
RATE = 22050
FRAME = RATE // FPS  # audio samples per video frame (882)
LEAD_IN_S, PAD_S, PAN_S = 0.4, 0.8, 4.0
LICENSE, ARTIST = "CC-BY-4.0", "OphIn Engine heldout2 corpus"
COPYRIGHT = "CC-BY-4.0 OphIn Engine contributors"
OUT = Path(__file__).resolve().parent / "heldout2"


# --------------------------------------------------------------------------- pictures
def render(scene: Scene, theme: str, number: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw one scene's frame; returns it with the ground-truth fields the drawing decides."""
    p, extra = scene.picture, {}
    draw = p["draw"]
    if draw == "title":
        return im.title_slide(p["title"], p["subtitle"], theme), extra
    if draw == "text":
        return im.text_slide(p["heading"], p["bullets"], theme, number), extra
    if draw == "speaker":
        return im.speaker_tile("Speaker"), extra
    if draw == "fundus":
        picture = fundus_photo(p["fundus"], 540) if p.get("crop") != "disc" else disc_photo(p["fundus"])
    elif draw == "oct":
        picture = im.oct_report(p["seed"], p["finding"], fundus_photo(p.get("ir", _ir(p["seed"])), 300))
    elif draw == "anterior":
        picture = im.anterior_eye(p["seed"], p["finding"], p["slit"], p.get("iris", (112, 74, 42)))
    elif draw == "visual_field":
        picture = im.visual_field(p["seed"])
    elif draw == "diagram":
        picture, labels = fundus_diagram(p["seed"])
        extra["drawn_labels"] = labels
    else:
        raise ValueError(draw)
    if p["layout"] == "slide":
        frame, box = im.framed_slide(picture, p["heading"], p["caption"], theme)
        extra["slide_text"] = [p["heading"], p["caption"]]
    else:
        frame, box = im.full_frame(picture)
    extra.update(layout=p["layout"], image_box=box)
    if scene.banner:
        frame, extra["phi_box"] = _banner(frame, scene.banner)
        extra["phi_text"] = list(scene.banner)
    return frame, extra


def disc_photo(spec: Any, size: int = 540) -> np.ndarray:
    """A disc-centred photograph (a narrower field around the optic disc), round field on black."""
    big = 1400
    photo = fundus_photo(spec, big)
    x, y = (int(v) for v in geometry(spec, big)["disc"])
    half = size // 2
    pad = np.pad(photo, ((half, half), (half, half), (0, 0)))
    crop = pad[y : y + size, x : x + size].copy()
    yy, xx = np.mgrid[0:size, 0:size]
    crop[np.hypot(xx - half, yy - half) > half - 2] = 0
    return crop


def _ir(seed: int) -> Any:
    from eval.corpus.heldout2_fundus import Fundus

    return Fundus(seed + 1000)


def _banner(frame: np.ndarray, fields: tuple[str, ...]) -> tuple[np.ndarray, list[float]]:
    """Burn a camera-export patient label into the top-left corner, one field per line."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    f = im.font(17, "mono")
    x0, y0, y = 8, 6, 6
    right = 0
    for text in fields:
        draw.text((x0, y), text, fill=(255, 255, 255), font=f)
        right = max(right, x0 + draw.textlength(text, font=f))
        y += 21
    box = [round(x0 / W, 4), round(y0 / H, 4), round((right + 2) / W, 4), round((y + 2) / H, 4)]
    return np.asarray(img), box


def scene_score(a: np.ndarray, b: np.ndarray) -> float:
    """ffmpeg's scene score between two frames, approximately (mean absolute YUV420 difference / 100)."""
    import cv2

    ya = cv2.cvtColor(a, cv2.COLOR_RGB2YUV_I420).astype(np.int32)
    yb = cv2.cvtColor(b, cv2.COLOR_RGB2YUV_I420).astype(np.int32)
    return float(np.abs(ya - yb).mean() / 100.0)


# --------------------------------------------------------------------------- audio
def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2 or wav.getframerate() != RATE:
            raise RuntimeError(f"unexpected WAV format in {path}")
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768


def _write(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


def speak(text: str, voice: Voice, work: Path) -> np.ndarray:
    """One sentence from espeak-ng, leading and trailing silence trimmed (20 ms kept)."""
    path = work / "tts.wav"
    cmd = [
        "espeak-ng",
        "-v",
        voice.name,
        "-s",
        str(voice.speed),
        "-p",
        str(voice.pitch),
        "-w",
        str(path),
        text,
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    x = _read(path)
    loud = np.nonzero(np.abs(x) > 0.01)[0]
    if loud.size == 0:
        raise RuntimeError(f"espeak-ng produced silence for {text!r}")
    margin = int(0.02 * RATE)
    return x[max(0, loud[0] - margin) : loud[-1] + 1 + margin]


def room(speech: np.ndarray, voice: Voice, rng: np.random.Generator, work: Path) -> np.ndarray:
    """Reverb (sox) on the speech when the lecture has it, then room noise at the voice's SNR."""
    n = speech.size
    if voice.reverb:
        _write(work / "dry.wav", speech * 0.5)
        # -D: no dither, -R: repeatable; sox otherwise dithers with fresh random noise on every run
        sox = ["sox", "-D", "-R", str(work / "dry.wav"), str(work / "wet.wav"), "reverb", "35", "60", "70"]
        subprocess.run(sox, check=True, capture_output=True)
        wet = _read(work / "wet.wav")[:n]
        speech = np.pad(wet, (0, n - wet.size)) * 2
    white = rng.standard_normal(n + RATE).astype(np.float32)
    if voice.noise == "pink":  # 1/f power: shape the spectrum
        spec = np.fft.rfft(white)
        spec /= np.sqrt(np.maximum(np.arange(spec.size), 1))
        noise = np.fft.irfft(spec, white.size)[:n]
    else:  # brown (1/f^2 power): a leaky integral of white noise, DC removed
        from scipy.signal import lfilter

        noise = lfilter([1.0], [1.0, -0.995], white)[RATE : RATE + n]
        noise = noise - noise.mean()
    if voice.hum:
        t = np.arange(n) / RATE
        noise = noise / (noise.std() + 1e-9) + 0.6 * sum(
            np.sin(2 * math.pi * f * t + k) / (k + 1) for k, f in enumerate((50, 100, 150))
        )
    voiced = np.abs(speech) > 0.01
    p_speech = float(np.mean(speech[voiced] ** 2)) if voiced.any() else 1e-4
    noise *= math.sqrt(p_speech / 10 ** (voice.snr_db / 10)) / (noise.std() + 1e-9)
    mixed = speech + noise
    return mixed * (0.8 / max(1e-6, float(np.abs(mixed).max())))


class Track:
    """Speech laid on a frame-aligned timeline, every sentence's real start and end recorded."""

    def __init__(self, voice: Voice, work: Path, rng: np.random.Generator) -> None:
        self.voice, self.work, self.rng = voice, work, rng
        self.parts: list[np.ndarray] = []
        self.cursor = 0

    def add(self, samples: np.ndarray) -> None:
        self.parts.append(samples.astype(np.float32))
        self.cursor += samples.size

    def pause(self, seconds: float) -> None:
        self.add(np.zeros(round(seconds * RATE), np.float32))

    def pad_to_frame(self, at_least_s: float) -> None:
        end = math.ceil((self.cursor + round(at_least_s * RATE)) / FRAME) * FRAME
        self.add(np.zeros(end - self.cursor, np.float32))

    def say(self, line: Line, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        speech = speak(line.text, self.voice, self.work)
        start = self.cursor
        self.add(speech)
        record = {"text": line.text, "start_s": sec(start), "end_s": sec(self.cursor),
                  "describes_image": line.describes, "findings": list(line.findings)}  # fmt: skip
        if line.artefacts():
            record["artefacts"] = line.artefacts()
        if line.phi:
            missing = [p for p in line.phi if p not in line.text]
            if missing:
                raise ValueError(f"phi {missing} not spoken in {line.text!r}")
            record.update(phi_spoken=True, phi=list(line.phi))
        return record | (extra or {})

    def audio(self) -> np.ndarray:
        return room(np.concatenate(self.parts), self.voice, self.rng, self.work)


def sec(samples: int) -> float:
    return round(samples / RATE, 3)


# --------------------------------------------------------------------------- encoding
def encode(frames: Any, audio: np.ndarray, out: Path, title: str, crf: int, work: Path) -> None:
    """Raw RGB frames on stdin + the WAV -> H.264/AAC MP4, bit-exact, metadata stripped and re-set."""
    wav = work / "mix.wav"
    _write(wav, audio)
    cmd = [
        "ffmpeg", "-y", "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "pipe:0",
        "-i", str(wav),
        "-map", "0:v:0", "-map", "1:a:0", "-map_metadata", "-1",
        "-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-pix_fmt", "yuv420p", "-threads", "1",
        "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", str(RATE),
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-movflags", "+faststart+use_metadata_tags",
        "-metadata", f"title={title}", "-metadata", f"artist={ARTIST}",
        "-metadata", f"license={LICENSE}", "-metadata", f"copyright={COPYRIGHT}", str(out),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err)
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        finally:
            proc.stdin.close()
        if proc.wait() != 0:
            err.seek(0)
            raise RuntimeError(f"ffmpeg failed: {err.read().decode(errors='replace')}")


def duration(path: Path) -> float:
    cmd = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return round(float(json.loads(out)["format"]["duration"]), 3)


def _voice_truth(voice: Voice) -> dict[str, Any]:
    return {"espeak_voice": voice.name, "speed_wpm": voice.speed, "pitch": voice.pitch, "noise": voice.noise,
            "snr_db": voice.snr_db, "hum": voice.hum, "reverb": voice.reverb}  # fmt: skip


# --------------------------------------------------------------------------- lectures
def make_lecture(lecture: Lecture, out_dir: Path, work: Path, rng: np.random.Generator) -> dict[str, Any]:
    rendered = [render(s, lecture.theme, i + 1) for i, s in enumerate(lecture.scenes)]
    scores = [round(scene_score(a[0], b[0]), 3) for a, b in zip(rendered, rendered[1:], strict=False)]
    track = Track(lecture.voice, work, rng)
    track.pause(LEAD_IN_S)
    scenes, counts = [], []
    for index, (scene, (_, extra)) in enumerate(zip(lecture.scenes, rendered, strict=True)):
        start = 0 if index == 0 else track.cursor
        sentences = []
        for k, line in enumerate(scene.lines):
            if k:
                track.pause(float(rng.uniform(0.25, 0.6)))  # lecturers pause unevenly
            sentences.append(track.say(line))
        track.pad_to_frame(PAD_S + float(rng.uniform(0, 0.6)))
        counts.append((track.cursor - start) // FRAME)
        record = {"index": index, "start_s": sec(start), "end_s": sec(track.cursor), "kind": scene.kind,
                  "clinical_image": scene.clinical, "modality": scene.modality,
                  "findings": list(scene.findings), "diagnoses": list(scene.diagnoses),
                  "sentences": sentences}  # fmt: skip
        if scene.clinical:
            record["normal"] = not scene.findings
        if index:
            record["cut_scene_score"] = scores[index - 1]
        scenes.append(record | extra)
    out = out_dir / lecture.file
    frames = (frame for (frame, _), n in zip(rendered, counts, strict=True) for _ in range(n))
    encode(frames, track.audio(), out, lecture.title, 28, work)
    return {"file": lecture.file, "title": lecture.title, "license": LICENSE, "duration_s": duration(out),
            "recording": _voice_truth(lecture.voice), "scenes": scenes}  # fmt: skip


# --------------------------------------------------------------------------- footage
CANVAS = 1100


def make_footage(spec: Footage, out_dir: Path, work: Path, rng: np.random.Generator) -> dict[str, Any]:
    """A one-shot fundus examination: the view dwells on each finding while it is narrated, then pans."""
    import cv2

    canvas = fundus_photo(spec.fundus, CANVAS)
    geo = geometry(spec.fundus, CANVAS)
    radius = geo["radius"][0]
    track = Track(spec.voice, work, rng)
    track.pause(LEAD_IN_S)
    intro = []
    for k, line in enumerate(spec.intro):
        if k:
            track.pause(0.4)
        intro.append(track.say(line, {"finding": None, "span": None}))
    track.pad_to_frame(1.0)
    intro_frames = track.cursor // FRAME
    spans, dwell = [], []
    for index, item in enumerate(spec.spans):
        start = track.cursor
        track.pause(0.3)
        sentences = []
        for k, line in enumerate(item.lines):
            if k:
                track.pause(float(rng.uniform(0.3, 0.6)))
            sentences.append(track.say(line, {"finding": item.finding, "span": index}))
        track.pad_to_frame(PAD_S)
        dwell.append((track.cursor - start) // FRAME)
        x, y = np.asarray(geo[item.at]) + radius * np.asarray(item.offset)
        vw, vh = item.width * radius, item.width * radius * H / W
        spans.append({"index": index, "start_s": sec(start), "end_s": sec(track.cursor),
                      "finding": item.finding,
                      "diagnoses": list(item.diagnoses), "sentences": sentences,
                      "region": [round((x - vw / 2) / CANVAS, 4), round((y - vh / 2) / CANVAS, 4),
                                 round((x + vw / 2) / CANVAS, 4), round((y + vh / 2) / CANVAS, 4)],
                      "_view": (x, y, vw)})  # fmt: skip
        if index + 1 < len(spec.spans):
            track.pause(PAN_S)
    path: list[tuple[float, float, float, float]] = []
    views = [s.pop("_view") for s in spans]
    path += [(views[0][0] - 20, views[0][1] - 8, views[0][2], 0.0)] * intro_frames
    for i, ((x, y, vw), n) in enumerate(zip(views, dwell, strict=True)):
        for k in range(n):  # a slow drift while dwelling
            u = k / max(1, n - 1)
            path.append((x - 20 + 40 * u, y - 8 + 16 * u, vw * (1 - 0.04 * u), 0.0))
        if i + 1 < len(views):
            (x0, y0, w0, _), (x1, y1, w1) = path[-1], views[i + 1]
            steps = round(PAN_S * FPS)
            for k in range(1, steps + 1):
                u = k / steps
                s = u * u * (3 - 2 * u)
                speed = 6 * u * (1 - u)
                zoom = 1 + 0.25 * math.sin(math.pi * u)  # pull back a little on the way
                path.append(
                    (x0 + (x1 - x0 - 20) * s, y0 + (y1 - y0 - 8) * s, (w0 + (w1 - w0) * s) * zoom, speed)
                )
    total = track.cursor // FRAME
    path += [path[-1]] * (total - len(path))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    aperture = np.clip((H * 0.56 - np.hypot(xx - W / 2, yy - H / 2)) / 6, 0, 1)[..., None]

    def frames() -> Any:
        previous = None
        for k, (cx, cy, vw, speed) in enumerate(path):
            scale = W / vw
            m = np.array([[scale, 0, W / 2 - cx * scale], [0, scale, H / 2 - cy * scale]], np.float32)
            view = cv2.warpAffine(canvas, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
            if speed > 0.05:
                view = cv2.GaussianBlur(view, (0, 0), 0.4 + 2.5 * speed)
            gain = 1 + 0.06 * math.sin(2 * math.pi * k / (FPS * 19))  # the light source wanders slowly
            frame = np.clip(view.astype(np.float32) * gain * aperture, 0, 255).astype(np.uint8)
            if previous is not None and (score := scene_score(previous, frame)) > 0.2:
                raise RuntimeError(f"{spec.file}: frames {k - 1}->{k} jump (scene score {score:.3f})")
            previous = frame
            yield frame

    out = out_dir / spec.file
    encode(frames(), track.audio(), out, spec.title, 30, work)
    bounds = [round((a["end_s"] + b["start_s"]) / 2, 3) for a, b in zip(spans, spans[1:], strict=False)]
    return {"file": spec.file, "title": spec.title, "license": LICENSE, "kind": "continuous",
            "duration_s": duration(out), "clinical_image": True, "modality": "colour_fundus",
            "finding_order": [s.finding for s in spec.spans], "findings": [s.finding for s in spec.spans],
            "diagnoses": sorted({d for s in spec.spans for d in s.diagnoses}), "boundaries_s": bounds,
            "pan_s": PAN_S, "intro": intro, "spans": spans,
            "recording": _voice_truth(spec.voice)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: eval/corpus/heldout2)")
    args = parser.parse_args(argv)
    missing = [t for t in ("ffmpeg", "ffprobe", "espeak-ng", "sox") if shutil.which(t) is None]
    if missing:
        sys.exit(f"error: required tool(s) not found on PATH: {', '.join(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory(prefix="heldout2_") as tmp:
        work = Path(tmp)
        videos = [make_lecture(lec, args.out, work, rng) for lec in lectures()]
        shots = [make_footage(spec, args.out, work, rng) for spec in footage()]
    truth = {"set": "heldout2", "seed": SEED, "generator": "eval/corpus/make_heldout2.py",
             "videos": videos, "footage": shots}  # fmt: skip
    (args.out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    for video in videos + shots:
        size = (args.out / video["file"]).stat().st_size / 1024
        print(f"  {video['file']}: {video['duration_s']:.1f} s, {size:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
