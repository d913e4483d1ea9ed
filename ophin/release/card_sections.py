"""Card sections measured from the released data: how the text was made, the record schema with one real
record, the citation, and the limitations the data itself shows."""

from __future__ import annotations

import json
from typing import Any

from ophin.release.markdown import md

# Names the offline generator writes on instruction rows (ophin.synthesis.offline): fixed templates.
TEMPLATE_GENERATORS = ("offline", "template")

CITATION = """```bibtex
@article{dong2026ophin500k,
  title   = {OphIn-500K: Multimodal Instruction Data for Ophthalmology from Open Lecture Video},
  author  = {Dong and others},
  journal = {arXiv preprint arXiv:2605.27916},
  year    = {2026}
}
@software{ophin_engine,
  title   = {OphIn Engine: an ETL from ophthalmology lecture video to image-instruction records},
  version = {%s},
  year    = {2026}
}
```"""

SCHEMA = (
    ("id", "string", "the instruction id (uuid)"),
    ("kind", "string", "vqa | conversation | cot"),
    ("turns / conversations", "list", "human first, alternating, ending with the answer"),
    ("image", "path or image", "the de-identified keyframe"),
    (
        "video_id, video_url, video_title, creator, license, upload_date",
        "string",
        "the source and its credit",
    ),
    ("frame_id, frame_time_s", "string, float", "which keyframe, at which second of the video"),
    (
        "window_start_s, window_end_s, pair_id",
        "float, float, string",
        "the narration window it was made from",
    ),
    ("modality", "string", "the frame's modality label (automatic)"),
    ("generator, model, prompt_version, served_model", "string", "what wrote the text"),
)


def is_template(model: dict[str, Any]) -> bool:
    name = str(model.get("model") or "").lower()
    return any(word in name for word in TEMPLATE_GENERATORS)


def how_text_was_made(models: list[dict[str, Any]], config: dict[str, Any]) -> str:
    """One phrase per synthesis entry, with its record count, read from the records' own rows."""
    stage = (config.get("stages") or {}).get("synthesize") if isinstance(config.get("stages"), dict) else None
    parts = []
    for m in models:
        if m.get("role") != "synthesis":
            continue
        n = m.get("records", 0)
        if is_template(m):
            version = f" v{md(stage)}" if stage is not None else ""
            parts.append(f"templates (offline generator `{md(m.get('model'))}`{version}): {n} records")
        else:
            served = f", served as `{md(m.get('served_model'))}`" if m.get("served_model") else ""
            prompt = f", prompt {md(m.get('prompt_version'))}" if m.get("prompt_version") else ""
            parts.append(f"the language model `{md(m.get('model'))}`{served}{prompt}: {n} records")
    return "; ".join(parts) or "no record says what wrote it"


def schema_section(example: dict[str, Any] | None) -> str:
    rows = "\n".join(f"| {md(name)} | {md(kind)} | {md(what)} |" for name, kind, what in SCHEMA)
    text = "## Record schema\n\n| Field | Type | Meaning |\n|---|---|---|\n" + rows
    if example:
        body = json.dumps(example, indent=2, sort_keys=True, ensure_ascii=False)
        text += f"\n\nOne record of this release, as released:\n\n```json\n{body}\n```"
    return text


def citation_section(engine_version: str) -> str:
    return (
        "## Citation\n\nThe data engine follows *OphIn-500K* (Dong et al., 2026, arXiv 2605.27916). Cite the "
        "paper and this engine:\n\n" + CITATION % engine_version
    )


def measured_limitations(
    by_modality: dict[str, int],
    by_image: dict[str, int],
    models: list[dict[str, Any]],
    left_out: dict[str, int],
) -> list[str]:
    """What this release's own counts say a user should know."""
    total = sum(by_modality.values())
    items = []
    if by_modality:
        present = ", ".join(f"{md(k)} ({n})" for k, n in sorted(by_modality.items(), key=lambda kv: -kv[1]))
        items.append(
            f"**Views present.** Only these modalities occur (automatic labels): {present}; no other."
        )
    if by_image and total:
        image, top = max(by_image.items(), key=lambda kv: (kv[1], kv[0]))
        items.append(
            f"**Image concentration.** {len(by_image)} images; the most used carries {top} records "
            f"({100 * top / total:.0f}% of the release)."
        )
    if any(is_template(m) for m in models if m.get("role") == "synthesis"):
        items.append(
            "**Template text.** Answers reuse the lecturer's transcribed sentences inside fixed templates: "
            "wording is narrow and any recognition error the checks missed is copied verbatim."
        )
    if left_out:
        why = "; ".join(f"{md(k)}: {n}" for k, n in sorted(left_out.items()))
        items.append(f"**Left out at release.** {why}.")
    return items


def review_section(review: dict[str, Any]) -> str:
    """What people's review labels said of the release's candidates, and what the release did with them."""
    reviewed, candidates = review["reviewed"], review["candidates"]
    head = "## Human review\n\n"
    if not reviewed:
        return head + (
            f"None of the {candidates} candidate records (accepted instructions of gated, licensed videos) "
            "was reviewed by a person."
        )
    counts = (
        f"{reviewed} of the {candidates} candidate records (accepted instructions of gated, licensed videos) "
        f"were reviewed by people: **{review['good']} good, {review['usable']} usable, {review['bad']} bad** "
        f"(per record, {md(review['consensus'])})."
    )
    mode = review["mode"]
    if mode == "off":
        done = (
            "This release did not use the labels: the records reviewed bad are in it "
            "(`ophin export --reviewed exclude-bad` leaves them out)."
        )
    else:
        n = review["left_out"]
        done = f"{_records(n)} reviewed bad {'was' if n == 1 else 'were'} left out (`--reviewed {mode}`)."
    if mode == "corrected":
        n = review["corrected"]
        answers = "1 answer was" if n == 1 else f"{n} answers were"
        done += f" {answers} replaced by a reviewer's correction."
    return head + counts + " " + done + " The records not reviewed were judged by the automatic checks only."


def _records(n: int) -> str:
    return "1 record" if n == 1 else f"{n} records"
