# Copyright 2025 HuggingFace Inc. and the LlamaFactory team.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Only ``BasePlugin._validate_messages`` of LLaMA-Factory's data/mm_plugin.py (commit ff6d4d12eeb0).

The body is verbatim; ``self`` is unused there, so it is a plain function. Every template's
``process_messages`` calls it before tokenizing: an image count that differs from the placeholder count fails.
"""

from __future__ import annotations

from typing import Any

from ..extras.constants import AUDIO_PLACEHOLDER, IMAGE_PLACEHOLDER, VIDEO_PLACEHOLDER


def _validate_messages(
    messages: list[dict[str, str]],
    images: list[Any],
    videos: list[Any],
    audios: list[Any],
):
    r"""Validate if the number of images, videos and audios match the number of placeholders in messages."""
    num_image_tokens, num_video_tokens, num_audio_tokens = 0, 0, 0
    for message in messages:
        num_image_tokens += message["content"].count(IMAGE_PLACEHOLDER)
        num_video_tokens += message["content"].count(VIDEO_PLACEHOLDER)
        num_audio_tokens += message["content"].count(AUDIO_PLACEHOLDER)

    if len(images) != num_image_tokens:
        raise ValueError(
            f"The number of images does not match the number of {IMAGE_PLACEHOLDER} tokens in {messages}."
        )

    if len(videos) != num_video_tokens:
        raise ValueError(
            f"The number of videos does not match the number of {VIDEO_PLACEHOLDER} tokens in {messages}."
        )

    if len(audios) != num_audio_tokens:
        raise ValueError(
            f"The number of audios does not match the number of {AUDIO_PLACEHOLDER} tokens in {messages}."
        )
