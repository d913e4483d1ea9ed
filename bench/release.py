"""Release writing at scale: time and peak memory of write_records + finish_release over N synthetic records
(the paper's release is 536K instructions over 151K images), each N in a fresh child process so its peak
RSS is its own. Records are made lazily (a generator), with the paper's shape: 3.5 records per image, 60 per
video, 3 splits by video, a question ~80 characters, an answer ~400, conversations of 2-6 turns; every image
is one of 512 small real JPEGs (3-8 KB, made with PIL) with its key in a comment, so no two are alike.

--tracemalloc adds Python's own peak per phase (about 3x slower; it cannot see Arrow's C++ memory, which the
RSS columns do).

    python -m bench.release [--records 50000,500000] [--formats llava,sharegpt,hf] [--tracemalloc] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ophin import __version__
from ophin.release import build
from ophin.release.build import ReleaseInfo, finish_release, write_records
from ophin.release.record import ReleaseRecord, Source, Turn

RECORDS_PER_VIDEO = 60
RECORDS_PER_IMAGE = 3.5
SPLITS_BY_TENTH = ("train",) * 8 + ("validation", "test")  # a video's split: 80/10/10
TOPICS = ("drusen", "macular oedema", "optic disc cupping", "retinal detachment", "keratoconus", "uveitis")
MODALITIES = ("colour_fundus", "oct", "slit_lamp", "angiography")
SHARD_RECORDS = 5000
WORDS = (
    "retina macula fovea drusen oedema optic disc cup rim nerve fibre layer choroid sclera cornea iris lens "
    "vitreous haemorrhage exudate neovascularisation atrophy scar lesion vessel artery vein angiogram OCT "
    "B-scan fundus photograph slit-lamp thickness reflectivity fluid subretinal intraretinal pigment "
    "epithelium detachment tear hole membrane traction glaucoma keratoconus uveitis diabetic retinopathy "
    "the a of in on with shows this image arrow points to marked area left right upper lower nasal temporal "
    "suggests consistent compared normal abnormal patient eye follow-up treatment injection laser"
).split()
JPEG_SIZES = ((96, 72), (120, 90), (140, 105), (160, 120))  # about 3-8 KB each at quality 85
# Distinct images: Parquet's snappy finds a body repeated within its 64 KB block (~12 images); from 512,
# about one block in eight holds a repeat, so the hf bytes are within ~1% of all-distinct images.
JPEGS = 512
MB = 2**20


# --- synthetic records -------------------------------------------------------------------------------------


def word_text(rng: random.Random) -> str:
    """About 200 KB of words to cut texts from: varied enough for the JSON and Parquet encoders."""
    return " ".join(rng.choice(WORDS) for _ in range(30_000))


def cut(text: str, rng: random.Random, mean: int) -> str:
    n = max(12, int(rng.gauss(mean, mean / 4)))
    start = rng.randrange(len(text) - n)
    return text[start : start + n].strip().capitalize()


def synthetic_records(n: int, seed: int = 0) -> Iterator[ReleaseRecord]:
    """n records made one at a time, each from its number alone: nothing here grows with n.

    Record r is slot r % 60 of video r // 60, and the stream visits r in a scattered order (a stride
    coprime to n), as the real export streams by instruction id: the records of one image and of one
    split arrive far apart, not one after another.
    """
    text = word_text(random.Random(seed))
    stride = max(1, int(n * 0.618034)) | 1  # the golden ratio's stride spreads neighbours the furthest
    while math.gcd(stride, n) != 1:
        stride += 1
    for position in range(n):
        yield record_at(position * stride % n, n, text, seed)


def record_at(r: int, n: int, text: str, seed: int) -> ReleaseRecord:
    """Record r of n: its video's and image's fields from their numbers, its own from r."""
    video, slot = divmod(r, RECORDS_PER_VIDEO)
    in_video = min(RECORDS_PER_VIDEO, n - video * RECORDS_PER_VIDEO)
    images = max(1, round(in_video / RECORDS_PER_IMAGE))  # 60 records: 9 images of 4, then 8 of 3
    per, big = divmod(in_video, images)
    image = slot // (per + 1) if slot < big * (per + 1) else big + (slot - big * (per + 1)) // per
    video_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/video/{video}"))
    frame_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/frame/{video}/{image}"))
    split = SPLITS_BY_TENTH[zlib.crc32(video_id.encode()) % 10]
    t = 30.0 * image + zlib.crc32(frame_id.encode()) % 2000 / 100
    rng = random.Random(f"{seed}/{r}")
    kind = rng.choices(("vqa", "conversation", "cot"), (0.5, 0.35, 0.15))[0]
    turns: list[Turn] = []
    for _ in range(rng.choice((2, 3)) if kind == "conversation" else 1):
        turns.append(Turn("human", cut(text, rng, 80) + "?"))
        turns.append(Turn("gpt", cut(text, rng, 600 if kind == "cot" else 400) + "."))
    source = Source(
        video_id=video_id,
        video_url=f"https://www.youtube.com/watch?v=v{video:010d}",
        video_title=f"Ophthalmology grand rounds {video}: {TOPICS[video % len(TOPICS)]}",
        creator=f"Eye Department {video % 97}",
        license="CC BY 4.0",
        upload_date=f"20{10 + video % 15:02d}-{1 + video % 12:02d}-{1 + video % 28:02d}",
        frame_id=frame_id,
        frame_time_s=round(t, 3),
        window_start_s=round(max(0.0, t - 20), 3),
        window_end_s=round(t + 20, 3),
        pair_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}/pair/{video}/{image}/{slot % 2}")),
        modality=MODALITIES[image % len(MODALITIES)],
        generator="llm",
        model="qwen2.5-7b-instruct",
        prompt_version="synth-v3",
        served_model="Qwen/Qwen2.5-7B-Instruct",
    )
    return ReleaseRecord(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kind=kind,
        turns=tuple(turns),
        split=split,
        image_key=f"frames/{video_id}/{frame_id}.jpg",
        source=source,
    )


def make_jpegs(count: int = JPEGS) -> list[bytes]:
    """Small real JPEGs (noise over a gradient: they do not compress to nothing), each unlike the others."""
    from PIL import Image

    rng = random.Random(1)
    bodies = []
    for i in range(count):
        w, h = JPEG_SIZES[i % len(JPEG_SIZES)]
        image = Image.linear_gradient("L").resize((w, h)).convert("RGB")
        noise = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
        buf = io.BytesIO()
        Image.blend(image, noise, 0.25).save(buf, "JPEG", quality=85)
        bodies.append(buf.getvalue())
    return bodies


def image_fetcher(bodies: list[bytes]) -> Callable[[str, Path], None]:
    """Each key gets one of the JPEGs with the key in a comment segment: still a valid JPEG, and no two
    images alike, so neither Parquet's dictionary nor its compressor sees repeats a real release lacks."""

    def fetch_image(key: str, target: Path) -> None:
        body, comment = bodies[zlib.crc32(key.encode()) % len(bodies)], key.encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment  # COM, after SOI
        target.write_bytes(body[:2] + segment + body[2:])

    return fetch_image


