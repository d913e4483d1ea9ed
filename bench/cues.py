"""Visual-cue separation against the sample corpus's hand labels (`describes_image`): the rule scorer, and the
LLM scorer when a model server answers, on the demo and held-out sets (lectures, then lectures + footage).

The held-out set is for reporting only: tune the lexicon or the prompt on demo, never on heldout.

    python -m bench.cues [--base-url URL] [--model NAME] [--response-format json_object] [--sets demo]

The LLM scorer runs with the OPHIN_LLM__* and OPHIN_CUES__* settings (a flag overrides one); the frame is not
attached (the bench scores the labelled text, and the local model cannot see).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import openai

from eval.corpus import SETS
from eval.quality.cue_accuracy import corpus_truth, cue_accuracy
from ophin.cues.base import CueContext, CueScorer, CueVerdict
from ophin.cues.llm import LLMCueScorer
from ophin.cues.rules import RuleCueScorer
from ophin.llm.client import LlmCall, LlmClient, Sampling, StructuredOutputError
from ophin.llm.local_server import served_models
from ophin.settings import get_settings

FAILURES = (ValueError, openai.OpenAIError)  # what the cue stage records as a failed pair


class Recording:
    """A scorer that notes the LLM requests behind the verdicts it passes on (one per batch)."""

    def __init__(self, scorer: CueScorer) -> None:
        self.scorer = scorer
        self.name, self.version = scorer.name, scorer.version
        self.calls: dict[int, LlmCall] = {}

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        try:
            verdicts = self.scorer.score(sentences, context)
        except StructuredOutputError as exc:
            self.calls[id(exc.call)] = exc.call
            raise
        for v in verdicts:
            if v.llm is not None:
                self.calls[id(v.llm)] = v.llm
        return verdicts


def measure(scorer: CueScorer, sets: Sequence[str] = SETS) -> list[dict[str, Any]]:
    rows = []
    for set_name in sets:
        for part, footage in (("lectures", False), ("all", True)):
            recording = Recording(scorer)
            started = time.perf_counter()
            result = cue_accuracy(recording, corpus_truth(set_name, footage=footage), errors=FAILURES)
            calls = [c for c in recording.calls.values() if not c.cached]
            rows.append(
                {
                    "scorer": scorer.name,
                    "set": set_name,
                    "part": part,
                    **result,
                    "wall_s": round(time.perf_counter() - started, 1),
                    "requests": sum(c.attempts for c in calls),
                    "repaired": sum(1 for c in calls if c.attempts == 2),
                    "cached": sum(1 for c in recording.calls.values() if c.cached),
                    "prompt_tokens": sum(c.prompt_tokens for c in calls),
                    "completion_tokens": sum(c.completion_tokens for c in calls),
                }
            )
            print(
                f"{scorer.name} {set_name} {part}: F1 {rows[-1]['f1']}, {rows[-1]['wall_s']} s",
                file=sys.stderr,
            )
    return rows


def llm_scorer(args: argparse.Namespace) -> LLMCueScorer | str:
    """The LLM scorer on the server at --base-url (else OPHIN_LLM__BASE_URL), or why there is none."""
    settings = get_settings()
    base_url = args.base_url or settings.llm.base_url
    models = served_models(base_url)
    if models is None:
        return f"no model server answers at {base_url}"
    model = args.model or (settings.llm.model if settings.llm.model in models or not models else models[0])
    raw = openai.OpenAI(base_url=base_url, api_key=settings.llm.api_key, timeout=600, max_retries=0)
    client = LlmClient(
        raw,
        model,
        max_retries=settings.llm.max_retries,
        response_format=args.response_format or settings.llm.response_format,
    )
    cues = settings.cues
    sampling = Sampling(
        settings.llm.temperature, args.max_tokens or settings.llm.max_tokens, settings.llm.seed
    )
    return LLMCueScorer(
        client,
        sampling,
        prefilter=RuleCueScorer(cues.threshold),
        min_rule_score=cues.llm_prefilter,
        batch_size=cues.llm_batch_size,
        threshold=cues.threshold,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server (default OPHIN_LLM__BASE_URL)")
    parser.add_argument(
        "--model", help="model name to request (default OPHIN_LLM__MODEL, else the served one)"
    )
    parser.add_argument("--response-format", choices=("json_schema", "json_object", "none"))
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--no-llm", action="store_true", help="the rule scorer only")
    parser.add_argument("--mistakes", action="store_true", help="list every wrongly labelled sentence")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = get_settings()
    scorers: list[CueScorer] = [RuleCueScorer(settings.cues.threshold)]
    note = "--no-llm"
    if not args.no_llm:
        llm = llm_scorer(args)
        if isinstance(llm, str):
            note = llm
        else:
            scorers.append(llm)
    rows = [row for scorer in scorers for row in measure(scorer, args.sets)]
    if args.json:
        print(json.dumps({"rows": rows, "scorers": [f"{s.name}/{s.version}" for s in scorers]}, indent=2))
        return
    _print(rows, scorers, note, args.mistakes)


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _print(rows: list[dict[str, Any]], scorers: list[CueScorer], note: str, mistakes: bool) -> None:
    for scorer in scorers:
        print(f"{scorer.name}: {scorer.version}")
    if len(scorers) == 1:
        print(f"LLM scorer not run: {note}")
    head = f"{'scorer':<13} {'set':<8} {'part':<9} {'n':>3} {'acc':>6} {'prec':>6} {'recall':>6} {'F1':>6}"
    print(
        head
        + f" {'tp/fp/fn/tn':>12} {'failed':>6} {'reqs':>4} {'repair':>6} {'tokens in/out':>14} {'wall s':>6}"
    )
    for r in rows:
        counts = f"{r['tp']}/{r['fp']}/{r['fn']}/{r['tn']}"
        tokens = f"{r['prompt_tokens']}/{r['completion_tokens']}"
        print(
            f"{r['scorer']:<13} {r['set']:<8} {r['part']:<9} {r['n']:>3} {_fmt(r['accuracy']):>6} "
            f"{_fmt(r['precision']):>6} {_fmt(r['recall']):>6} {_fmt(r['f1']):>6} {counts:>12} "
            f"{len(r['failed']):>6} {r['requests']:>4} {r['repaired']:>6} {tokens:>14} {r['wall_s']:>6}"
        )
    for r in rows:
        for failure in r["failed"]:
            print(f"  failed ({r['scorer']}, {r['set']}): {failure['window']}: {failure['error'][:200]}")
        if mistakes and r["part"] == "all":
            for m in r["mistakes"]:
                label = "missed" if m["truth"] else "false cue"
                where = f"{r['scorer']}, {r['set']}, {m['score']:.2f}"
                print(f"  {label} ({where}): {m['sentence']}  [{m['reason']}]")


if __name__ == "__main__":
    main()
