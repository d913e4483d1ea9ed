"""The minimum of LLaMA-Factory's ``extras`` that the vendored data files import."""
