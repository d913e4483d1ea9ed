"""Adapters: one external tool each (object store, ffmpeg, ASR backends, OCR, vision), behind a Protocol."""