# --- one run, in a child process ---------------------------------------------------------------------------


PHASES = ("write", "hash", "card", "manifest")


def rss_mb() -> tuple[float, float]:
    """(RSS now, its high-water mark) in MiB."""
    try:
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):  # no procfs: the process's peak, which is this run's only past the warm-up's
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def reset_rss_peak() -> None:
    with contextlib.suppress(OSError):  # Linux: clear_refs 5 lowers the high-water mark to RSS now
        Path("/proc/self/clear_refs").write_text("5")


class Probe:
    """Seconds, peak RSS and (traced) peak Python allocations per phase of one release.

    write is write_records; hash (hash_files) and card (render_card) are timed by wrapping them where
    finish_release looks them up, build's globals; manifest is the rest of finish_release.
    """

    def __init__(self, *, trace: bool) -> None:
        self.trace = trace
        self.seconds: Counter[str] = Counter()
        self.rss_peak: dict[str, float] = {}
        self.py_peak: dict[str, float] = {}
        self.top: list[str] = []  # tracemalloc's growth when the manifest's file list is built
        self._t = 0.0
        self._before: tracemalloc.Snapshot | None = None
        for name, label in (("hash_files", "hash"), ("render_card", "card")):
            self._wrap(name, label)

    def start(self) -> None:
        if self.trace:
            tracemalloc.start(1)
            self._before = tracemalloc.take_snapshot()
        reset_rss_peak()
        self._t = time.perf_counter()

    def mark(self, label: str) -> None:
        """Close the phase running since the last mark (or start) and count it under label."""
        self.seconds[label] += time.perf_counter() - self._t
        self.rss_peak[label] = max(self.rss_peak.get(label, 0.0), rss_mb()[1])
        reset_rss_peak()
        if self.trace:
            peak = tracemalloc.get_traced_memory()[1] / MB
            self.py_peak[label] = max(self.py_peak.get(label, 0.0), peak)
            tracemalloc.reset_peak()
        self._t = time.perf_counter()

    def stop(self) -> None:
        if self.trace:
            tracemalloc.stop()

    def _wrap(self, name: str, label: str) -> None:
        inner = getattr(build, name)

        def probed(*args: Any, **kwargs: Any) -> Any:
            self.mark("manifest")  # finish_release's own work before this call
            result = inner(*args, **kwargs)
            self.mark(label)
            if label == "hash" and self._before is not None:  # the tally and the file list are alive
                stats = tracemalloc.take_snapshot().compare_to(self._before, "lineno")
                self.top = [f"{d.size_diff / MB:+.1f} MB {d.count_diff:+d} {d.traceback}" for d in stats[:8]]
                reset_rss_peak()  # the snapshot's own cost is no phase's
                self._t = time.perf_counter()
            return result

        setattr(build, name, probed)


