"""Export leaves out a frame that repeats, within a phash distance, a frame of an earlier video."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Frame, Video
from ophin.db.session import session_scope
from ophin.imaging.phash_index import cross_video_duplicates
from ophin.pipeline import run_urls
from ophin.stages.export import CROSS_VIDEO_DUPLICATE, export_release
from tests.conftest import make_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.media import cut, ffmpeg, one_figure_narrated_twice
from tests.support.release import llava_records
from tests.support.scripted_model import ScriptedModel, prompt_section, scripted_turns


def test_export_leaves_out_a_figure_repeated_in_another_video(tmp_path, db_url, transcriber) -> None:  # noqa: ANN001
    # One fundus photograph in two videos, each narrating other findings of it.
    urls = [video.resolve().as_uri() for video in one_figure_narrated_twice(tmp_path)]
    svc = make_services(tmp_path / "h", db_url, transcriber)
    assert run_urls(urls, svc).ok
    with session_scope(svc.sessions) as session:
        pairs = cross_video_duplicates(session, 6)
        video_of = dict(session.execute(select(Frame.id, Frame.video_id)).all())
        first_video = session.scalars(select(Video.id).order_by(Video.url)).first()
    assert pairs, "the two cuts' fundus keyframes should be near-duplicates"
    assert all(video_of[dup] != video_of[orig] for dup, orig in pairs)
    assert all(video_of[orig] == first_video for _, orig in pairs)  # the earlier video keeps its frame

    plain = export_release(tmp_path / "plain", svc=svc, cross_video_phash_distance=0)
    deduped = export_release(tmp_path / "deduped", svc=svc, cross_video_phash_distance=6)
    assert plain.left_out == {} and plain.records > 0
    left = deduped.left_out[CROSS_VIDEO_DUPLICATE]
    assert left > 0 and deduped.records == plain.records - left
    records = llava_records(tmp_path / "deduped")
    exported = {r["source"]["frame_id"] for r in records}
    assert not exported & {str(dup) for dup, _ in pairs}
    manifest = json.loads((tmp_path / "deduped" / "manifest.json").read_text())
    assert manifest["left_out"] == {CROSS_VIDEO_DUPLICATE: left}


class ClauseModel(ScriptedModel):
    """Answers a VQA or a conversation from its own clause of the cues and a chain of thought from the
    findings they name, so a pair narrated in one sentence still gets kinds that do not repeat each other;
    the same cues always get the same answers."""

    def synthesis(self, prompt: str) -> dict[str, Any]:
        lines = prompt_section(prompt, "Cues")
        clauses = [c.strip(" .") for line in lines for c in re.split(r"[,;]", line) if c.strip(" .")]
        if "step by step" in prompt:  # names what the cues show, as the scripted model does
            turns = scripted_turns(prompt)
        elif "conversation" in prompt:
            turns = [("human", "What do you notice first?"), ("gpt", f"{clauses[-1]}.")]
        else:
            turns = [("human", "What is the main finding in this image?"), ("gpt", f"{clauses[0]}.")]
        return {"turns": [{"role": r, "text": t} for r, t in turns]}


def test_verify_keeps_the_first_of_twins_across_and_within_videos(tmp_path, db_url, transcriber) -> None:  # noqa: ANN001
    """The duplicate check's invariant over a real batch with one figure narrated in two videos: no two
    accepted instructions are exact twins, or say the same about near-identical images; each rejected twin
    names one that was accepted before it."""
    import re

    from ophin.adapters.vision import hash_distance
    from ophin.db.models import Instruction, InstructionVerdict
    from ophin.pipeline import params_for

    src = demo_videos()[0]
    first = cut(src, tmp_path / "first.mp4", 16.0, 14.0)
    again = tmp_path / "second.mp4"  # the same cut, picture encoded again: other bytes, the same speech
    ffmpeg("-i", str(first), "-c:v", "libx264", "-crf", "30", "-c:a", "copy", str(again))
    urls = [first.resolve().as_uri(), again.resolve().as_uri()]
    # A model that answers the same cues the same way, so the second video repeats the first one's
    # instructions. The offline template would not do: it varies its phrasing by pair id on purpose, so
    # whether two videos' pairs phrase alike is chance (it broke when a keyframes param changed the ids).
    llm = {"backend": "openai", "api_key": "test-key", "model": "fake-vlm", "max_retries": 0}
    with FakeOpenAIServer(ClauseModel()) as server:
        svc = make_services(
            tmp_path / "h",
            db_url,
            transcriber,
            llm=llm | {"base_url": server.base_url},
            cues={"scorer": "rule-lexicon"},
            verify={"judge": "none"},
        )
        assert run_urls(urls, svc).ok
    max_distance = params_for(svc).verify.near_duplicate_phash
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(InstructionVerdict, Frame.phash)
            .join(Instruction, Instruction.id == InstructionVerdict.instruction_id)
            .join(Frame, Frame.id == Instruction.frame_id)
        ).all()
    accepted = [(v, ph) for v, ph in rows if v.status == "accepted"]
    assert accepted
    for n, (a, pa) in enumerate(accepted):
        for b, pb in accepted[n + 1 :]:
            assert a.fingerprint != b.fingerprint
            assert a.near_key != b.near_key or hash_distance(pa, pb) > max_distance
    by_id = {v.instruction_id: v for v, _ in rows}
    twins = [(v, r) for v, _ in rows for r in v.reject_reasons or [] if r.startswith("not_duplicate")]
    assert twins, "the second encoding of the same cut should repeat the first one's instructions"
    for item, reason in twins:
        first = by_id[uuid.UUID(re.search(r"instruction ([0-9a-f-]{36})", reason).group(1))]
        assert first.status == "accepted" and first.instruction_id != item.instruction_id
