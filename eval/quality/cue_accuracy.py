"""How well a cue scorer separates image-describing sentences, against hand-labelled truth (the sample
corpus's `describes_image`): accuracy, precision, recall and F1 over sentences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from ophin.cues.base import CueContext, CueScorer, CueVerdict


@dataclass(frozen=True)
class TruthSentence:
    text: str
    describes_image: bool
    window: str = ""  # sentences of one window are scored together, with the window's text as context
    transcript: str = ""


def corpus_truth(set_name: str, *, footage: bool = True) -> list[TruthSentence]:
    """Every labelled sentence of a sample-corpus set: one window per lecture scene, and per footage span
    (and its intro) when footage is on."""
    from eval.corpus import ground_truth

    truth = ground_truth(set_name)
    windows: list[tuple[str, list[dict[str, Any]]]] = [
        (f"{video['file']}#{scene['index']}", scene["sentences"])
        for video in truth["videos"]
        for scene in video["scenes"]
    ]
    if footage:
        for entry in truth.get("footage", []):
            if entry.get("intro"):
                windows.append((f"{entry['file']}#intro", entry["intro"]))
            windows += [
                (f"{entry['file']}#span{span['index']}", span["sentences"]) for span in entry["spans"]
            ]
    return [
        TruthSentence(s["text"], bool(s["describes_image"]), window, " ".join(t["text"] for t in sentences))
        for window, sentences in windows
        for s in sentences
    ]


def confusion(truth: Sequence[bool], predicted: Sequence[bool]) -> dict[str, Any]:
    """The figures of a binary labelling; a ratio with nothing to divide by is None, not a flattering 1."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} labels but {len(predicted)} predictions")
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(truth),
        "accuracy": (tp + tn) / len(truth) if truth else None,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def cue_accuracy(
    scorer: CueScorer,
    sentences_with_truth: Iterable[TruthSentence],
    *,
    errors: tuple[type[BaseException], ...] = (),
) -> dict[str, Any]:
    """Scores each window's sentences in one call (as the cue stage does) and compares with the truth;
    `mistakes` lists the sentences it got wrong, with the scorer's reason. A window whose scoring raises
    one of `errors` keeps none of its sentences (the stage keeps no cue of a failed pair) and is listed
    under `failed`; any other exception propagates."""
    items = list(sentences_with_truth)
    predicted: list[bool] = []
    mistakes: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for key, group in groupby(items, key=lambda t: (t.window, t.transcript)):
        window = list(group)
        try:
            verdicts = scorer.score([t.text for t in window], CueContext(transcript=window[0].transcript))
        except errors as exc:
            failed.append(
                {"window": key[0], "sentences": len(window), "error": f"{type(exc).__name__}: {exc}"}
            )
            verdicts = [CueVerdict(t.text, False, 0.0, "scoring failed") for t in window]
        if len(verdicts) != len(window):
            raise ValueError(f"{scorer.name} gave {len(verdicts)} verdicts for {len(window)} sentences")
        for item, verdict in zip(window, verdicts, strict=True):
            predicted.append(verdict.is_visual)
            if verdict.is_visual != item.describes_image:
                mistakes.append(
                    {
                        "sentence": item.text,
                        "truth": item.describes_image,
                        "score": verdict.score,
                        "reason": verdict.reason,
                    }
                )
    return {
        **confusion([t.describes_image for t in items], predicted),
        "mistakes": mistakes,
        "failed": failed,
    }