def bytes_by_part(manifest: dict[str, Any], root: Path) -> dict[str, int]:
    """Bytes on disk per format and per shared part (images, index, card, manifest)."""
    parts: Counter[str] = Counter()
    for rel, f in manifest["files"].items():
        if rel.startswith("images/") and rel.endswith(".jpg"):
            parts["images"] += f["bytes"]
        elif rel.startswith(("data/", "images/")):  # the shards, and imagefolder's metadata beside the images
            parts["hf"] += f["bytes"]
        elif rel.startswith("llava/"):
            parts["llava"] += f["bytes"]
        elif rel.startswith("sharegpt/") or rel == "dataset_info.json":
            parts["sharegpt"] += f["bytes"]
        else:
            parts[rel.removesuffix(".jsonl").removesuffix(".md").lower()] += f["bytes"]
    parts["manifest"] = (root / build.MANIFEST).stat().st_size
    return dict(parts)


def release(
    n: int, formats: list[str], workdir: Path, jpegs: list[bytes], probe: Probe | None = None
) -> dict[str, Any]:
    """n records released into a temp folder under workdir, removed after; the manifest, with a "bytes"
    entry: bytes per part."""
    tmp = Path(tempfile.mkdtemp(prefix="ophin-bench-release-", dir=workdir))
    try:
        root = tmp / "release"
        if probe:
            probe.start()
        tally = write_records(
            root,
            synthetic_records(n),
            formats=formats,
            fetch_image=image_fetcher(jpegs),
            shard_records=SHARD_RECORDS,
        )
        if probe:
            probe.mark("write")
        info = ReleaseInfo(
            name="ophin-bench",
            engine_version=__version__,
            formats=formats,
            kinds=["vqa", "conversation", "cot"],
            config={"bench": "synthetic", "records": n, "shard_records": SHARD_RECORDS},
            models=[],
            quality={},
            left_out={},
            groups_by_split={},
        )
        manifest = finish_release(root, tally, info)
        if probe:
            probe.mark("manifest")
            probe.stop()
        return manifest | {"bytes": bytes_by_part(manifest, root)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_once(n: int, formats: list[str], workdir: Path, *, trace: bool) -> dict[str, Any]:
    """One release of n records in this process, after a warm-up; its figures."""
    t0 = time.perf_counter()
    generated = sum(1 for _ in synthetic_records(n))  # the generator's own cost, to tell it apart
    generate_s = time.perf_counter() - t0
    jpegs = make_jpegs()
    release(200, formats, workdir, jpegs)  # warm-up: pyarrow, pandas (from_pylist) load here, not in the run
    probe = Probe(trace=trace)
    rss_start = rss_mb()[0]
    manifest = release(n, formats, workdir, jpegs, probe)
    total_s = sum(probe.seconds.values())
    return {
        "records": n,
        "generated": generated,
        "written": manifest["records"],
        "images": manifest["images"],
        "videos": len(manifest["videos"]),
        "formats": formats,
        "generate_s": round(generate_s, 2),
        # write_s includes making the records (the stream is lazy): generate_s tells how much
        **{f"{p}_s": round(probe.seconds[p], 2) for p in PHASES},
        "total_s": round(total_s, 2),
        "records_per_s": round(n / total_s),
        "rss_start_mb": round(rss_start, 1),
        "rss_peak_mb": round(max(probe.rss_peak.values()), 1),
        **{f"rss_peak_{p}_mb": round(probe.rss_peak.get(p, 0.0), 1) for p in PHASES},
        "rss_end_mb": round(rss_mb()[0], 1),
        "py_peak_mb": round(max(probe.py_peak.values()), 1) if trace else None,
        **{f"py_peak_{p}_mb": round(probe.py_peak.get(p, 0.0), 1) for p in PHASES if trace},
        "bytes": manifest["bytes"],
        "tracemalloc_top": probe.top,
    }


# --- the parent: one child per N ---------------------------------------------------------------------------


def bytes_needed(n: int, formats: list[str]) -> int:
    """A generous guess of the disk one run fills: per record ~2.5 KB per JSON format, the image again in
    Parquet and the index line; per image the JPEG; a third on top."""
    image = 6000
    per_record = 2500 * sum(f in formats for f in ("llava", "sharegpt")) + 700
    per_record += (image + 2500) if "hf" in formats else 0
    return int(1.33 * (n * per_record + n / RECORDS_PER_IMAGE * image))


def run_child(n: int, formats: list[str], workdir: Path, *, trace: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.release", "--child", str(n), "--formats", ",".join(formats)]
    cmd += ["--workdir", str(workdir)] + (["--tracemalloc"] if trace else [])
    done = subprocess.run(
        cmd, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"bench child for {n} records failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(rows: list[dict[str, Any]]) -> str:
    """Growth of the peak over the start from the smallest to the largest run, and per extra image."""
    small, large = rows[0], rows[-1]
    over = [r["rss_peak_mb"] - r["rss_start_mb"] for r in (small, large)]
    line = (
        f"{small['records']} -> {large['records']} records (x{large['records'] / small['records']:g}): "
        f"peak RSS {small['rss_peak_mb']} -> {large['rss_peak_mb']} MB, "
        f"{over[0]:.1f} -> {over[1]:.1f} MB over the start"
    )
    extra_images = large["images"] - small["images"]
    if extra_images > 0:
        line += f" ({(over[1] - over[0]) * MB / extra_images:.0f} B per extra image)"
    return line + ("  BOUNDED" if over[1] < 2 * over[0] + 16 else "  GROWS")


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"release of synthetic records, formats {','.join(rows[0]['formats'])}, {os.cpu_count()} CPUs")
    print("seconds per phase (write includes making the records: gen is that alone)")
    print(
        f"{'records':>8} {'images':>7} {'gen':>6} {'write':>7} {'hash':>6} {'card':>6} {'mfst':>6}"
        f" {'total':>7} {'rec/s':>6}"
    )
    for r in rows:
        print(
            f"{r['records']:>8} {r['images']:>7} {r['generate_s']:>6} {r['write_s']:>7} {r['hash_s']:>6}"
            f" {r['card_s']:>6} {r['manifest_s']:>6} {r['total_s']:>7} {r['records_per_s']:>6}"
        )
    traced = rows[0]["py_peak_mb"] is not None
    note = "; py: tracemalloc's peak" if traced else ""
    print(f"\npeak RSS MB per phase, of a fresh process (start: after imports and a warm-up){note}")
    print(f"{'records':>8} {'start':>7} " + " ".join(f"{p:>8}" for p in PHASES) + f" {'peak':>7} {'end':>7}")
    for r in rows:
        phases = " ".join(f"{r[f'rss_peak_{p}_mb']:>8}" for p in PHASES)
        print(f"{r['records']:>8} {r['rss_start_mb']:>7} {phases} {r['rss_peak_mb']:>7} {r['rss_end_mb']:>7}")
        if traced:
            phases = " ".join(f"{r[f'py_peak_{p}_mb']:>8}" for p in PHASES)
            print(f"{'py':>8} {'':>7} {phases} {r['py_peak_mb']:>7}")
    print("\nMB written per part")
    parts = sorted({p for r in rows for p in r["bytes"]})
    print(f"{'records':>8} " + " ".join(f"{p:>9}" for p in parts) + f" {'total':>9}")
    for r in rows:
        sizes = [r["bytes"].get(p, 0) / MB for p in parts]
        print(f"{r['records']:>8} " + " ".join(f"{s:>9.1f}" for s in sizes) + f" {sum(sizes):>9.1f}")
    for r in rows:
        if r["tracemalloc_top"]:
            print(f"\ntracemalloc growth at {r['records']} records, when the manifest's file list is built:")
            print("\n".join("  " + line for line in r["tracemalloc_top"]))
    if len(rows) > 1:
        print("\n" + verdict(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--records", default="50000,500000", help="record counts, comma-separated")
    parser.add_argument("--formats", default="llava,sharegpt,hf")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()), help="where to write")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations (slower)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    if args.child is not None:
        print(json.dumps(run_once(args.child, formats, args.workdir, trace=args.tracemalloc)))
        return
    rows = []
    for n in sorted(int(x) for x in args.records.split(",") if x.strip()):
        need, free = bytes_needed(n, formats), shutil.disk_usage(args.workdir).free
        if need > free:
            gib = f"~{need / 2**30:.1f} GiB, {args.workdir} has {free / 2**30:.1f} GiB"
            print(f"skipping {n} records: needs {gib}")
            continue
        print(f"{n} records (~{need / 2**30:.1f} GiB of {free / 2**30:.1f} GiB free)...", file=sys.stderr)
        rows.append(run_child(n, formats, args.workdir, trace=args.tracemalloc))
    if args.json:
        print(json.dumps(rows, indent=1))
    elif rows:
        print_table(rows)


if __name__ == "__main__":
    main()
