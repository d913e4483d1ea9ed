"""Evaluation beside the engine: labelled sets and reports that measure it (the engine never imports this)."""
