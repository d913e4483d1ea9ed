"""One streaming writer per release format; ``WRITERS`` maps each format's name to its writer."""

from __future__ import annotations

from ophin.release.formats.base import FormatWriter
from ophin.release.formats.hf import HfWriter
from ophin.release.formats.llava import LlavaWriter
from ophin.release.formats.sharegpt import SharegptWriter

WRITERS: dict[str, type[FormatWriter]] = {
    writer.name: writer for writer in (LlavaWriter, SharegptWriter, HfWriter)
}
FORMATS = tuple(WRITERS)

__all__ = ["FORMATS", "WRITERS", "FormatWriter"]
