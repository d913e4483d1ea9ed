"""A LLaMA-Factory logger whose warnings raise: in the data code a warning means a broken example."""

from __future__ import annotations

import logging


class BrokenExample(ValueError):
    """LLaMA-Factory would have warned (and skipped the example or used a path that is not there)."""


class _RaisingLogger(logging.Logger):
    def info_rank0(self, *args: object, **kwargs: object) -> None:
        self.info(*args, **kwargs)

    def warning_rank0(self, msg: object, *args: object, **kwargs: object) -> None:
        raise BrokenExample(str(msg))

    def warning_rank0_once(self, msg: object, *args: object, **kwargs: object) -> None:
        raise BrokenExample(str(msg))


def get_logger(name: str | None = None) -> _RaisingLogger:
    return _RaisingLogger(name or "llamafactory")
