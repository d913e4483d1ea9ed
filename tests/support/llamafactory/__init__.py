"""LLaMA-Factory's dataset code (commit ff6d4d12eeb0, Apache-2.0), vendored to load a release as it would.

See README.md: which files are verbatim and which are the minimum stubs they import.
"""
