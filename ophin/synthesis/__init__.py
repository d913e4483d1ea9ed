"""Instruction synthesis: image-transcript pairs into VQA, conversations and CoT, by templates or a model."""
