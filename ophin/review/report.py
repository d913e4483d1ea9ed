"""`ophin review report`: verdict rates with Wilson intervals, each verification check measured against the
labels (precision, recall, confusion), F1-best thresholds as suggestions, and agreement between reviewers.

One verdict per instruction (the reviewers' majority, the worse on a tie, see stats.consensus). The labelled
set is what people could read, hundreds of rows: it is loaded whole; nothing else is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Frame, Instruction, InstructionVerdict, Verification
from ophin.db.review_models import ReviewItem, ReviewLabel
from ophin.db.verdicts import INSTRUCTION_STATUS, INSTRUCTION_VERDICT
from ophin.review.stats import (
    best_threshold,
    confusion,
    consensus,
    pairwise_kappa,
    pooled_kappa,
    rates_by,
    refusal_direction,
    verdict_rates,
)
from ophin.review.vocabulary import TAGS

VERIFIER = "(verifier)"  # the overall verdict: the instruction was rejected
GROUPS = ("kind", "modality", "generator", "status")


def build_report(labels: Iterable[Mapping[str, Any]], checks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The report from label rows (instruction_id, reviewer, verdict, tags, kind, modality, generator, status)
    and verification rows (instruction_id, check, passed, score) of the labelled instructions."""
    labels = list(labels)
    verdicts: dict[Any, list[str]] = {}
    about: dict[Any, Mapping[str, Any]] = {}
    for row in labels:
        verdicts.setdefault(row["instruction_id"], []).append(row["verdict"])
        about[row["instruction_id"]] = row
    judged = [
        {**about[i], "verdict": consensus(v)} for i, v in sorted(verdicts.items(), key=lambda x: str(x[0]))
    ]
    bad = {row["instruction_id"]: row["verdict"] == "bad" for row in judged}

    per_check: dict[str, list[tuple[bool, float | None, bool]]] = {}  # check -> (passed, score, bad)
    for row in checks:
        if row["instruction_id"] in bad:
            per_check.setdefault(row["check"], []).append(
                (row["passed"], row["score"], bad[row["instruction_id"]])
            )
    measured = [
        {
            "check": VERIFIER,
            **confusion((r["status"] == "rejected", bad[r["instruction_id"]]) for r in judged).to_json(),
        }
    ]
    thresholds = []
    for name in sorted(per_check):
        rows = per_check[name]
        measured.append({"check": name, **confusion((not passed, b) for passed, _, b in rows).to_json()})
        scored = [(score, passed, b) for passed, score, b in rows if score is not None]
        if scored:
            direction = refusal_direction((s, p) for s, p, _ in scored)
            best = best_threshold([(s, b) for s, _, b in scored], direction)
            thresholds.append(
                {"check": name, "n": len(scored), **(best.to_json() if best else {"threshold": None})}
            )
    tag_counts = {t: sum(t in (row.get("tags") or ()) for row in labels) for t in TAGS}
    rated = [(str(r["instruction_id"]), r["reviewer"], r["verdict"]) for r in labels]
    return {
        "labels": len(labels),
        "instructions": len(judged),
        "reviewers": sorted({row["reviewer"] for row in labels}),
        "rates": {"overall": verdict_rates([r["verdict"] for r in judged])}
        | {group: rates_by(judged, group) for group in GROUPS},
        "checks": measured,
        "thresholds": thresholds,
        "agreement": pairwise_kappa(rated),
        "agreement_pooled": pooled_kappa(rated),
        "tags": tag_counts,
    }


