"""Visual cue separation: which transcript sentences describe the image, scored by rules or a model."""
