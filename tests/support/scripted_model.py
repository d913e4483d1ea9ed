"""A scripted model for the OpenAI-compatible fake server: it reads which of the engine's prompts it got
(from the response_format schema), answers it with valid JSON built from the prompt, and can be told to
misbehave (garbage, 429, a reply slower than the client's timeout) a given number of times per prompt kind."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from typing import Any

from ophin.cues.lexicon import find_terms, terms_of_kind
from ophin.cues.rules import RuleCueScorer

RULES = RuleCueScorer(0.5)
# The question the scripted synthesis writes per instruction kind (the judge sees it in its prompt).
QUESTIONS = {
    "vqa": "What is the main finding in this image?",
    "conversation": "What do you notice first?",
    "cot": "Examine this image step by step.",
}


def prompt_text(request: dict[str, Any]) -> str:
    """The first user message's text (the repair request repeats it, then adds the rejected reply)."""
    content = request["messages"][0]["content"]
    if isinstance(content, str):
        return content
    return " ".join(part["text"] for part in content if part.get("type") == "text")


def prompt_kind(request: dict[str, Any]) -> str:
    schema = request.get("response_format", {}).get("json_schema", {}).get("schema", {})
    props = set(schema.get("properties", {}))
    if "turns" in props:
        return "synthesis"
    if "grounded" in props:
        return "judge"
    if "sentences" in props:
        return "cues"
    raise AssertionError(f"a prompt the scripted model does not know: {sorted(props)}")


NEGATED = re.compile(r"\b(?:no|not|without)\b", re.IGNORECASE)  # a cue the model reads as denying


def prompt_section(prompt: str, title: str) -> list[str]:
    """The lines of one section of a synthesis prompt ("Cues", "Relations you may cite"), unnumbered."""
    if f"\n{title}:\n" not in prompt:
        return []
    block = re.split(r"\n\n[A-Z][^\n]*:\n", prompt.split(f"\n{title}:\n", 1)[1], maxsplit=1)[0]
    lines = (re.sub(r"^(?:[-*]|\d+\.)\s+", "", line).strip() for line in block.splitlines())
    return [line for line in lines if line and line != "(none)"]


def scripted_turns(prompt: str) -> list[tuple[str, str]]:
    """What a model following the synthesis prompt writes, without paraphrase: a VQA answers with the
    first cue; a conversation asks about each cue in turn; a chain of thought names what the affirmed cues
    show (not a cue sentence: the verifier refuses steps that repeat another kind's answer), cites the
    offered relations and concludes."""
    cues, relations = prompt_section(prompt, "Cues"), prompt_section(prompt, "Relations you may cite")
    if "step by step" in prompt:
        affirmed = [cue for cue in cues if not NEGATED.search(cue)]
        named = list(
            dict.fromkeys(
                m.term.label for cue in affirmed for m in terms_of_kind(find_terms(cue), "finding", "anatomy")
            )
        )
        the = " and the ".join(named) or "structures described"
        meaning = " ".join(relations) or f"The {the} {'is' if len(named) == 1 else 'are'} visible."
        steps = f"Step 1: Observation: the image shows the {the}. Step 2: Interpretation: {meaning}"
        return [("human", QUESTIONS["cot"]), ("gpt", f"{steps} Conclusion: the {the}.")]
    if "conversation" in prompt:
        asks = [QUESTIONS["conversation"]] + ["What else is visible?"] * (len(cues) - 1)
        return [turn for ask, cue in zip(asks, cues, strict=True) for turn in (("human", ask), ("gpt", cue))]
    return [("human", QUESTIONS["vqa"]), ("gpt", cues[0])]


class ScriptedModel:
    def __init__(self, timeout_sleep_s: float = 1.5) -> None:
        self.faults: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        self.calls: dict[str, int] = defaultdict(int)
        self.models: list[str] = []
        self.answered: list[tuple[str, str | None]] = []  # (the request's messages as JSON, its fault)
        self.timeout_sleep_s = timeout_sleep_s
        self.reject_kind: str | None = None  # the judge refuses instructions of this kind (vqa, cot, ...)
        self._lock = threading.Lock()

    def fail(self, kind: str, fault: str, times: int = 1, when: str | None = None) -> None:
        """fault: garbage (not JSON), 429 (Retry-After: 0), timeout (answers after the client gave up);
        when: only for prompts containing this text."""
        with self._lock:
            self.faults[kind].extend([(fault, when)] * times)

    def _take_fault(self, kind: str, prompt: str) -> str | None:
        for i, (fault, when) in enumerate(self.faults[kind]):
            if when is None or when in prompt:
                del self.faults[kind][i]
                return fault
        return None

    def __call__(self, request: dict[str, Any]) -> str | dict[str, Any]:
        kind, text = prompt_kind(request), prompt_text(request)
        with self._lock:
            self.calls[kind] += 1
            self.models.append(request["model"])
            fault = self._take_fault(kind, text)
            self.answered.append((json.dumps(request["messages"], sort_keys=True), fault))
        if fault == "garbage":
            return "Sure! Here is what I think about the image: it is interesting."
        if fault == "429":
            return {"status": 429, "headers": {"Retry-After": "0"}}
        if fault == "timeout":
            time.sleep(self.timeout_sleep_s)
        return json.dumps(getattr(self, kind)(text))

    def cues(self, prompt: str) -> dict[str, Any]:
        block = prompt.split("Sentences to label:", 1)[1]
        numbered = re.findall(r"^(\d+)\. (.+)$", block, flags=re.MULTILINE)
        verdicts = []
        for index, sentence in numbered:
            visual = RULES.score_one(sentence).is_visual  # a model that agrees with the rules
            verdicts.append(
                {"index": int(index), "visual": visual, "score": 0.9 if visual else 0.1, "reason": "scripted"}
            )
        return {"sentences": verdicts}

    def synthesis(self, prompt: str) -> dict[str, Any]:
        return {"turns": [{"role": r, "text": t} for r, t in scripted_turns(prompt)]}

    def judge(self, prompt: str) -> dict[str, Any]:
        refuse = self.reject_kind is not None and QUESTIONS[self.reject_kind] in prompt
        return {
            "grounded": not refuse,
            "faithful_to_image": None,
            "invented_findings": ["a conclusion the cues do not state"] if refuse else [],
            "clinically_plausible": True,
            "score": 0.2 if refuse else 0.9,
            "reason": "adds a conclusion" if refuse else "every claim is in the cues",
        }
