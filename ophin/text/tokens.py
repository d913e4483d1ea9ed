"""One word tokeniser for the engine's prose: what a word is, built from one letter class, one digit class and
the joiners that may sit inside a word. Modules pick the variant they need; none writes its own."""

from __future__ import annotations

import re

LETTER = r"[^\W\d_]"  # a letter of any script ("é", "ü"): \w less digits and the underscore
LETTERS = rf"{LETTER}+"
ALNUM = r"[^\W_]+"  # letters and digits
APOSTROPHES = "'’"  # straight and curly: ASR writes the first, captions and slides often the second
NUMBER = r"\d+(?:\.\d+)?"
FRACTION = rf"{NUMBER}(?:/{NUMBER})?"  # "0.8", "20/40"

# A word: letters, with apostrophes inside ("Bruch's", "don’t"); a hyphen or a digit ends it.
WORD = re.compile(rf"{LETTERS}(?:[{APOSTROPHES}]{LETTERS})*")
# A word whose hyphenated parts stay together ("cup-to-disc", "Mary-Anne").
HYPHENATED_WORD = re.compile(rf"{LETTERS}(?:[{APOSTROPHES}-]{LETTERS})*")
# What a reader counts as one word: words and numbers, hyphenated or with apostrophes ("20/40" is two).
TOKEN = re.compile(rf"{ALNUM}(?:[{APOSTROPHES}-]{ALNUM})*")
LETTER_RUN = re.compile(LETTERS)  # every non-letter separates: "don't" -> "don", "t"
ALNUM_RUN = re.compile(ALNUM)  # every non-alphanumeric separates


def words(text: str) -> list[str]:
    """The words of text, as written, in order (WORD)."""
    return WORD.findall(text)


def count_words(text: str) -> int:
    """How many words and numbers text holds, a hyphenated compound counting once (TOKEN)."""
    return len(TOKEN.findall(text))
