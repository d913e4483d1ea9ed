"""LLaMA-Factory's hub switches: a release is a local folder, never ModelScope or Modelers."""


def use_modelscope() -> bool:
    return False


def use_openmind() -> bool:
    return False
