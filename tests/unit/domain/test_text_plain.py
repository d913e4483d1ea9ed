from __future__ import annotations

import pytest

from ophin.domain.text import clean_text, plain_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>CC</b>-BY 4.0", "CC-BY 4.0"),  # inline tags join, they do not split words
        ("<p>one</p><p>two</p>", "one two"),  # block tags separate words
        ("before<script>alert('x')</script><style>p{}</style>after", "beforeafter"),
        ("<!DOCTYPE html><!-- note --><html><body>hi</body></html>", "hi"),
        ("Licensed <a href='https://x/'>CC BY</a>", "Licensed CC BY"),
        ("broken <b><i>markup", "broken markup"),
        ("a < b and c > d", "a < b and c > d"),  # comparison signs are not tags
        ("AT&amp;T &copy; 2020 &#8212; &#x41;", "AT&T © 2020 — A"),
        ("&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt;", "bold"),  # double-escaped markup
        ("AT&T", "AT&T"),
        ("[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)", "CC BY 4.0"),
        ("**bold** and _it_ and ~~gone~~ and `code`", "bold and it and gone and code"),
        ("snake_case 2*3*4 file_name_here", "snake_case 2*3*4 file_name_here"),  # not emphasis
        ("a\u202eevil\u202c\u200bb\ufeff\u2066c\u2069", "aevilbc"),  # bidi overrides and zero-width
        ("line one\n\n\tline\x00 two\r\n", "line one line two"),
        ("e\u0301", "\u00e9"),  # NFC via clean_text
    ],
)
def test_plain_text_strips_markup_entities_and_invisible_controls(raw: str, expected: str) -> None:
    assert plain_text(raw, 200) == expected


def test_plain_text_cuts_at_a_word_boundary_within_the_cap() -> None:
    text = "Creative Commons Attribution-ShareAlike 4.0 International"
    assert plain_text(text, 30) == "Creative Commons…"  # not "...Attribution-…": that word would be cut
    assert plain_text(text, 40) == "Creative Commons Attribution-ShareAlike…"
    for cap in range(1, len(text)):
        got = plain_text(text, cap)
        assert len(got) <= cap and got.endswith("…") and text.startswith(got[:-1].rstrip())


def test_plain_text_cuts_a_single_long_word_mid_word() -> None:
    got = plain_text("x" * 50, 10)
    assert got == "x" * 9 + "…"


def test_plain_text_keeps_text_that_fits_and_returns_none_for_nothing() -> None:
    assert plain_text("exactly ten", 11) == "exactly ten"
    assert plain_text(None, 10) is None
    assert plain_text("<br><script>x</script>  \u200b", 10) is None
    assert plain_text(42, 10) == "42"


def test_clean_text_is_unchanged() -> None:
    assert clean_text("a\x00b  \t c", 4) == "a b "
