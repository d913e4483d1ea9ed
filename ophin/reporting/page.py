"""The report as one self-contained HTML page: inline CSS, inline SVG, images as data: URIs; no script, no
link, no font or stylesheet fetched, and no href to another host (a video's URL is shown as text)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from ophin.reporting.build import Report

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
 background:#f6f7f9}
header{padding:.7rem 1.2rem;background:#0b3d5c;color:#fff} header h1{margin:0;font-size:1.3rem}
header p{margin:.2rem 0 0;color:#d7e3ec} nav a{color:#fff;margin-right:.9rem;font-size:.9rem}
main{padding:.6rem 1.2rem 2rem;max-width:1240px}
h2{font-size:1.1rem;margin:1.6rem 0 .4rem;border-bottom:2px solid #d8dde4;padding-bottom:.2rem}
h3{font-size:.98rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;background:#fff;margin:.3rem 0;font-size:.9rem}
th,td{border:1px solid #d8dde4;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6b7280} .empty{color:#6b7280;font-style:italic} code{font-size:.9em;word-break:break-all}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:.8rem}
figure.plot{margin:0;background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.4rem .5rem}
figure.plot svg{width:100%;height:auto;display:block}
figure.plot figcaption{font-size:.82rem;color:#374151} figure.plot h3{margin:.1rem 0 .3rem}
figure.funnel{max-width:720px}
.grid{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:.6rem}
figure.thumb{margin:0;background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.25rem;width:170px}
figure.thumb img{display:block;max-width:160px;max-height:160px;margin:auto;background:#222}
figure.thumb figcaption{font-size:.75rem;color:#4a5568;word-break:break-all}
.met{color:#17603a;font-weight:600} .missed{color:#8f1d1d;font-weight:600} td.heat{text-align:right}
"""

_HEAD = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OphIn quality report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>"""
    + _CSS
    + """</style></head>
"""
)

_BODY = """<body><header><h1>OphIn quality report</h1>
<p>{{ int(r.funnel[0].evaluated) }} videos &rarr; {{ int(accepted) }} accepted instructions
{%- if r.generated_at %} · generated {{ r.generated_at }}{% endif %}</p>
<nav><a href="#funnel">Funnel</a><a href="#decisions">Scored decisions</a>
<a href="#modality">Modality × kind</a><a href="#yield">Yield</a><a href="#samples">Sample images</a>
{% if r.review %}<a href="#review">Review</a>{% endif %}<a href="#quality">Quality figures</a></nav></header>
<main>
<section id="funnel"><h2>Funnel</h2>
{% if funnel_svg %}<figure class="plot funnel" id="plot-funnel">{{ funnel_svg }}
<figcaption>What passed each stage.</figcaption></figure>
{% else %}<p class="empty">Nothing has passed any stage yet.</p>{% endif %}
<table><tr><th>stage</th><th>looked at</th><th>passed on</th><th>dropped</th><th>top drop reasons</th></tr>
{% for s in r.funnel %}<tr><td>{{ s.name }}</td><td class="n">{{ int(s.evaluated) }}</td>
<td class="n">{{ int(s.kept) }} <span class="muted">{{ s.passed_label }}</span></td>
<td class="n">{{ int(s.dropped) }}</td>
<td>{% for reason, n in s.reasons %}{{ reason }} <b>{{ int(n) }}</b>{% if not loop.last %}; {% endif %}
{% else %}<span class="muted">-</span>{% endfor %}</td></tr>
{% endfor %}</table>
<p class="muted">A reason is shown without its particulars (numbers and ids become N and ID). A video's
reason is its latest failed stage; a verification reason counts the instructions its check refused.</p>
</section>

