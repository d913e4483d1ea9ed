"""PHI recall and precision of find_phi on the labelled sentences, per half; the eponym false-positive rate.

Run: make eval-phi (or python -m eval.phi_report [--json] [--show-dev-errors]). A sentence is found when a
find_phi span overlaps every labelled name span; precision counts sentences flagged by any PHI kind.
Halves: `dev` and `dev2` are for development (their errors may be shown and studied); `heldout` is only
ever summarised, so it keeps measuring text the detector was not tuned on.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ophin.domain.phi import find_phi

SENTENCES = Path(__file__).parent / "phi" / "sentences.jsonl"
TARGETS = {"recall": 0.98, "eponym_false_positive_rate": 0.02}
DEVELOPMENT = ("dev", "dev2")
HALVES = (*DEVELOPMENT, "heldout")


def evaluate(rows: list[dict[str, Any]], detect=find_phi) -> dict[str, Any]:  # noqa: ANN001
    tp = fp = fn = eponyms = eponym_fp = 0
    errors: list[dict[str, Any]] = []
    for row in rows:
        matches = detect(row["text"])
        flagged = bool(matches)
        if row["has_phi"]:
            found = all(any(m.start < e and s < m.end for m in matches) for s, e in row["spans"])
            tp += found
            fn += not found
            if not found:
                errors.append({"miss": row["text"], "category": row["category"]})
        elif flagged:
            fp += 1
            errors.append({"false_positive": row["text"], "category": row["category"]})
        if row["category"] == "eponym":
            eponyms += 1
            eponym_fp += flagged
    return {
        "sentences": len(rows),
        "with_phi": tp + fn,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "eponym_sentences": eponyms,
        "eponym_false_positive_rate": round(eponym_fp / eponyms, 4) if eponyms else 0.0,
        "errors": errors,
    }


def report(path: Path = SENTENCES) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    find_phi("warm up")  # the name lists load once (about 1 s); timing is per sentence after that
    started = time.perf_counter()
    out = {half: evaluate([r for r in rows if r["half"] == half]) for half in HALVES}
    out["all"] = evaluate(rows)
    out["ms_per_sentence"] = round(1000 * (time.perf_counter() - started) / (2 * len(rows)), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--show-dev-errors",
        action="store_true",
        help="dev and dev2 errors; the held-out half's are never shown",
    )
    args = parser.parse_args()
    figures = report()
    if args.json:
        print(
            json.dumps(
                {
                    k: ({**v, "errors": len(v["errors"])} if isinstance(v, dict) else v)
                    for k, v in figures.items()
                },
                indent=2,
            )
        )
        return
    for half in (*HALVES, "all"):
        f = figures[half]
        marks = {
            k: "ok" if (f[k] >= t if k == "recall" else f[k] <= t) else "BELOW TARGET"
            for k, t in TARGETS.items()
        }
        print(
            f"{half:8} sentences {f['sentences']:4}  with PHI {f['with_phi']:4}  recall {f['recall']:.4f} "
            f"({marks['recall']})  precision {f['precision']:.4f}  eponym FP rate "
            f"{f['eponym_false_positive_rate']:.4f} of {f['eponym_sentences']} "
            f"({marks['eponym_false_positive_rate']})"
        )
    print(f"{figures['ms_per_sentence']} ms per sentence")
    if args.show_dev_errors:
        for half in DEVELOPMENT:
            for error in figures[half]["errors"]:
                print(half, json.dumps(error, ensure_ascii=False))


if __name__ == "__main__":
    main()
