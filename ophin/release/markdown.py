"""Untrusted text in Markdown: one line, escaped, so a hostile title can neither end a table cell nor start
a link, an HTML tag or a metadata block."""

from __future__ import annotations

import re
from urllib.parse import quote

from ophin.release.public import check_public

# Characters that mean something inline in Markdown (or to the Hub's renderer: $ for maths, & for entities).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~$])")
# Kept as they are in an autolink; everything else (spaces, <, >, |, `, brackets, parentheses) is encoded.
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(value: object) -> str:
    """Untrusted text as one line: control characters and line breaks become single spaces."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def md(value: object, missing: str = "unknown") -> str:
    """Untrusted text as inline Markdown (a table cell, a list item): one line, every special character
    escaped, so a title can neither end a cell nor start a link, an HTML tag or a YAML block."""
    if value is None or value == "":
        return missing
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))


def md_url(url: str | None) -> str:
    """A web URL as an autolink (percent-encoded, so it cannot close the link or a cell); others as text."""
    if url and re.match(r"https?://", url) and check_public(url) is None:
        return f"<{quote(one_line(url), safe=_URL_SAFE)}>"
    return md(url)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of already-escaped cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