<section id="decisions"><h2>Scored decisions</h2>
<p class="muted">Each histogram holds the scores one decision was taken on; the dashed red line is its
threshold, named by the setting that holds it (environment OPHIN_&lt;GROUP&gt;__&lt;FIELD&gt;).</p>
<div class="plots">{% for d, svg in histograms %}{% set many = d.metric.thresholds|length > 1 %}
<figure class="plot histogram" id="plot-{{ d.metric.name }}"><h3>{{ d.metric.title }}</h3>
{% if svg %}{{ svg }}{% else %}<p class="empty">No scores recorded.</p>{% endif %}
<figcaption>n = {{ int(d.n) }}{% if d.n %}; refused by the threshold{{ "s" if many }}:
{{ int(d.refused) }} ({{ pct(d.refused / d.n) }}); p5 {{ num(d.percentiles[0.05]) }} ·
median {{ num(d.percentiles[0.5]) }} · p95 {{ num(d.percentiles[0.95]) }}{% endif %}.
Threshold{{ "s" if many }}: {% for t in d.metric.thresholds %}<code>{{ t.setting }}</code> = {{ t.value }}
{%- if not loop.last %}, {% endif %}{% endfor %}
</figcaption></figure>{% endfor %}</div></section>

<section id="modality"><h2>Modality × kind</h2>
{% set mk = r.modality_kind %}
{% if mk.modalities %}<table><tr><th>modality</th><th>frames kept</th>
{% for k in mk.kinds %}<th>{{ k }}<br><span class="muted">accepted / all</span></th>{% endfor %}
<th>accepted / all</th></tr>
{% for m in mk.modalities %}<tr><td>{{ m }}</td><td class="n">{{ int(mk.frames_kept.get(m, 0)) }}</td>
{% for k in mk.kinds %}{% set a = mk.accepted.get((m, k), 0) %}
<td class="heat" style="background:rgba(44,110,155,{{ '%.2f' % (0.6 * a / max_accepted) }})">
{{ int(a) }} / {{ int(mk.all.get((m, k), 0)) }}</td>{% endfor %}
<td class="n">{{ int(row_accepted[m]) }} / {{ int(row_all[m]) }}</td></tr>
{% endfor %}</table>
{% else %}<p class="empty">No frames or instructions yet.</p>{% endif %}</section>

<section id="yield"><h2>Yield</h2>
{% for title, rows in (("Most accepted instructions", r.top), ("Fewest accepted instructions", r.bottom)) %}
<h3>{{ title }} (per video)</h3>
{% if rows %}<table><tr><th>video</th><th>channel</th><th>minutes</th><th>frames kept</th>
<th>instructions</th><th>accepted</th><th>accepted / min</th></tr>
{% for v in rows %}<tr><td>{{ v.title or "(untitled)" }}<br><code>{{ v.url }}</code></td>
<td>{{ v.channel or "-" }}</td><td class="n">{{ num(v.minutes) }}</td>
<td class="n">{{ int(v.frames_kept) }}</td><td class="n">{{ int(v.instructions) }}</td>
<td class="n">{{ int(v.accepted) }}</td><td class="n">{{ num(v.per_minute) }}</td></tr>{% endfor %}</table>
{% else %}<p class="empty">No videos.</p>{% endif %}{% endfor %}
{% for by in ("source", "channel") %}<h3>Per {{ by }}</h3>
{% set rows = r.groups | selectattr("by", "equalto", by) | list %}
{% if rows %}<table><tr><th>{{ by }}</th><th>videos</th><th>minutes</th><th>frames kept</th>
<th>instructions</th><th>accepted</th><th>accepted / min</th></tr>
{% for g in rows %}<tr><td>{{ g.name }}</td><td class="n">{{ int(g.videos) }}</td>
<td class="n">{{ num(g.minutes) }}</td><td class="n">{{ int(g.frames_kept) }}</td>
<td class="n">{{ int(g.instructions) }}</td><td class="n">{{ int(g.accepted) }}</td>
<td class="n">{{ num(g.accepted / g.minutes if g.minutes else None) }}</td></tr>{% endfor %}</table>
{% else %}<p class="empty">No videos.</p>{% endif %}{% endfor %}</section>

<section id="samples"><h2>Sample images</h2>
<p class="muted">The first kept frames of each modality by id, as stored: refined and redacted.</p>
{% for modality, thumbs in samples %}<h3>{{ modality }}</h3><div class="grid">
{% for t in thumbs %}<figure class="thumb">
{% if t.data_uri %}<img src="{{ t.data_uri }}" alt="{{ modality }} frame">
{% else %}<p class="empty">{{ t.problem }}</p>{% endif %}
<figcaption>{{ t.frame.video_url }} at {{ "%.1f" % t.frame.t_s }} s</figcaption></figure>{% endfor %}</div>
{% else %}<p class="empty">No kept frames.</p>{% endfor %}</section>

