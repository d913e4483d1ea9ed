"""Quality of a release against a corpus with ground truth: outside the engine, which never imports it.

``vocab`` (the evaluation's own terms) and ``truth`` (scenes, their findings, diagnoses and modality) feed
``trainer`` (what a VLM trainer measures on the records) and ``grounding`` (precision, recall, fidelity,
non-words, PHI); ``report`` reads the database and prints the figures against their targets; ``oracle``
answers the engine's ASR with the true narration (``python -m eval.quality --transcripts oracle``), an
ablation that shows what recognition costs.
"""
