"""No false corrections on correct text: the sample corpus's true narration must come through unchanged."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ophin.refine.lexicon import LexiconRefiner

# Ground truth is read only as known-correct English; nothing in the refiner is tuned on it.
SETS = ("demo", "dev", "heldout")


def _narrations(name: str) -> list[list[str]]:
    path = resources.files("eval.corpus").joinpath(name, "ground_truth.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [[s["text"] for scene in v["scenes"] for s in scene["sentences"]] for v in data["videos"]]


@pytest.mark.parametrize("name", SETS)
def test_refine_true_narration_changes_nothing(name: str) -> None:
    refiner = LexiconRefiner()
    checked = 0
    changed = []
    for sentences in _narrations(name):
        for i, sentence in enumerate(sentences):
            context = " ".join(sentences[max(i - 2, 0) : i] + sentences[i + 1 : i + 3])
            out = refiner.refine(sentence, context)
            checked += 1
            if out.corrections:
                changed.append((sentence, out.corrections))
    assert checked > 20
    assert changed == []
