"""The PHI labelled sentence set (sentences.jsonl) and how it was made (build_sentences.py)."""
