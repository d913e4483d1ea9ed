"""The PHI labelled set's figures meet issue 22's targets (eval/phi_report.py); a miss is a red figure."""

from __future__ import annotations

import json
from pathlib import Path

from eval.phi_report import DEVELOPMENT, HALVES, SENTENCES, TARGETS, report

HELDOUT_RECALL_FLOOR = 0.96


def test_phi_report_meets_the_targets_on_development_halves_and_holds_the_heldout_floor() -> None:
    rows = [json.loads(line) for line in Path(SENTENCES).read_text().splitlines()]
    assert len(rows) >= 300
    assert {r["half"] for r in rows} == set(HALVES)
    assert sum(r["half"] == "dev2" for r in rows) >= 150
    figures = report()
    for half in (*HALVES, "all"):
        assert figures[half]["eponym_false_positive_rate"] <= TARGETS["eponym_false_positive_rate"], half
    for half in DEVELOPMENT:
        assert figures[half]["recall"] >= TARGETS["recall"], (half, figures[half]["recall"])
    # The held-out half is never tuned on: below the 0.98 target, its recall is a red figure in the report
    # (make eval-phi), not a failed build; this floor catches a regression below the last measured 0.9688.
    assert figures["heldout"]["recall"] >= HELDOUT_RECALL_FLOOR, ("heldout", figures["heldout"]["recall"])
