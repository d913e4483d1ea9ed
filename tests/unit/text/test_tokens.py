from __future__ import annotations

from ophin.adapters.asr_bias import slide_terms
from ophin.imaging.deid import name_shaped
from ophin.synthesis.phrases import noun_phrase_at
from ophin.text.tokens import HYPHENATED_WORD, LETTER_RUN, TOKEN, count_words, words


def test_words_keep_inner_apostrophes_straight_and_curly() -> None:
    assert words("Bruch's membrane isn’t thickened") == ["Bruch's", "membrane", "isn’t", "thickened"]


def test_words_split_at_hyphens_digits_and_underscores() -> None:
    assert words("cup-to-disc 0.6 in 2nd_eye") == ["cup", "to", "disc", "in", "nd", "eye"]


def test_words_take_letters_of_any_script() -> None:
    assert words("Müller cells, café-au-lait") == ["Müller", "cells", "café", "au", "lait"]


def test_words_refuse_edge_apostrophes_and_quotes() -> None:
    assert words("the patients' eyes, 'drusen'") == ["the", "patients", "eyes", "drusen"]


def test_a_curly_apostrophe_joins_a_word_as_the_straight_one_does() -> None:
    assert words("no drusen’s edge") == ["no", "drusen’s", "edge"]


def test_hyphenated_word_keeps_a_compound_whole() -> None:
    assert HYPHENATED_WORD.findall("Mary-Anne O'Neil, cup-to-disc-") == ["Mary-Anne", "O'Neil", "cup-to-disc"]


def test_count_words_counts_numbers_and_compounds_once() -> None:
    assert count_words("a cup-to-disc ratio of 0.6") == 6  # a, cup-to-disc, ratio, of, 0, 6
    assert TOKEN.findall("20/40 vision") == ["20", "40", "vision"]
    assert count_words("...") == 0


def test_letter_run_splits_at_every_non_letter() -> None:
    assert LETTER_RUN.findall("don't behçet") == ["don", "t", "behçet"]


# The modules that now share the tokeniser, where the shared one fixed what their own regex got wrong.


def test_name_shaped_sees_an_accented_name() -> None:
    assert name_shaped("José Müller")  # was split at "é" and "ü" into "Jos", "M", "ller": not a name
    assert name_shaped("Mary-Anne O'Neil")
    assert not name_shaped("OCT B-scan, right eye")


def test_slide_terms_find_a_quoted_term() -> None:
    assert "drusen" in slide_terms("'drusen'")  # the closing quote was read as part of the word


def test_noun_phrase_leaves_a_closing_quote_out() -> None:
    text = "answered by 'a large, pale cup'"
    start = text.index("cup")
    assert noun_phrase_at(text, start, start + 3) == "pale cup"
