"""The text layer under refine, cues and verification: words (tokens.py), negation (negation.py), fuzzy
matching (fuzzy.py)."""
