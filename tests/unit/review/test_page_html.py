"""The review page's keyboard map and text helpers: each verdict and tag has a key, no key does two things."""

from __future__ import annotations

from ophin.review.page_assets import CORRECTION_KEY, TAG_KEYS, VERDICT_KEYS, key_map
from ophin.review.page_html import cot_steps
from ophin.review.vocabulary import TAGS, VERDICTS


def test_key_map_covers_the_vocabulary_with_distinct_keys() -> None:
    assert tuple(VERDICT_KEYS) == VERDICTS and tuple(TAG_KEYS) == TAGS
    keys = [k for ks in VERDICT_KEYS.values() for k in ks] + list(TAG_KEYS.values()) + [CORRECTION_KEY]
    assert len(keys) == len(set(keys)) == 3 * 2 + 8 + 1
    assert all(len(k) == 1 and k == k.lower() for k in keys)  # the script lower-cases what is typed
    assert key_map()["verdicts"] == {
        "1": "good",
        "g": "good",
        "2": "usable",
        "u": "usable",
        "3": "bad",
        "b": "bad",
    }
    assert key_map()["tags"]["p"] == "phi" and len(key_map()["tags"]) == len(TAGS)


def test_cot_steps_split_lines_or_inline_steps() -> None:
    engine = "Step 1: Drusen are seen.\nStep 2: Drusen mean ageing.\nConclusion: early AMD."
    assert cot_steps(engine) == [
        "Step 1: Drusen are seen.",
        "Step 2: Drusen mean ageing.",
        "Conclusion: early AMD.",
    ]
    model = "Step 1: Cupping. Step 2: Rim thinning. Step 3: Glaucoma suspected."
    assert cot_steps(model) == ["Step 1: Cupping.", "Step 2: Rim thinning.", "Step 3: Glaucoma suspected."]
    assert cot_steps("One plain answer.") == ["One plain answer."]
