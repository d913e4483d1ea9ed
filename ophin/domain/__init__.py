"""Pure domain values: deterministic ids and object keys. No I/O."""
