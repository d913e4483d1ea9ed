"""A model's reply read as JSON, and the error that says why a reply is not what was asked for."""

from __future__ import annotations

import json
import re
from typing import Any


class MalformedOutputError(ValueError):
    """LLM output that is not the JSON we asked for; message says what was wrong and quotes <=200 chars."""

    def __init__(self, problem: str, output: str | None) -> None:
        self.problem = problem
        self.output = output
        quoted = "<no content>" if output is None else repr(_excerpt(output))
        super().__init__(f"{problem}; output: {quoted}")


_FENCE = re.compile(r"^```[ \t]*(?:json)?[ \t]*\n?(.*?)\n?[ \t]*```$", re.DOTALL | re.IGNORECASE)


def load_json_reply(content: str) -> Any:
    """A model's reply as JSON, an optional ```json fence stripped; MalformedOutputError otherwise."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text:
        raise MalformedOutputError("empty output", content)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedOutputError(f"not valid JSON ({exc.msg} at char {exc.pos})", content) from exc


def _excerpt(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
