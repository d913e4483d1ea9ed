"""The PHI labelled set's figures meet issue 22's targets (eval/phi_report.py); a miss is a red figure."""

from __future__ import annotations

import json
from pathlib import Path

from eval.phi_report import SENTENCES, TARGETS, report


def test_phi_report_meets_the_targets_on_both_halves() -> None:
    rows = [json.loads(line) for line in Path(SENTENCES).read_text().splitlines()]
    assert len(rows) >= 300
    figures = report()
    for half in ("dev", "heldout"):
        assert figures[half]["recall"] >= TARGETS["recall"], (half, figures[half]["recall"])
        assert figures[half]["eponym_false_positive_rate"] <= TARGETS["eponym_false_positive_rate"], half
