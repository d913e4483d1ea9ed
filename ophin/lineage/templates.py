"""Jinja2 templates of the lineage pages (rendered with autoescape by ophin.lineage.html)."""

from __future__ import annotations

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe
 UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#0b3d5c;color:#fff}
header a{color:#fff;font-weight:600;text-decoration:none}
header form{margin-left:auto;display:flex;gap:.3rem}
header input{width:26rem;padding:.25rem .4rem}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:1.3rem;margin:.2rem 0 .4rem} h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
code{font-size:.92em;background:#e9edf2;padding:0 .25rem;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;background:#fff;width:100%;margin:.3rem 0}
th,td{border:1px solid #d8dde4;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
.meta{color:#4a5568} .empty{color:#6b7280;font-style:italic} .muted{color:#6b7280}
.badge{display:inline-block;padding:0 .4rem;border-radius:8px;font-size:.85em;font-weight:600}
.succeeded,.passed,.accepted,.kept{background:#d9f2e1;color:#17603a}
.failed,.rejected,.dropped{background:#fbe0e0;color:#8f1d1d}
.partial,.running,.generated,.pending,.paired{background:#fdf0cf;color:#7a5200}
.frames{display:flex;flex-wrap:wrap;gap:.6rem}
figure.frame{margin:0;background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.3rem;width:220px}
figure.frame img{width:100%;display:block;background:#222}
figure.frame.dropped{opacity:.75}
figcaption{font-size:.85em;margin-top:.2rem}
.instruction{background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.5rem .7rem;margin:.5rem 0}
.turn{margin:.2rem 0} .turn b{display:inline-block;min-width:5.5rem;color:#0b3d5c}
ol.chain li{margin:.35rem 0} .thumb{max-width:320px;display:block;margin:.3rem 0}
.watch{font-size:1.05rem;background:#fff;border-left:4px solid #0b3d5c;padding:.5rem .8rem}
.failure{color:#8f1d1d}
"""

_BASE = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · OphIn lineage</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>"""
    + _CSS
    + """</style></head>
<body><header><a href="{{ u.home() }}">OphIn lineage</a>
<form action="{{ u.search() }}" method="get" role="search">
<input name="q" aria-label="id" placeholder="instruction, pair, frame, clip, segment or video id">
<button type="submit">Find</button></form></header>
<main>{% block main %}{% endblock %}</main></body></html>
"""
)

_MACROS = """
{% macro badge(text) %}<span class="badge {{ text }}">{{ text }}</span>{% endmacro %}
{% macro at(link, t) %}{% if link and link.href|http_href %}<a class="video-at"
 href="{{ link.href|http_href }}"
 rel="noopener noreferrer">{{ t|seconds }}</a>{% else %}{{ t|seconds }}{% endif %}{% endmacro %}
{% macro url(text) %}{% if text|http_href %}<a href="{{ text|http_href }}" rel="noopener noreferrer">{{
 text }}</a>
{%- else %}<code>{{ text }}</code>{% endif %}{% endmacro %}
{% macro counts(output) %}{% for k, v in output.items() if k != 'video_id' and v is not mapping %}
{{ k }}={{ v }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro video(v, u) %}<table><tr><th>title</th><td><a href="{{ u.id(v.id) }}">{{ v.title or '(untitled)'
 }}</a></td></tr>
<tr><th>channel</th><td>{{ v.channel or '-' }}</td></tr><tr><th>URL</th><td>{{ url(v.url) }}</td></tr>
<tr><th>duration</th><td>{{ v.duration_s|seconds }}</td></tr><tr><th>licence</th><td>{{ v.license or '-'
 }}</td></tr>
</table>{% endmacro %}
{% macro frames(items, u) %}<div class="frames">{% for f in items %}
<figure class="frame {{ 'kept' if f.kept else 'dropped' }}"><a href="{{ u.id(f.id) }}" class="frame-link">
<img src="{{ u.frame_image(f.id) }}" alt="frame at {{ f.t_s|seconds }}" loading="lazy"></a>
<figcaption>at {{ at(f.link, f.t_s) }} · clinical {{ f.clinical_score|score }}{% if f.modality
 %} · {{ f.modality }}{% endif %} {{ badge('kept' if f.kept else 'dropped') }}
{% if not f.kept %}<br>{{ f.drop_reason }}{% endif %}{% if f.faces_blurred or f.text_redacted
 %}<br>redacted:
 {{ f.faces_blurred or 0 }} face(s), {{ f.text_redacted or 0 }} text region(s){% endif
 %}</figcaption></figure>
{% else %}<p class="empty">none</p>{% endfor %}</div>{% endmacro %}
{% macro pairs(items, u) %}{% if items %}<table><tr><th>pair</th><th>window</th><th>spoken while on
 screen</th>
<th>cue score</th><th>status</th></tr>{% for p in items %}<tr><td><a href="{{ u.id(p.id) }}">{{ p.id[:8]
 }}</a>
 (<a href="{{ u.id(p.frame_id) }}">frame</a>)</td><td>{{ p.start_s|seconds }}–{{ p.end_s|seconds }}</td>
<td>{{ p.text }}</td><td>{{ p.cue_score|score }}</td><td>{{ badge(p.status) }} {{ p.drop_reason or ''
 }}</td></tr>
{% endfor %}</table>{% else %}<p class="empty">none</p>{% endif %}{% endmacro %}
{% macro llm(c) %}{% if c %} <span class="muted">· served by {{ c.served_model or '?' }}, {{ c.prompt_tokens
 }}+{{ c.completion_tokens }} tokens, {{ '%.2f'|format(c.latency_s or 0) }} s{% if c.cached %}, cached{% endif
 %}{% if c.attempts and c.attempts > 1 %}, repaired{% endif %}</span>{% for f in c.failures %}
<p class="failure">rejected reply: {{ f }}</p>{% endfor %}{% endif %}{% endmacro %}
{% macro instruction(i, u) %}<div class="instruction"><a href="{{ u.id(i.id) }}" class="instruction-link">
{{ i.kind }} {{ i.id[:8] }}</a> {{ badge(i.status) }} · {{ i.generator }}{% if i.model %} ({{ i.model
 }}{% if i.prompt_version %}, prompt {{ i.prompt_version }}{% endif %}){% endif %}{{ llm(i.llm) }}
 · <a href="{{ u.id(i.frame_id) }}">frame</a>
{% for t in i.turns %}<div class="turn"><b>{{ {'human': 'question', 'gpt': 'answer'}.get(t.role, t.role)
 }}</b>
 {{ t.text }}</div>{% endfor %}
{% if i.error %}<p class="failure">error: {{ i.error }}</p>{% endif %}
{% if i.reject_reasons %}<p class="failure">rejected: {{ i.reject_reasons|join('; ') }}</p>{% endif %}
{% if i.verifications %}<table class="verifications"><tr><th>check</th><th>verdict</th><th>detail</th></tr>
{% for v in i.verifications %}<tr><td>{{ v.check }}</td><td>{{ badge('passed' if v.passed else 'failed')
 }}</td>
<td>{{ v.detail }}{% if v.model %} <span class="muted">({{ v.model }})</span>{% endif %}{{ llm(v.llm)
 }}</td></tr>{% endfor %}</table>{% else %}<p class="empty">not verified yet</p>{% endif %}
</div>{% endmacro %}
{% macro segments(items) %}{% if items %}<table><tr><th>at</th><th>transcript</th></tr>{% for s in items %}
<tr><td>{{ at(s.link, s.start_s) }}</td><td>{{ s.text }}</td></tr>{% endfor %}</table>
{% else %}<p class="empty">no speech</p>{% endif %}{% endmacro %}
"""

_TI = """{% extends "base.html" %}{% import "macros.html" as m %}{% block main %}
{% set ti = data.task_instance %}{% set gates = data.get("gates") or [] %}
<h1>Task <code>{{ ti.task_id }}</code></h1>
<p class="meta">DAG <code>{{ ti.dag_id }}</code> · run <code>{{ ti.run_id }}</code> · map index {{
 ti.map_index }}</p>
{% if gates %}<h2>Gates</h2><table class="gates"><tr><th>stage</th><th>verdict</th><th>batch</th>
<th>videos</th><th>what was checked</th></tr>{% for g in gates %}<tr><td>{{ g.stage }}</td>
<td>{{ m.badge('succeeded' if g.success else 'failed') }}</td><td><code>{{ g.batch }}</code></td><td>{% for v
 in g.videos %}<a href="{{ u.id(v) }}">{{ v[:8] }}</a> {% endfor %}</td><td>{{ g.summary }}</td></tr>{%
 endfor %}</table>{% endif %}
{% if data.attempts or not gates %}<h2>Stage attempts</h2>{% endif %}
{% if data.attempts %}<table class="attempts"><tr><th>stage</th><th>entity</th><th>attempt</th><th>try</th>
<th>status</th><th>counts</th><th>seconds</th><th>error</th></tr>
{% for a in data.attempts %}<tr><td>{{ a.stage }}</td><td>{% if a.video_id %}<a
 href="{{ u.id(a.video_id) }}">
{{ a.entity_key }}</a>{% else %}<code>{{ a.entity_key }}</code>{% endif %}</td><td>{{ a.attempt }}
{% if not a.current %}<span class="meta">(superseded)</span>{% endif %}</td><td>{{ a.try_number or '-'
 }}</td>
<td>{{ m.badge(a.status) }}</td><td>{{ m.counts(a.output) }}</td><td>{{ a.duration_s|score }}</td>
<td>{% if a.error_class %}<code>{{ a.error_class }}</code> {{ a.error_message }}{% endif %}</td></tr>{%
 endfor %}</table>
{% elif not gates %}<p class="empty">No stage attempt names this task instance: its stage was up
 to date (a skip records no attempt), or the task is not a stage.</p>{% endif %}
{% if data.failures %}<h2>Failures</h2><ul>{% for f in data.failures %}<li class="failure"><b>{{ f.stage
 }}</b>
 {{ m.badge(f.status) }} <code>{{ f.entity_key }}</code>: <code>{{ f.error_class or 'items failed' }}</code>
 {{ f.error_message or '' }}</li>{% endfor %}</ul>{% endif %}
{% for block in data.produced %}<section class="produced stage-{{ block.stage }}">
<h2>{{ block.stage }}: what is stored for <a href="{{ u.id(block.video_id) }}">{{ block.video_id[:8]
 }}</a></h2>
{% if 'video' in block %}{{ m.video(block.video, u) }}{% endif %}
{% if 'segments' in block %}{{ m.segments(block.segments) }}{% endif %}
{% if 'frames' in block %}<p>{{ block.clips|length }} clip(s), {{ block.frames|length }} frame(s),
 {{ block.frames|selectattr('kept')|list|length }} kept</p>{{ m.frames(block.frames, u) }}{% endif %}
{% if 'pairs' in block %}{{ m.pairs(block.pairs, u) }}{% endif %}
{% if 'cues' in block %}<table><tr><th>pair</th><th>sentence</th><th>visual
 cue</th><th>score</th><th>reason</th></tr>
{% for c in block.cues %}<tr><td><a href="{{ u.id(c.pair_id) }}">{{ c.pair_id[:8] }}</a></td><td>{{
 c.text }}</td>
<td>{{ m.badge('kept' if c.is_visual else 'dropped') }}</td><td>{{ c.score|score }}</td><td>{{ c.reason
 }}{% if c.model %} <span class="muted">({{ c.model }}, {{ c.prompt_version }})</span>{% endif %}</td></tr>
{% endfor %}</table>{% endif %}
{% if 'instructions' in block %}{% for i in block.instructions %}{{ m.instruction(i, u) }}
{% else %}<p class="empty">none</p>{% endfor %}{% endif %}
</section>{% endfor %}{% endblock %}
"""

_ID = """{% extends "base.html" %}{% import "macros.html" as m %}{% block main %}{% set v = data.video %}
<h1>{{ data.kind }} <code>{{ data.id }}</code></h1>
<p class="watch">{% if data.link and data.link.href|http_href %}<a class="video-at" id="watch"
 href="{{ data.link.href|http_href }}" rel="noopener noreferrer">Open the video at {{ data.at_s|seconds
 }}</a>
{% if not data.link.timed %} (this host takes no start time: seek to {{ data.at_s|seconds }}){% endif %}
{% else %}Local video <code>{{ v.url }}</code>{% if data.at_s is not none %} at {{ data.at_s|seconds }}{%
 endif %}
 (no web link){% endif %}</p>
<h2>Back to the source</h2><ol class="chain">
<li>video <a href="{{ u.id(v.id) }}">{{ v.title or '(untitled)' }}</a>{% if v.channel %} · {{ v.channel
 }}{% endif %}
 · {{ m.url(v.url) }} · {{ v.duration_s|seconds }}</li>
{% if 'clip' in data %}<li>clip <a href="{{ u.id(data.clip.id) }}">{{ data.clip.id[:8] }}</a>
 {{ data.clip.start_s|seconds }}–{{ data.clip.end_s|seconds }}</li>{% endif %}
{% if 'frame' in data %}<li>frame <a href="{{ u.id(data.frame.id) }}">{{ data.frame.id[:8] }}</a> at
 {{ data.frame.t_s|seconds }} {{ m.badge('kept' if data.frame.kept else 'dropped') }} {{
 data.frame.drop_reason or '' }}
<img class="thumb" src="{{ u.frame_image(data.frame.id) }}"
 alt="frame at {{ data.frame.t_s|seconds }}"></li>{% endif %}
{% if 'segment' in data %}<li>segment {{ data.segment.start_s|seconds }}–{{ data.segment.end_s|seconds }}:
 {{ data.segment.text }}</li>{% endif %}
{% if 'pair' in data %}<li>pair <a href="{{ u.id(data.pair.id) }}">{{ data.pair.id[:8] }}</a> {{
 m.badge(data.pair.status) }}
 {{ data.pair.drop_reason or '' }}<br>“{{ data.pair.text }}”{% if data.get('cues') %}<table><tr>
<th>sentence</th>
<th>visual cue</th><th>score</th><th>reason</th></tr>{% for c in data.cues %}<tr><td>{{ c.text }}</td>
<td>{{ m.badge('kept' if c.is_visual else 'dropped') }}</td><td>{{ c.score|score }}</td><td>{{ c.reason
 }}{% if c.model %} <span class="muted">({{ c.model }}, {{ c.prompt_version }})</span>{% endif %}</td></tr>
{% endfor %}</table>{% endif %}</li>{% endif %}
{% if 'instruction' in data %}<li>instruction{{ m.instruction(data.instruction, u) }}</li>{% endif %}
</ol>
{% set f = data.forward %}{% if f %}<h2>Made from it</h2>{% endif %}
{% if 'frames' in f %}<h3>{{ f.frames|length }} frame(s)</h3>{{ m.frames(f.frames, u) }}{% endif %}
{% if 'pairs' in f %}<h3>{{ f.pairs|length }} pair(s)</h3>{{ m.pairs(f.pairs, u) }}{% endif %}
{% if 'instructions' in f %}<h3>{{ f.instructions|length }} instruction(s)</h3>
{% for i in f.instructions %}{{ m.instruction(i, u) }}{% else %}<p class="empty">none</p>{% endfor %}{%
 endif %}
{% if 'segments' in f %}<h3>{{ f.segments|length }} transcript segment(s)</h3>{{ m.segments(f.segments)
 }}{% endif %}
<h2>Stage attempts on this video</h2><table><tr><th>stage</th><th>attempt</th><th>status</th><th>task
 instance</th>
<th>error</th></tr>{% for r in data.stage_runs %}<tr><td>{{ r.stage }}</td><td>{{ r.attempt }}</td>
<td>{{ m.badge(r.status) }}</td><td>{% if r.task_instance %}{% set t = r.task_instance %}<a class="ti-link"
 href="{{ u.ti(t.dag_id, t.run_id, t.task_id, t.map_index) }}">{{ t.task_id }}[{{ t.map_index }}]</a>
 try {{ r.try_number or '-' }}{% else %}-{% endif %}</td>
<td>{% if r.error_class %}<code>{{ r.error_class }}</code> {{ r.error_message }}{% endif %}</td></tr>
{% endfor %}</table>{% endblock %}
"""

_HOME = """{% extends "base.html" %}{% block main %}<h1>OphIn lineage</h1>
{% if message %}<p class="failure">{{ message }}</p>{% endif %}
<p>Paste any instruction, pair, frame, clip, transcript segment or video id above, or start from a task
 instance.</p>
<h2>Recent task instances</h2>{% if recent %}<table><tr><th>task</th><th>DAG
 run</th><th>stage</th><th>status</th>
<th>entity</th></tr>{% for t in recent %}<tr><td><a class="ti-link"
 href="{{ u.ti(t.dag_id, t.run_id, t.task_id,
 t.map_index) }}">{{ t.task_id }}[{{ t.map_index }}]</a></td><td>{{ t.dag_id }} / {{ t.run_id }}</td>
<td>{{ t.stage }}</td><td><span class="badge {{ t.status }}">{{ t.status }}</span></td><td><code>{{
 t.entity_key }}</code>
</td></tr>{% endfor %}</table>{% else %}<p class="empty">none recorded</p>{% endif %}{% endblock %}
"""

TEMPLATES = {"base.html": _BASE, "macros.html": _MACROS, "ti.html": _TI, "id.html": _ID, "home.html": _HOME}
