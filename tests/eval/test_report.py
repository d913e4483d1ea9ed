"""The report's own measures can fail: planted PHI is found, missed targets are reported as missed."""

from __future__ import annotations

from eval.quality.report import TARGETS, QualityReport, _leaks, _planted_phi, _words


def test_planted_phi_and_its_identifying_parts_are_found() -> None:
    truth = {
        "v.mp4": {
            "scenes": [
                {"phi_text": ["Jane Doe", "MRN 448812"], "sentences": [{"text": "x", "phi": ["John Smith"]}]},
            ]
        }
    }
    planted = _planted_phi(truth)
    assert {"Jane Doe", "448812", "Smith", "John Smith"} <= set(planted) and "MRN" not in planted
    assert _leaks("The fundus of Mr Smith shows drusen.", planted)
    assert _leaks("Record 448812 is attached.", planted)
    assert not _leaks("The fundus shows drusen at the macula.", planted)


def test_report_marks_each_missed_target() -> None:
    good = {name: (target if op == ">=" else 0) for name, (op, target) in TARGETS.items()}
    assert all(QualityReport("s", figures=good).passed().values())
    bad = {**good, "fidelity": 0.5, "phi_leaks": 1}
    passed = QualityReport("s", figures=bad).passed()
    assert not passed["fidelity"] and not passed["phi_leaks"] and passed["unblurred_faces"]


def test_fidelity_words_fold_spelling_and_skip_frames_but_not_claims() -> None:
    assert _words("Haemorrhages near the centre.") == _words("hemorrhages near the center")
    assert "keeping" not in _words("In keeping with drusen.")
    assert "abnormal" in _words("Abnormal: drusen.")
