"""A real local object store that counts its downloads (and can be slowed to make them overlap)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

from ophin.adapters.object_store import LocalObjectStore


class CountingStore(LocalObjectStore):
    def __init__(self, root: Path, delay_s: float = 0.0) -> None:
        super().__init__(root)
        self.reads: Counter[str] = Counter()
        self.delay_s = delay_s
        self._lock = threading.Lock()

    def get_file(self, key: str, path: Path) -> None:
        with self._lock:
            self.reads[key] += 1
        time.sleep(self.delay_s)
        super().get_file(key, path)
