"""Synthetic lineage rows at any fraction of the paper's scale, as COPY text lines, for bench.lineage_scale.

Ids are uuid5 over (kind, index); a child's parent follows from index arithmetic (children spread evenly
over parents, in order), so a table's rows stream out of a generator and only the id lists that children
point at are held. Values never hold a tab, a newline or a backslash, so lines need no escaping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ophin.domain.ids import NAMESPACE
from ophin.verification.checks import CHECKS

PAPER = {"videos": 5000, "clips": 29000, "frames": 151000, "instructions": 536000}
SEGMENTS_PER_CLIP, CUES_PER_PAIR, CLIP_S = 20, 4, 40.0
CHECK_NAMES = (*CHECKS, "distinct", "not_duplicate")  # ten rows per instruction, as verify writes them
STAGES = ("acquire", "transcribe", "keyframes", "pair", "cues", "synthesize", "verify")  # pipeline order
NULL = "\\N"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
_SHA1 = hashlib.sha1(NAMESPACE.bytes)

Ids = dict[str, list[str]]


def uid(kind: str, *parts: object) -> str:
    """uuid.uuid5(NAMESPACE, "kind|part|...") as 32 hex digits (Postgres reads them); 8x faster."""
    h = _SHA1.copy()
    h.update("|".join((kind, *map(str, parts))).encode())
    b = bytearray(h.digest()[:16])
    b[6], b[8] = (b[6] & 0x0F) | 0x50, (b[8] & 0x3F) | 0x80
    return b.hex()


def span(parent: int, n_parent: int, n_child: int) -> range:
    """The children of one parent when n_child are spread evenly over n_parent in order."""
    return range(n_child * parent // n_parent, n_child * (parent + 1) // n_parent)


def owner(child: int, n_child: int, n_parent: int) -> int:
    """The parent whose span() holds this child."""
    return ((child + 1) * n_parent + n_child - 1) // n_child - 1


@dataclass(frozen=True)
class Layout:
    videos: int
    clips: int
    frames: int
    instructions: int

    @classmethod
    def at(cls, scale: float) -> Layout:
        return cls(**{k: max(1, round(v * scale)) for k, v in PAPER.items()})

    @property
    def segments(self) -> int:
        return self.clips * SEGMENTS_PER_CLIP

    @property
    def pairs(self) -> int:
        return self.frames  # one transcript window per frame, kept or dropped

    @property
    def cues(self) -> int:
        return self.pairs * CUES_PER_PAIR

    def ids(self) -> Ids:
        """The ids children point at (pair p belongs to frame p)."""
        sizes = {"video": self.videos, "clip": self.clips, "frame": self.frames, "segment": self.segments}
        out = {kind: [uid(kind, i) for i in range(n)] for kind, n in sizes.items()}
        out["pair"] = [uid("pair", i) for i in range(self.pairs)]
        out["instruction"] = [uid("instruction", i) for i in range(self.instructions)]
        return out

    def clip_video(self, c: int) -> int:
        return owner(c, self.clips, self.videos)

    def clip_start(self, c: int) -> float:
        return (c - span(self.clip_video(c), self.videos, self.clips).start) * CLIP_S

    def frame_time(self, f: int) -> tuple[int, float]:
        """(clip, second of the video) of frame f: frames sit evenly inside their clip."""
        c = owner(f, self.frames, self.clips)
        inside = span(c, self.clips, self.frames)
        return c, self.clip_start(c) + (f - inside.start + 0.5) * CLIP_S / len(inside)


def watch_url(v: int) -> str:
    return f"https://www.youtube.com/watch?v=b{v:010d}"


def videos(L: Layout, ids: Ids) -> Iterator[str]:
    for v, vid in enumerate(ids["video"]):
        sha = hashlib.sha256(vid.encode()).hexdigest()
        duration = len(span(v, L.videos, L.clips)) * CLIP_S
        yield (
            f"{vid}\t{watch_url(v)}\tb{v:010d}\tyoutube\tLecture {v}: the optic disc\tchannel {v % 40}"
            f"\t{duration}\tCC BY 4.0\t{sha}\t{10_000_000 + v}\tmedia/{vid}.mp4\t1280\t720\tt"
            f"\tsource:{v % 25}\tt\ten\ten\n"
        )


def aliases(L: Layout, ids: Ids) -> Iterator[str]:
    for v, vid in enumerate(ids["video"]):
        yield f"{uid('alias', v)}\thttps://youtu.be/b{v:010d}\t{vid}\n"


def clips(L: Layout, ids: Ids) -> Iterator[str]:
    for c, cid in enumerate(ids["clip"]):
        v = L.clip_video(c)
        start, index = L.clip_start(c), c - span(v, L.videos, L.clips).start
        boundary = "start" if index == 0 else "cut"
        yield f"{cid}\t{ids['video'][v]}\t{index}\t{start}\t{start + CLIP_S}\t{boundary}\tbench\n"


def segments(L: Layout, ids: Ids) -> Iterator[str]:
    step = CLIP_S / SEGMENTS_PER_CLIP
    for s, sid in enumerate(ids["segment"]):
        c = s // SEGMENTS_PER_CLIP
        v = L.clip_video(c)
        index = s - span(v, L.videos, L.clips).start * SEGMENTS_PER_CLIP
        start = L.clip_start(c) + (s % SEGMENTS_PER_CLIP) * step
        yield (
            f"{sid}\t{ids['video'][v]}\t{index}\t{start}\t{start + step}\tthe optic disc shows cupping {s}"
            "\t-0.21\t0.02\tbase.en\tfaster-whisper\tasr\ten\tbench\n"
        )


def frames(L: Layout, ids: Ids) -> Iterator[str]:
    crop = '{"x": 0, "y": 0, "w": 672, "h": 448}'
    for f, fid in enumerate(ids["frame"]):
        c, t = L.frame_time(f)
        vid = ids["video"][L.clip_video(c)]
        kept = ("f\tblurry" if f % 2 else "f\tduplicate") if f % 7 == 0 else f"t\t{NULL}"
        yield (
            f"{fid}\t{vid}\t{ids['clip'][c]}\t{t:.3f}\tframes/{vid}/{fid}.jpg\t672\t448\t{fid[:16]}\tsharpest"
            f"\t{crop}\t0.81\t{kept}\tslide\t0\t0\t0.9\tbench\n"
        )


def pairs(L: Layout, ids: Ids) -> Iterator[str]:
    for p, pid in enumerate(ids["pair"]):
        c, t = L.frame_time(p)
        k = min(int((t - L.clip_start(c)) * SEGMENTS_PER_CLIP / CLIP_S), SEGMENTS_PER_CLIP - 2)
        segs = ",".join(ids["segment"][c * SEGMENTS_PER_CLIP + k + i] for i in (0, 1))
        yield (
            f"{pid}\t{ids['video'][L.clip_video(c)]}\t{ids['frame'][p]}\t{t - 3:.3f}\t{t + 3:.3f}"
            f"\tthe optic disc shows cupping {p}\t{{{segs}}}\tpaired\t{NULL}\n"
        )


def pair_verdicts(L: Layout, ids: Ids) -> Iterator[str]:
    for p, pid in enumerate(ids["pair"]):
        c, _ = L.frame_time(p)
        status = "dropped\tno visual cue" if p % 5 == 0 else f"kept\t{NULL}"
        yield f"{pid}\t{ids['video'][L.clip_video(c)]}\t{status}\t{CUES_PER_PAIR}\t0.7\n"


def cues(L: Layout, ids: Ids) -> Iterator[str]:
    for q in range(L.cues):
        p, i = divmod(q, CUES_PER_PAIR)
        yield (
            f"{uid('cue', q)}\t{ids['pair'][p]}\t{i}\tas you can see here, sentence {i}\t{NULL}\t{NULL}"
            f"\t{'t' if i % 2 == 0 else 'f'}\t0.{5 + i}\tdeictic phrase\trule"
            f"\t{NULL}\t{NULL}\t{NULL}\tbench\n"
        )


def instructions(L: Layout, ids: Ids) -> Iterator[str]:
    for n, iid in enumerate(ids["instruction"]):
        p = owner(n, L.instructions, L.pairs)
        turns = (
            f'[{{"role": "user", "text": "What does image {n} show?"}}, {{"role": "assistant", '
            f'"text": "An optic disc with a cup to disc ratio of 0.{n % 9 + 1}."}}]'
        )
        status, error = ("failed", "timeout") if _outcome(n) == "failed" else ("generated", NULL)
        yield (
            f"{iid}\t{ids['pair'][p]}\t{ids['frame'][p]}\t{('vqa', 'conversation', 'cot')[n % 3]}\t{turns}"
            f"\ttemplate\t{NULL}\tv3\t{status}\t{error}\tbench\n"
        )


def _outcome(n: int) -> str:
    return (("accepted",) * 14 + ("rejected",) * 4 + ("failed", "generated"))[n % 20]


def instruction_verdicts(L: Layout, ids: Ids) -> Iterator[str]:
    for n, iid in enumerate(ids["instruction"]):
        if (status := _outcome(n)) in ("accepted", "rejected"):
            reasons = '["grounded"]' if status == "rejected" else NULL
            digest = hashlib.sha256(iid.encode()).hexdigest()
            yield f"{iid}\t{status}\t{reasons}\t{digest}\t{digest[::-1]}\n"


def verifications(L: Layout, ids: Ids) -> Iterator[str]:
    for n, iid in enumerate(ids["instruction"]):
        for k, check in enumerate(CHECK_NAMES):
            passed = "f" if (n + k) % 23 == 0 else "t"
            yield f"{uid('verification', n, check)}\t{iid}\t{check}\t{passed}\t0.9\t{check} ok\n"


def _run(stage: str, etype: str, key: str, vid: str, a: int, status: str, at: datetime, origin: str) -> str:
    error = "RuntimeError\tffmpeg exited 1" if status == "failed" else f"{NULL}\t{NULL}"
    runner = "cli" if origin.startswith(NULL) else "airflow"
    return (
        f"{uid('stage_run', stage, key, a)}\t{stage}\t{etype}\t{key}\t{vid}\t{a}\t{status}\t{error}"
        f'\t{"0" * 16}\t{{}}\tbench\t{NULL}\t{NULL}\t{{"rows": 5}}\t{runner}\t{origin}\t{at.isoformat()}'
        f"\t{(at + timedelta(seconds=3)).isoformat()}\t3.0\n"
    )


def stage_rows(L: Layout, ids: Ids) -> tuple[list[str], list[str]]:
    """stage_run (every attempt) and stage_state (the latest) for every video and stage: one video-stage
    in twenty failed once before a retry, one in a hundred is failed now; half ran under Airflow."""
    runs, states = [], []
    for v, vid in enumerate(ids["video"]):
        for s, stage in enumerate(STAGES):
            key, etype = (watch_url(v), "url") if stage == "acquire" else (vid, "video")
            ends = ["failed", "succeeded"] if (v + s) % 20 == 0 else ["succeeded"]
            if (v * 7 + s) % 100 == 0:
                ends[-1] = "failed"
            for a, status in enumerate(ends, start=1):
                at = T0 + timedelta(seconds=v * 60 + s * 5 + a)
                origin = (
                    f"ophin_process\t{stage}\t{v % 50}\t{a}\tscheduled__{v // 50}"
                    if v % 2 == 0
                    else "\t".join([NULL] * 5)
                )
                runs.append(_run(stage, etype, key, vid, a, status, at, origin))
            last = uid("stage_run", stage, key, len(ends))
            states.append(
                f"{uid('stage_state', stage, key)}\t{stage}\t{etype}\t{key}\t{vid}\t{ends[-1]}\t{'0' * 16}"
                f"\tbench\t{last}\n"
            )
    return runs, states


def gate_rows(L: Layout, ids: Ids) -> tuple[list[str], list[str]]:
    """A quality_run per (batch of 50 videos, stage) and the video_gate verdicts that point at it."""
    runs, gates = [], []
    for b in range(0, L.videos, 50):
        batch = ids["video"][b : b + 50]
        for s, stage in enumerate(STAGES):
            qid, ok = uid("quality_run", b, stage), (b // 50 + s) % 13 != 0
            summary = NULL if ok else "expect_column_values_to_not_be_null(t_s): 2 unexpected"
            at = (T0 + timedelta(seconds=b * 60 + s * 5 + 4)).isoformat()
            runs.append(
                f'{qid}\t{stage}\t{stage}_suite\tbatch-{b}\t{"t" if ok else "f"}\t{{"evaluated": 5}}\t{{}}'
                f"\t{{{','.join(batch)}}}\t{summary}\t{at}\n"
            )
            verdict = "t" if ok else "f"
            gates += [f"{uid('video_gate', v, stage)}\t{v}\t{stage}\t{qid}\t{verdict}\n" for v in batch]
    return runs, gates


def crawl_rows(L: Layout, ids: Ids) -> dict[str, list[str]]:
    """25 sources, 100 crawl runs, an archive of twice as many candidates as videos (half downloaded)."""
    out: dict[str, list[str]] = {
        "source": [
            f"{uid('source', i)}\tyoutube_search\tophthalmology lecture {i}\t100\n" for i in range(25)
        ],
        "crawl_run": [
            f"{uid('crawl_run', i)}\tsucceeded\t{(T0 + timedelta(hours=i)).isoformat()}\n" for i in range(100)
        ],
        "crawl_candidate": [],
        "crawl_sighting": [],
    }
    for i in range(2 * L.videos):
        cid, done = uid("candidate", i), i < L.videos
        status, reason, video = (
            ("downloaded", NULL, ids["video"][i]) if done else ("rejected", "no licence", NULL)
        )
        out["crawl_candidate"].append(
            f"{cid}\tyoutube b{i:010d}\t{watch_url(i)}\t{uid('source', i % 25)}\t{status}\t{reason}"
            f"\t{video}\n"
        )
        out["crawl_sighting"].append(f"{uid('sighting', i)}\t{uid('crawl_run', i % 100)}\t{cid}\tnew\n")
    return out


def releases(L: Layout, ids: Ids) -> Iterator[str]:
    for r in range(3):
        where = f"s3://ophin/releases/{r}/"
        sizes = f"{L.instructions}\t{L.frames}"
        yield f"{uid('release', r)}\tllava,sharegpt,hf\t{where}\t{sizes}\t{'0' * 64}\t{{}}\n"


def _listed(make: Callable[[Layout, Ids], tuple[list[str], list[str]]], i: int) -> Callable[..., list[str]]:
    return lambda L, ids: make(L, ids)[i]


def _crawl(table: str) -> Callable[..., list[str]]:
    return lambda L, ids: crawl_rows(L, ids)[table]


# (table, COPY columns, rows) in foreign-key order.
TABLES: tuple[tuple[str, str, Callable[[Layout, Ids], Iterator[str] | list[str]]], ...] = (
    (
        "video",
        "id, url, source_id, extractor, title, channel, duration_s, license, sha256, size_bytes, "
        "media_key, width, height, has_audio, discovered_via, license_ok, language, spoken_language",
        videos,
    ),
    ("video_alias", "id, url, video_id", aliases),
    ("clip", "id, video_id, index, start_s, end_s, boundary, params_hash", clips),
    (
        "transcript_segment",
        "id, video_id, index, start_s, end_s, text, avg_logprob, no_speech_prob, model, "
        "backend, source, language, params_hash",
        segments,
    ),
    (
        "frame",
        "id, video_id, clip_id, t_s, object_key, width, height, phash, selection, crop_box, sharpness, "
        "kept, drop_reason, modality, face_count, faces_blurred, clinical_score, params_hash",
        frames,
    ),
    (
        "pair",
        "id, video_id, frame_id, start_s, end_s, text, segment_ids, status, drop_reason",
        pairs,
    ),
    ("pair_verdict", "pair_id, video_id, status, reason, n_cues, cue_score", pair_verdicts),
    (
        "visual_cue",
        "id, pair_id, sentence_index, text, raw_text, corrections, is_visual, score, reason, "
        "scorer, model, prompt_version, llm, params_hash",
        cues,
    ),
    (
        "instruction",
        "id, pair_id, frame_id, kind, turns, generator, model, prompt_version, status, error, params_hash",
        instructions,
    ),
    (
        "instruction_verdict",
        "instruction_id, status, reject_reasons, fingerprint, near_key",
        instruction_verdicts,
    ),
    ("verification", 'id, instruction_id, "check", passed, score, detail', verifications),
    (
        "stage_run",
        "id, stage, entity_type, entity_key, video_id, attempt, status, error_class, error_message, "
        "params_hash, params, code_version, input_digest, model_version, output, runner, dag_id, task_id, "
        "map_index, try_number, run_id, started_at, finished_at, duration_s",
        _listed(stage_rows, 0),
    ),
    (
        "stage_state",
        "id, stage, entity_type, entity_key, video_id, status, params_hash, code_version, stage_run_id",
        _listed(stage_rows, 1),
    ),
    (
        "quality_run",
        "id, stage, suite, batch_key, success, statistics, result, video_ids, summary, checked_at",
        _listed(gate_rows, 0),
    ),
    ("video_gate", "id, video_id, stage, quality_run_id, success", _listed(gate_rows, 1)),
    ("source", "id, kind, target, max_items", _crawl("source")),
    ("crawl_run", "id, status, started_at", _crawl("crawl_run")),
    ("crawl_candidate", "id, key, url, source_id, status, reason, video_id", _crawl("crawl_candidate")),
    ("crawl_sighting", "id, crawl_run_id, candidate_id, outcome", _crawl("crawl_sighting")),
    ("release", "id, format, location, n_records, n_images, content_sha256, manifest", releases),
)
