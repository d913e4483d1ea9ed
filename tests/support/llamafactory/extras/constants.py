"""The constants of LLaMA-Factory's extras/constants.py (commit ff6d4d12eeb0) that the vendored files use."""

import os

DATA_CONFIG = "dataset_info.json"
AUDIO_PLACEHOLDER = os.getenv("AUDIO_PLACEHOLDER", "<audio>")
IMAGE_PLACEHOLDER = os.getenv("IMAGE_PLACEHOLDER", "<image>")
VIDEO_PLACEHOLDER = os.getenv("VIDEO_PLACEHOLDER", "<video>")
