"""heldout2 narration (``script``) kept beside its videos: held-out data, never read while tuning."""
