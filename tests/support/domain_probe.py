"""Run in a process of its own with OPHIN_DOMAIN set: one narrated image through cue scoring, synthesis and
verification, printed as JSON (tests/unit/domains/test_second_pack.py reads it)."""

from __future__ import annotations

import json
import sys

from ophin.cues.lexicon import TERMS, find_terms
from ophin.cues.rules import RuleCueScorer
from ophin.domains.pack import current
from ophin.knowledge.taxonomy import taxonomy_queries
from ophin.refine.lexicon import LexiconRefiner
from ophin.synthesis.base import PairContext, Turn
from ophin.synthesis.offline import OfflineCueGenerator, applicable_kinds, knowledge_for
from ophin.verification.checks import CheckParams, check_instruction
from ophin.verification.record_checks import RecordContext, check_record


def failed(turns: tuple[Turn, ...], ctx: PairContext, kind: str, narration: list[str]) -> list[str]:
    """Every check the verify stage runs on a record, as "check: detail" for each that failed."""
    results = check_instruction(turns, ctx.cues, CheckParams(), knowledge=knowledge_for(ctx))
    results += check_record(turns, RecordContext(kind, ctx.modality, tuple(narration)))
    return [f"{r.check}: {r.detail}" for r in results if not r.passed]


def main() -> None:
    narration, heard = json.loads(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    verdicts = RuleCueScorer().score(narration)
    cues = [v.sentence for v in verdicts if v.is_visual]
    ctx = PairContext("probe", tuple(cues), " ".join(narration))
    records = {}
    for kind in applicable_kinds(ctx):
        turns = OfflineCueGenerator().generate(ctx, kind).turns
        records[kind] = {
            "turns": [t.text for t in turns],
            "failed": failed(turns, ctx, kind, narration),
        }
    invented = (Turn("human", "What does this image show?"), Turn("gpt", "This lesion is a melanoma."))
    print(
        json.dumps(
            {
                "pack": current().name,
                "terms": sorted({m.term.label for s in narration for m in find_terms(s, TERMS)}),
                "cues": cues,
                "records": records,
                "invented_refused": failed(invented, ctx, "vqa", narration),
                "queries": [q.query for q in taxonomy_queries()],
                "refined": [LexiconRefiner().refine(s).text for s in heard],
            }
        )
    )


if __name__ == "__main__":
    main()
