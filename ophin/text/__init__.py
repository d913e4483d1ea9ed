"""The text layer under refine, cues and verification: fuzzy matching (fuzzy.py), negation (negation.py)."""
