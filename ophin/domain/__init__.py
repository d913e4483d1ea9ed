"""Pure domain values: ids, object keys, text and URL cleaning, transcripts, PHI patterns. No I/O."""
