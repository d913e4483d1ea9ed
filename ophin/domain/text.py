"""Sanitising untrusted text (titles, descriptions, transcripts) before it reaches the database."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object, max_chars: int = 2000) -> str | None:
    """NFC, no NULs or control characters (Postgres rejects NUL), collapsed runs of blanks, bounded length."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:max_chars] or None


# Bidi embeddings/overrides/isolates, zero-width characters, soft hyphen, BOM: invisible, and able to make
# a licence string read differently from what it holds ("Trojan Source").
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
# A marker counts as emphasis only when it hugs a word on both sides, so snake_case and 2*3 survive.
_EMPHASIS = re.compile(r"(?<![\w*~])(\*\*|__|~~|\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w*~])")
# Tags that separate words when rendered; inline ones (b, i, span, a) must not split "CC" from "-BY".
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table tbody td tfoot th thead title tr ul".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = tag
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skipping:
            self._skipping = None
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self.parts.append(data)


def _strip_markup(text: str) -> str:
    if not _TAG_START.search(text):
        return html.unescape(text)
    parser = _TextOnly()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # malformed declarations in some Python versions; keep what parsed
        pass
    return "".join(parser.parts)


def plain_text(value: object, max_chars: int) -> str | None:
    """One line of plain text: no tags, entities, markdown or invisible controls; cut at a word to fit."""
    if value is None:
        return None
    text = str(value)
    # Again while it changes (at most thrice): a double-escaped source ("&amp;lt;b&amp;gt;") holds markup
    # after its first unescape.
    for _ in range(3):
        stripped = _strip_markup(text)
        if stripped == text:
            break
        text = stripped
    text = _MARKDOWN_LINK.sub(r"\1", text)
    for _ in range(3):  # nested emphasis (**_x_**) unwraps one level per pass
        text = _EMPHASIS.sub(r"\2", text)
    text = _INVISIBLE.sub("", text.replace("`", ""))
    # Markup whitespace carries no meaning, so newlines collapse along with the rest.
    text = clean_text(" ".join(text.split()), max(len(text), 1))
    if text is None or len(text) <= max_chars:
        return text
    if max_chars < 1:
        return None
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars // 2:  # a word boundary not too far back; else cut mid-word
        cut = cut[:space]
    return cut.rstrip() + "…"