def review_report(session: Session, batch_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The report over every label, or over the labels on one batch's items."""
    labelled = select(ReviewLabel.instruction_id)
    if batch_id is not None:
        in_batch = select(ReviewItem.instruction_id).where(ReviewItem.batch_id == batch_id)
        labelled = labelled.where(ReviewLabel.instruction_id.in_(in_batch))
    label_rows = session.execute(
        select(
            ReviewLabel.instruction_id,
            ReviewLabel.reviewer,
            ReviewLabel.verdict,
            ReviewLabel.tags,
            Instruction.kind,
            Instruction.generator,
            INSTRUCTION_STATUS.label("status"),
            Frame.modality,
        )
        .join(Instruction, Instruction.id == ReviewLabel.instruction_id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
        .where(ReviewLabel.instruction_id.in_(labelled))
    ).mappings()
    check_rows = session.execute(
        select(
            Verification.instruction_id, Verification.check, Verification.passed, Verification.score
        ).where(Verification.instruction_id.in_(labelled))
    ).mappings()
    report = build_report(list(label_rows), list(check_rows))
    report["batch"] = str(batch_id) if batch_id else None
    return report


def _pct(value: float | None) -> str:
    return "  -  " if value is None else f"{100 * value:5.1f}%"


def _rate_line(name: str, rates: Mapping[str, Any]) -> str:
    cells = []
    for verdict in ("good", "usable", "bad"):
        r = rates[verdict]
        interval = f"[{_pct(r['low']).strip()}, {_pct(r['high']).strip()}]" if r["low"] is not None else ""
        cells.append(f"{verdict} {_pct(r['rate'])} {interval:<16}")
    return (f"  {name:<22} n={rates['n']:<5} " + " ".join(cells)).rstrip()


def report_text(report: Mapping[str, Any]) -> str:
    """The report for a terminal: what share is bad, with what confidence, and which check lets it through."""
    lines = [
        f"{report['labels']} label(s) on {report['instructions']} instruction(s) by "
        f"{len(report['reviewers'])} reviewer(s)"
        + (f", batch {report['batch']}" if report.get("batch") else ""),
        "",
        "Verdict rates (Wilson 95 % intervals; one verdict per instruction, the majority, worse on a tie):",
        _rate_line("all", report["rates"]["overall"]),
    ]
    for group in GROUPS:
        lines.append(f" by {'verifier verdict' if group == 'status' else group}:")
        lines += [_rate_line(name, rates) for name, rates in report["rates"][group].items()]
    lines += ["", "Checks against the labels (refused = predicts bad; fp = false alarm, fn = a miss):"]
    lines.append(f"  {'check':<22} {'n':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} precision recall    f1")
    for c in report["checks"]:
        lines.append(
            f"  {c['check']:<22} {c['n']:>5} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {c['tn']:>4} "
            f"{_pct(c['precision']):>9} {_pct(c['recall']):>6} {_pct(c['f1']):>6}"
        )
    lines += ["", "Suggested thresholds (F1-best on these labels; a suggestion, nothing is changed):"]
    for t in report["thresholds"]:
        if t["threshold"] is None:
            lines.append(
                f"  {t['check']:<22} nothing to fit ({t['n']} scored; needs two scores and a bad label)"
            )
        else:
            side = "<" if t["direction"] == "below" else ">"
            lines.append(
                f"  {t['check']:<22} refuse when score {side} {t['threshold']:.4g}: "
                f"precision {_pct(t['precision']).strip()}, recall {_pct(t['recall']).strip()}, "
                f"F1 {_pct(t['f1']).strip()} (n={t['n']})"
            )
    if not report["thresholds"]:
        lines.append("  (no scored check on the labelled instructions)")
    lines += ["", "Agreement between reviewers (Cohen's kappa on good/usable/bad):"]
    for a in report["agreement"]:
        kappa = "undefined" if a["kappa"] is None else f"{a['kappa']:.3f}"
        lines.append(f"  {a['reviewers'][0]} / {a['reviewers'][1]}: kappa {kappa} on {a['n']} shared item(s)")
    if not report["agreement"]:
        lines.append("  (no instruction labelled by two reviewers)")
    pooled = report["agreement_pooled"]
    if pooled["n"] > 1:
        kappa = "undefined" if pooled["kappa"] is None else f"{pooled['kappa']:.3f}"
        lines.append(
            f"  all pairs pooled: kappa {kappa}, agreement {pooled['agreement']:.1%} on {pooled['n']} item(s)"
        )
    tags = ", ".join(f"{t} {n}" for t, n in report["tags"].items() if n)
    lines += ["", f"Reason tags: {tags or 'none'}"]
    return "\n".join(lines) + "\n"
