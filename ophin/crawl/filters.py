"""What a candidate must be, besides licensed, to be worth downloading: duration, language, not live or
age-restricted. Each rule reads listing or probe metadata and names itself in the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ophin.settings import CrawlSettings


@dataclass(frozen=True)
class CrawlFilters:
    min_duration_s: float = 30.0
    max_duration_s: float = 4 * 3600.0
    languages: tuple[str, ...] = ("en",)
    skip_live: bool = True
    max_age_limit: int = 0
    max_filesize_bytes: int | None = None

    @classmethod
    def from_settings(cls, s: CrawlSettings, max_filesize_mb: int) -> CrawlFilters:
        langs = tuple(p.strip().lower() for p in s.languages.split(",") if p.strip())
        return cls(
            s.min_duration_s, s.max_duration_s, langs, s.skip_live, s.max_age_limit, max_filesize_mb * 2**20
        )

    def reject(self, meta: dict[str, Any]) -> tuple[str, str] | None:
        """(rule, reason) for the first rule the metadata breaks; None when it passes (unknowns pass)."""
        live = meta.get("live_status")
        if self.skip_live and (meta.get("is_live") or live in ("is_live", "is_upcoming", "post_live")):
            return "live", f"live stream ({live or 'is_live'})"
        age = meta.get("age_limit")
        if isinstance(age, int) and age > self.max_age_limit:
            return "age_restricted", f"age-restricted ({age}+)"
        duration = meta.get("duration")
        if isinstance(duration, int | float):
            if duration < self.min_duration_s:
                return "duration", f"{duration:.0f} s is shorter than {self.min_duration_s:.0f} s"
            if duration > self.max_duration_s:
                return "duration", f"{duration:.0f} s is longer than {self.max_duration_s:.0f} s"
        language = str(meta.get("language") or "").lower()
        if language and self.languages and not language.startswith(self.languages):
            return "language", f"language {language!r} is not one of {', '.join(self.languages)}"
        size = meta.get("filesize") or meta.get("filesize_approx")
        if self.max_filesize_bytes and isinstance(size, int | float) and size > self.max_filesize_bytes:
            return "too_large", f"{size / 2**20:.0f} MB is over the {self.max_filesize_bytes // 2**20} MB cap"
        return None
