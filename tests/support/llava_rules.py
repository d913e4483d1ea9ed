"""LLaVA's own data rules, vendored: ``preprocess_multimodal`` and the role loop of ``preprocess_v1``.

From https://github.com/haotian-liu/LLaVA, llava/train/train.py at commit c121f0432da2 (Apache-2.0,
Copyright 2023 Haotian Liu). ``preprocess_multimodal`` is verbatim; the constants are llava/constants.py's, and
``conversation_lib`` / ``LLAVA_DATA_ARGS`` stand for what ``train()`` sets for LLaVA-1.5 (conversation
``vicuna_v1``, ``is_multimodal`` True, ``mm_use_im_start_end`` False).
"""

# ruff: noqa: E501, UP006, UP035 - the vendored function is kept byte for byte

from __future__ import annotations

from types import SimpleNamespace
from typing import Dict, Sequence

DEFAULT_IMAGE_TOKEN = "<image>"
DEFAULT_IM_START_TOKEN = "<im_start>"
DEFAULT_IM_END_TOKEN = "<im_end>"

conversation_lib = SimpleNamespace(default_conversation=SimpleNamespace(version="v1", roles=("USER", "ASSISTANT")))
DataArguments = SimpleNamespace  # llava.train.train.DataArguments, as far as preprocess_multimodal reads it
LLAVA_DATA_ARGS = DataArguments(is_multimodal=True, mm_use_im_start_end=False, image_aspect_ratio="pad")


# --- verbatim: llava/train/train.py@c121f0432da2, lines 308-329 -------------------------------------------
def preprocess_multimodal(
    sources: Sequence[str],
    data_args: DataArguments
) -> Dict:
    is_multimodal = data_args.is_multimodal
    if not is_multimodal:
        return sources

    for source in sources:
        for sentence in source:
            if DEFAULT_IMAGE_TOKEN in sentence['value']:
                sentence['value'] = sentence['value'].replace(DEFAULT_IMAGE_TOKEN, '').strip()
                sentence['value'] = DEFAULT_IMAGE_TOKEN + '\n' + sentence['value']
                sentence['value'] = sentence['value'].strip()
                if "mmtag" in conversation_lib.default_conversation.version:
                    sentence['value'] = sentence['value'].replace(DEFAULT_IMAGE_TOKEN, '<Image>' + DEFAULT_IMAGE_TOKEN + '</Image>')
            replace_token = DEFAULT_IMAGE_TOKEN
            if data_args.mm_use_im_start_end:
                replace_token = DEFAULT_IM_START_TOKEN + replace_token + DEFAULT_IM_END_TOKEN
            sentence["value"] = sentence["value"].replace(DEFAULT_IMAGE_TOKEN, replace_token)

    return sources
# --- end verbatim ------------------------------------------------------------------------------------------


def check_roles_v1(source: list[dict]) -> None:
    """The role loop of ``preprocess_v1`` (train.py lines 420-433): human, gpt, human, ... asserted per turn.

    LLaVA silently drops a first turn that is not human; a release must not rely on that, so it is refused.
    """
    conv = conversation_lib.default_conversation
    roles = {"human": conv.roles[0], "gpt": conv.roles[1]}
    if roles[source[0]["from"]] != conv.roles[0]:
        raise ValueError(f"first turn is from {source[0]['from']!r}; LLaVA would skip it")
    for j, sentence in enumerate(source):
        role = roles[sentence["from"]]  # an unknown role is a KeyError in LLaVA too
        if role != conv.roles[j % 2]:  # LLaVA: assert role == conv.roles[j % 2]
            raise ValueError(f"turn {j} is from {sentence['from']!r}: roles must alternate")
