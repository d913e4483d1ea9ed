"""Post-verification: per-instruction and per-record checks (grounding, vocabulary, claims) and the judge."""
