"""Quality of a release against a corpus with ground truth: outside the engine, which never imports it."""
