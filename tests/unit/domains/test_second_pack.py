"""The seam, proven with the second shipped pack: OPHIN_DOMAIN=dermatology runs one narrated image through
cue scoring, synthesis and verification (tests/support/domain_probe.py, in a process of its own because the
lexicon is compiled at import), with no engine code changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ophin.domains.pack import load

ROOT = Path(__file__).resolve().parents[3]
NARRATION = [
    "Good morning everyone and welcome to this lecture.",
    "Here you can see a well-demarcated erythematous plaque with silvery scale on the elbow.",
    "At the edge of the plaque there are small papules.",
    "You can also see a few pustules near the nail.",
    "Psoriasis affects about two per cent of the population.",
]

# Mis-hearings of the pack's refiner.json, and a "wheel" that is one only in a sentence about the skin.
HEARD = [
    "There is a well-demarcated plaque typical of sorry asis on the elbow.",
    "Raised wheels on the skin of the forearm come and go within a day.",
    "The wheels of the car left a graze on the skin.",
]


@pytest.fixture(scope="module")
def probed() -> dict:
    env = {**os.environ, "OPHIN_DOMAIN": "dermatology"}
    run = [sys.executable, "-m", "tests.support.domain_probe", json.dumps(NARRATION), json.dumps(HEARD)]
    out = subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout)


def test_the_dermatology_pack_is_small_and_cited() -> None:
    pack = load("dermatology")
    lex = pack.lexicon
    assert 35 <= len(lex.anatomy) + len(lex.findings) + len(lex.diagnoses) + len(lex.modalities) <= 50
    assert len(pack.knowledge.relations) == 10
    assert all(pack.knowledge.citations[r.source] for r in pack.knowledge.relations)


def test_cue_scoring_keeps_what_is_shown_and_drops_the_rest(probed: dict) -> None:
    assert probed["pack"] == "dermatology"
    assert probed["cues"] == NARRATION[1:4]  # no greeting, no epidemiology
    assert {"plaque", "scale", "papule", "pustule", "psoriasis"} <= set(probed["terms"])


def test_every_kind_is_written_and_passes_verification(probed: dict) -> None:
    records = probed["records"]
    assert set(records) == {"vqa", "conversation", "cot"}  # three findings: a conversation too
    assert {kind: r["failed"] for kind, r in records.items()} == {"vqa": [], "conversation": [], "cot": []}
    cot = records["cot"]["turns"][1]
    assert "typical of psoriasis" in cot and "consistent with psoriasis" in cot  # the cited relation


def test_verification_refuses_an_invented_diagnosis_in_the_other_pack_too(probed: dict) -> None:
    assert any(line.startswith("diagnosis:") and "melanoma" in line for line in probed["invented_refused"])


def test_the_crawl_searches_the_packs_own_specialty(probed: dict) -> None:
    assert probed["queries"] == [
        f"{t} dermatology" for t in ("psoriasis", "melanoma", "dermoscopy", "nail", "skin biopsy")
    ]


def test_the_refiner_corrects_the_packs_own_mishearings(probed: dict) -> None:
    assert probed["refined"] == [
        "There is a well-demarcated plaque typical of psoriasis on the elbow.",
        "Raised wheals on the skin of the forearm come and go within a day.",
        "The wheels of the car left a graze on the skin.",  # vetoed: a car
    ]
