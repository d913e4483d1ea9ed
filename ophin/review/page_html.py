"""The review page's HTML: the batch list with progress, and one item with the label form. Self-contained
(inline CSS and script, images from this server); every value escaped by Jinja2's autoescape."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import quote

from ophin.lineage.html import http_href, score, seconds
from ophin.review.page_assets import (
    CORRECTION_KEY,
    CSS,
    LIST_SCRIPT,
    SCRIPT,
    TAG_KEYS,
    VERDICT_KEYS,
    key_map,
)
from ophin.review.page_data import BatchProgress, ItemView
from ophin.review.vocabulary import TAG_HINTS

TITLE = "OphIn review"

_BASE = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · OphIn review</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>"""
    + CSS
    + """</style></head>
<body><header><a href="{{ list_url }}">OphIn review</a><a href="{{ prefix }}/">lineage</a>
{% block header %}{% endblock %}</header>
<main>{% block main %}{% endblock %}</main>
<noscript><p>Labels are saved by a small script on this page: allow JavaScript for this site.</p></noscript>
{% block script %}{% endblock %}</body></html>
"""
)

_LIST = """{% extends "base.html" %}
{% block main %}
<h1>Review batches</h1>
{% if message %}<p class="muted">{{ message }}</p>{% endif %}
{% if batches %}
<table class="batches"><tr><th>batch</th><th>drawn</th><th>items</th><th>labelled by you ({{ reviewer }})</th>
<th>labelled by anyone</th><th>your verdicts</th></tr>
{% for b in batches %}<tr>
<td><a class="resume" href="{{ batch_url(b) }}">{{ b.name }}</a></td>
<td>{{ b.created_at.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ b.items }}</td>
<td><span class="bar"><span style="width:{{ (100 * b.mine / b.items) if b.items else 0 }}%"></span></span>
 <span class="progress">{{ b.mine }} / {{ b.items }}</span></td>
<td>{{ b.anyone }} / {{ b.items }}</td>
<td>{% for v, n in b.verdicts.items() %}<span class="badge {{ v }}">{{ v }} {{ n }}</span> {% endfor %}</td>
</tr>{% endfor %}</table>
<p class="keys">Enter opens the highlighted batch at your first unlabelled item (↑ ↓ move).</p>
{% else %}<p class="empty">No review batch yet: draw one with <code>ophin review sample --n 100</code>.</p>
{% endif %}
{% endblock %}
{% block script %}<script nonce="{{ nonce }}">{{ list_script|safe }}</script>{% endblock %}
"""

_ITEM = """{% extends "base.html" %}
{% block header %}<span class="where">{{ v.batch.name }} · item <b class="position">{{ r.position + 1 }}</b>
 / {{ v.items }} · you labelled {{ v.mine }}</span>
{% if prev_url %}<a href="{{ prev_url }}" rel="prev">← previous</a>{% endif %}
<a href="{{ next_url }}" rel="next">next →</a>{% endblock %}
{% block main %}
<div class="item">
<section class="pictures">
<figure class="stored"><img src="{{ image_url }}" alt="the stored image of frame {{ r.frame_id }}">
<figcaption>{{ 'the stored crop (refined, redacted)' if v.crop
 else 'the stored image (the whole frame, redacted)' }}
{%- if r.modality %} · {{ r.modality }}{% endif %}</figcaption>
</figure>
{% if v.crop %}{% set c = v.crop %}<figure class="source">
<div class="frame" style="aspect-ratio:{{ c.source_width }}/{{ c.source_height }}">
<img src="{{ image_url }}" alt="" style="left:{{ pct(c.left) }};top:{{ pct(c.top) }};width:{{ pct(c.width)
 }};height:{{ pct(c.height) }}"></div>
<figcaption>where it was cut from the {{ c.source_width }}×{{ c.source_height }} frame; cut away:
 {{ c.removed|join(', ') or 'margins' }}{% if c.reason %} ({{ c.reason }}){% endif %}</figcaption></figure>
{% endif %}
</section>
<section class="text">
<p class="muted"><span class="badge">{{ r.kind }}</span> verifier:
 <span class="badge {{ r.status }}">{{ r.status }}</span> · {{ r.generator }} · stratum {{ r.stratum }}</p>
{% for t in r.turns %}<div class="turn {{ t.role }}"><b>{{ role_name(t.role) }}</b>
{% set steps = cot_steps(t.text) if r.kind == 'cot' and t.role == 'gpt' else [] %}
{% if steps|length > 1 %}<ol>{% for s in steps %}<li>{{ s }}</li>{% endfor %}</ol>
{% else %}{{ t.text }}{% endif %}</div>{% endfor %}
<h2>Narration it came from</h2>
<blockquote class="narration">{{ r.narration }}</blockquote>
<p class="video">{% if r.video_href|http_href %}<a id="watch" href="{{ r.video_href|http_href }}"
 target="_blank" rel="noopener noreferrer">{{ r.video_title or r.video_url }}</a>
{% else %}{{ r.video_title or r.video_url }} (a local file){% endif %} at {{ r.start_s|seconds }}
 – {{ r.end_s|seconds }}</p>
<h2>Verification checks</h2>
{% if r.checks %}<table class="checks"><tr><th>check</th><th>verdict</th><th>score</th><th>detail</th></tr>
{% for c in r.checks %}<tr><td>{{ c.check }}</td><td><span class="badge {{ 'passed' if c.passed else 'refused'
 }}">{{ 'passed' if c.passed else 'refused' }}</span></td><td>{{ c.score|score }}</td><td>{{ c.detail }}</td>
</tr>{% endfor %}</table>{% else %}<p class="empty">No checks recorded.</p>{% endif %}
</section>
<form id="label" autocomplete="off">
<fieldset class="verdicts"><legend>Verdict</legend>
{% for verdict, keys in verdict_keys.items() %}<label class="choice"><input type="radio" name="verdict"
 value="{{ verdict }}"{% if label and label.verdict == verdict %} checked{% endif %}>{{ verdict }}
 {% for k in keys %}<kbd>{{ k }}</kbd>{% endfor %}</label>{% endfor %}
</fieldset>
<fieldset class="tags"><legend>Reasons</legend>
{% for tag, key in tag_keys.items() %}<label class="choice" title="{{ hints[tag] }}"><input type="checkbox"
 name="tags" value="{{ tag }}"{% if label and tag in label.tags %} checked{% endif %}>
{{ tag|replace('_', ' ') }} <kbd>{{ key }}</kbd></label>{% endfor %}
</fieldset>
<label for="correction">Corrected answer (optional; replaces the {{ 'chain of thought' if r.kind == 'cot'
 else 'last answer' }}) <kbd>{{ correction_key }}</kbd> edits it, <kbd>Esc</kbd> leaves it,
 <kbd>Shift</kbd>+<kbd>Enter</kbd> a new line</label>
<textarea id="correction" name="correction" rows="3">{{ label.correction if label and label.correction
 else '' }}</textarea>
<button type="submit">Save and next <kbd>Enter</kbd></button><span id="status" role="status"></span>
<p class="keys">Keys: <kbd>1</kbd>/<kbd>g</kbd> good, <kbd>2</kbd>/<kbd>u</kbd> usable,
 <kbd>3</kbd>/<kbd>b</kbd> bad; letters toggle reasons; <kbd>Enter</kbd> saves and opens the next item;
 <kbd>←</kbd> <kbd>→</kbd> move without saving. Labels are recorded as {{ reviewer }}.</p>
</form>
</div>
<script type="application/json" id="review-data">{{ data|tojson }}</script>
{% endblock %}
{% block script %}<script nonce="{{ nonce }}">{{ script|safe }}</script>{% endblock %}
"""

