"""The review page's keyboard map, inline CSS and inline script (nothing is fetched from elsewhere).

The script only reads the page's own JSON (#review-data), moves between items and POSTs a label as JSON;
every text it shows comes from the server, escaped there.
"""

from __future__ import annotations

# Two keys per verdict, so both hands work: the number row and the initial.
VERDICT_KEYS: dict[str, tuple[str, ...]] = {"good": ("1", "g"), "usable": ("2", "u"), "bad": ("3", "b")}
TAG_KEYS: dict[str, str] = {
    "misheard_term": "m",
    "wrong_modality": "w",
    "not_visible": "n",
    "invented": "i",
    "phi": "p",
    "artefact": "a",
    "duplicate": "d",
    "other": "o",
}
CORRECTION_KEY = "c"


def key_map() -> dict[str, dict[str, str]]:
    """key -> verdict and key -> tag, as the script reads them."""
    return {
        "verdicts": {k: v for v, keys in VERDICT_KEYS.items() for k in keys},
        "tags": {k: t for t, k in TAG_KEYS.items()},
    }


CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
 background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#0b3d5c;color:#fff}
header a{color:#fff;font-weight:600;text-decoration:none} header .where{margin-left:auto}
main{padding:.8rem 1.1rem;max-width:1400px}
h1{font-size:1.2rem;margin:.2rem 0 .5rem} h2{font-size:1rem;margin:.8rem 0 .3rem}
table{border-collapse:collapse;background:#fff;width:100%;margin:.3rem 0}
th,td{border:1px solid #d8dde4;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
.muted{color:#6b7280} .empty{color:#6b7280;font-style:italic}
.badge{display:inline-block;padding:0 .4rem;border-radius:8px;font-size:.85em;font-weight:600}
.passed,.accepted,.good{background:#d9f2e1;color:#17603a}
.refused,.rejected,.bad{background:#fbe0e0;color:#8f1d1d} .usable{background:#fdf0cf;color:#7a5200}
.item{display:grid;grid-template-columns:minmax(0,5fr) minmax(0,6fr);gap:1rem;align-items:start}
.pictures{display:flex;gap:.6rem;flex-wrap:wrap}
figure{margin:0;background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.3rem}
figure.stored img{max-width:100%;max-height:52vh;display:block;background:#222}
figure.source{width:14rem}
.source .frame{position:relative;background:repeating-linear-gradient(45deg,#d5d9e0,
 #d5d9e0 6px,#e8ebef 6px,#e8ebef 12px);border:1px solid #9aa3b0}
.source .frame img{position:absolute;outline:2px solid #d9480f}
figcaption{font-size:.85em;margin-top:.2rem;color:#4a5568}
.turn{background:#fff;border:1px solid #d8dde4;border-radius:4px;padding:.4rem .6rem;margin:.35rem 0}
.turn b{color:#0b3d5c;display:block;font-size:.85em} .turn ol{margin:.2rem 0;padding-left:1.3rem}
blockquote{margin:.3rem 0;padding:.4rem .7rem;background:#fff;border-left:4px solid #0b3d5c}
form#label{grid-column:1/-1;background:#fff;border:2px solid #0b3d5c;border-radius:6px;padding:.5rem .8rem}
fieldset{border:0;padding:0;margin:.2rem 0;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
legend{font-weight:600;margin-right:.6rem;float:left}
label.choice{border:1px solid #b8c0cc;border-radius:4px;padding:.15rem .5rem;cursor:pointer;user-select:none}
label.choice:has(input:checked){background:#0b3d5c;color:#fff;border-color:#0b3d5c}
label.choice input{margin:0 .3rem 0 0} kbd{font:600 .8em ui-monospace,monospace;border:1px solid #9aa3b0;
 border-radius:3px;padding:0 .25rem;background:#f3f4f6;color:#1d2330}
textarea{width:100%;box-sizing:border-box;font:inherit;min-height:3.2rem}
#status{font-weight:600;margin-left:.8rem} #status.error{color:#8f1d1d}
.bar{background:#e5e7eb;border-radius:3px;height:.6rem;width:10rem;display:inline-block;vertical-align:middle}
.bar span{display:block;height:100%;background:#17603a;border-radius:3px}
.keys{font-size:.85em;color:#4a5568;margin-top:.4rem}
"""

# Keys: verdict, tags, c (edit the correction), Enter (save, then the next item), arrows (move unsaved).
SCRIPT = """
(() => {
  const data = JSON.parse(document.getElementById('review-data').textContent);
  const form = document.getElementById('label');
  const status = document.getElementById('status');
  const correction = form.elements.correction;
  let busy = false;
  const say = (text, error) => { status.textContent = text; status.className = error ? 'error' : ''; };
  const pick = (verdict) => { form.querySelector(`input[name=verdict][value="${verdict}"]`).checked = true; };
  const toggle = (tag) => { const box = form.querySelector(`input[name=tags][value="${tag}"]`);
    box.checked = !box.checked; };
  const edit = () => {
    if (!correction.value) correction.value = data.answer;
    correction.focus();
    correction.setSelectionRange(correction.value.length, correction.value.length);
  };
  async function save() {
    if (busy) return;
    const chosen = form.querySelector('input[name=verdict]:checked');
    if (!chosen) { say('Pick a verdict first: 1 good, 2 usable, 3 bad.', true); return; }
    const text = correction.value.trim();
    const body = {
      batch_id: data.batch_id, instruction_id: data.instruction_id, verdict: chosen.value,
      tags: [...form.querySelectorAll('input[name=tags]:checked')].map((b) => b.value),
      correction: text && text !== data.answer.trim() ? text : null,
    };
    busy = true; say('saving…');
    try {
      const response = await fetch(data.save_url, {
        method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
        headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},
      });
      if (!response.ok) {
        const error = await response.json().catch(() => ({}));
        throw new Error(typeof error.detail === 'string' ? error.detail : `HTTP ${response.status}`);
      }
      say('saved'); location.assign(data.next_url);
    } catch (error) { busy = false; say(`not saved: ${error.message}`, true); }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (e.target === correction) {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
      else if (e.key === 'Escape') { e.preventDefault(); correction.blur(); }
      return;
    }
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key in data.keys.verdicts) pick(data.keys.verdicts[key]);
    else if (key in data.keys.tags) toggle(data.keys.tags[key]);
    else if (key === data.correction_key) edit();
    else if (key === 'Enter') save();
    else if (key === 'ArrowRight' && data.next_url) location.assign(data.next_url);
    else if (key === 'ArrowLeft' && data.prev_url) location.assign(data.prev_url);
    else return;
    e.preventDefault();
  });
})();
"""

# The batch list: Enter opens the focused batch (the first, on arrival); arrows move between batches.
LIST_SCRIPT = """
(() => {
  const links = [...document.querySelectorAll('a.resume')];
  if (links.length) links[0].focus();
  document.addEventListener('keydown', (e) => {
    const at = links.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' && at < links.length - 1) { links[at + 1].focus(); e.preventDefault(); }
    if (e.key === 'ArrowUp' && at > 0) { links[at - 1].focus(); e.preventDefault(); }
  });
})();
"""