{% if r.review %}{% set rv = r.review %}
<section id="review"><h2>Review results</h2>
<p>{{ rv.labels }} label(s) on {{ rv.instructions }} instruction(s) by {{ rv.reviewers }} reviewer(s);
one verdict per instruction (the majority, the worse on a tie); Wilson 95 % intervals.</p>
<table><tr><th>group</th><th>n</th><th>good</th><th>usable</th><th>bad</th></tr>
{% for name, rates in review_rows %}<tr><td>{{ name }}</td><td class="n">{{ rates.n }}</td>
{% for v in ("good", "usable", "bad") %}<td class="n">{{ pct(rates[v].rate) }}
<span class="muted">[{{ pct(rates[v].low) }}, {{ pct(rates[v].high) }}]</span></td>{% endfor %}</tr>
{% endfor %}</table>
<h3>Each check against the labels (refusing predicts "bad")</h3>
<table><tr><th>check</th><th>precision</th><th>recall</th><th>refused bad</th><th>refused good/usable</th>
<th>passed bad</th><th>passed good/usable</th></tr>
{% for name, c in rv.checks %}<tr><td>{{ name }}</td><td class="n">{{ pct(c.precision) }}</td>
<td class="n">{{ pct(c.recall) }}</td><td class="n">{{ c.tp }}</td><td class="n">{{ c.fp }}</td>
<td class="n">{{ c.fn }}</td><td class="n">{{ c.tn }}</td></tr>{% endfor %}</table></section>
{% endif %}

<section id="quality"><h2>Quality figures</h2>
{% if r.quality %}{% for q in r.quality %}<h3>{{ q.name }}</h3>
<table><tr><th>figure</th><th>value</th><th>over</th><th>target</th></tr>
{% for name, value in q.figures.items() %}<tr><td>{{ name }}</td><td class="n">{{ num(value) }}</td>
<td class="n">{{ q.totals.get(name, "") }}</td><td>{% if name in q.passed %}{% if q.passed[name] %}
<span class="met">met</span>{% else %}<span class="missed">missed</span>{% endif %}{% else %}
<span class="muted">-</span>{% endif %}</td></tr>{% endfor %}</table>
{% if q.problems %}<details><summary>{{ q.problems|length }} problem(s) to look at</summary><ul>
{% for p in q.problems %}<li>{{ p }}</li>{% endfor %}</ul></details>{% endif %}{% endfor %}
{% else %}<p class="empty">Not given: <code>python -m eval.quality --json &gt; quality.json</code>, then
<code>ophin report --html FILE --quality quality.json</code>.</p>{% endif %}</section>
</main></body></html>
"""


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


@cache
def _template() -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(_HEAD + _BODY)


def _trusted(svg: str | None) -> Any:
    """matplotlib's own SVG, inlined as is: it holds only numbers and our labels, its text escaped by the
    SVG backend."""
    from markupsafe import Markup

    return Markup(svg) if svg else None  # noqa: S704 - made by ophin.reporting.plots, no database text


def render_page(report: Report) -> str:
    """The page; every value from the database is escaped, the SVGs are matplotlib's own output."""

    mk = report.modality_kind
    samples: dict[str, list[Any]] = {}
    for t in report.thumbnails:
        samples.setdefault(t.frame.modality, []).append(t)
    review_rows: list[tuple[str, Any]] = []
    if report.review:
        review_rows = [("all", report.review.overall)]
        review_rows += [(f"kind: {k}", v) for k, v in report.review.by_kind.items()]
        review_rows += [(f"modality: {k}", v) for k, v in report.review.by_modality.items()]
    return _template().render(
        r=report,
        funnel_svg=_trusted(report.funnel_svg),
        histograms=[(d, _trusted(svg)) for d, svg in report.histograms],
        accepted=next((s.kept for s in report.funnel if s.name == "verification"), 0),
        pct=pct,
        int=lambda n: f"{n:,}",
        num=num,
        max_accepted=max([*mk.accepted.values(), 1]),
        row_accepted={m: sum(n for (mm, _), n in mk.accepted.items() if mm == m) for m in mk.modalities},
        row_all={m: sum(n for (mm, _), n in mk.all.items() if mm == m) for m in mk.modalities},
        samples=list(samples.items()),
        review_rows=review_rows,
    )
