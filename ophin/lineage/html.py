"""Server-side HTML of the lineage pages: every value escaped (Jinja2 autoescape), hrefs http(s) only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from ophin.lineage.templates import TEMPLATES


def http_href(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL, else None: never a javascript:, data: or file: link."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def seconds(value: object) -> str:
    if value is None:
        return "-"
    total = float(value)  # type: ignore[arg-type]
    minutes, rest = divmod(total, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def score(value: object) -> str:
    return "-" if value is None else f"{float(value):.2f}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Links:
    """Paths of this app's pages under its mount point (e.g. /ophin); every part is percent-encoded."""

    prefix: str

    def ti(self, dag_id: str, run_id: str, task_id: str, map_index: int | None) -> str:
        parts = (dag_id, run_id, task_id, str(-1 if map_index is None else map_index))
        return f"{self.prefix}/ti/" + "/".join(quote(str(p), safe="") for p in parts)

    def id(self, oid: object) -> str:
        return f"{self.prefix}/id/{quote(str(oid), safe='')}"

    def frame_image(self, oid: object) -> str:
        return f"{self.prefix}/frames/{quote(str(oid), safe='')}.jpg"

    def home(self) -> str:
        return f"{self.prefix}/"

    def search(self) -> str:
        return f"{self.prefix}/search"


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.DictLoader(TEMPLATES),
        autoescape=True,  # untrusted text everywhere: titles, channels, transcripts, answers, errors
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(http_href=http_href, seconds=seconds, score=score)
    return env


def render(template: str, prefix: str, **context: Any) -> str:
    return _environment().get_template(template).render(u=Links(prefix.rstrip("/")), **context)


def task_instance_page(data: dict[str, Any], prefix: str) -> str:
    return render("ti.html", prefix, data=data, title=f"Task {data['task_instance']['task_id']}")


def id_page(data: dict[str, Any], prefix: str) -> str:
    return render("id.html", prefix, data=data, title=f"{data['kind']} {data['id']}")


def home_page(recent: list[dict[str, Any]], prefix: str, message: str | None = None) -> str:
    return render("home.html", prefix, recent=recent, message=message, title="OphIn lineage")


def error_page(message: str, prefix: str) -> str:
    return render("home.html", prefix, recent=[], message=message, title="Not found")