TEMPLATES = {"base.html": _BASE, "list.html": _LIST, "item.html": _ITEM}
_STEP = re.compile(r"\s*\n\s*|\s+(?=Step \d+:)")


def cot_steps(text: str) -> list[str]:
    """A chain of thought's steps: one per line (as the engine writes them), or per "Step N:" when a model
    wrote them on one line."""
    return [part.strip() for part in _STEP.split(text) if part.strip()]


def _role(role: str) -> str:
    return {"human": "question", "gpt": "answer"}.get(role, role)


def _pct(share: float) -> str:
    return f"{100 * share:.2f}%"


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.DictLoader(TEMPLATES),
        autoescape=True,  # answers, narration, titles and check details are untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(http_href=http_href, seconds=seconds, score=score)
    return env


class ReviewLinks:
    """Paths of the review pages under the plugin's mount point (e.g. /ophin)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip("/")

    def list(self) -> str:
        return f"{self.prefix}/review"

    def batch(self, batch_id: object) -> str:
        return f"{self.prefix}/review/{quote(str(batch_id), safe='')}"

    def item(self, batch_id: object, position: int) -> str:
        return f"{self.batch(batch_id)}/{position}"

    def save(self) -> str:
        return f"{self.prefix}/api/review/labels"

    def frame_image(self, frame_id: object) -> str:
        return f"{self.prefix}/frames/{quote(str(frame_id), safe='')}.jpg"


def batch_list_page(
    batches: list[BatchProgress], reviewer: str, prefix: str, nonce: str, message: str | None = None
) -> str:
    links = ReviewLinks(prefix)
    return (
        _environment()
        .get_template("list.html")
        .render(
            title="batches",
            batches=batches,
            reviewer=reviewer,
            message=message,
            batch_url=lambda b: links.batch(b.id),
            list_url=links.list(),
            prefix=links.prefix,
            nonce=nonce,
            list_script=LIST_SCRIPT,
        )
    )


def item_page(view: ItemView, reviewer: str, prefix: str, nonce: str) -> str:
    links = ReviewLinks(prefix)
    r = view.record
    last = r.position + 1 >= view.items
    next_url = links.list() if last else links.item(view.batch.id, r.position + 1)
    prev_url = links.item(view.batch.id, r.position - 1) if r.position > 0 else None
    data = {
        "batch_id": str(view.batch.id),
        "instruction_id": str(r.instruction_id),
        "answer": view.answer,
        "save_url": links.save(),
        "next_url": next_url,
        "prev_url": prev_url,
        "keys": key_map(),
        "correction_key": CORRECTION_KEY,
    }
    return (
        _environment()
        .get_template("item.html")
        .render(
            title=f"{view.batch.name} #{r.position + 1}",
            v=view,
            r=r,
            label=view.label,
            reviewer=reviewer,
            image_url=links.frame_image(r.frame_id),
            next_url=next_url,
            prev_url=prev_url,
            list_url=links.list(),
            prefix=links.prefix,
            verdict_keys=VERDICT_KEYS,
            tag_keys=TAG_KEYS,
            hints=TAG_HINTS,
            correction_key=CORRECTION_KEY,
            role_name=_role,
            cot_steps=cot_steps,
            pct=_pct,
            data=data,
            nonce=nonce,
            script=SCRIPT,
        )
    )
