"""The report's plots as inline SVG strings: matplotlib's SVG backend through the Figure API (no pyplot, no
GUI backend, no network), text kept as text, ids salted per plot: the same figures give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ophin.reporting.queries import Distribution, Stage

THRESHOLD_COLOUR = "#c0392b"
BAR_COLOUR = "#2c6e9b"
# No Creator/Date/Format/Type: the SVG carries no metadata block (and no links to its vocabularies).
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def _style(salt: str) -> dict[str, Any]:
    return {
        "svg.fonttype": "none",  # <text>, drawn in the page's own font: smaller, diffable, nothing fetched
        "svg.hashsalt": f"ophin-report-{salt}",  # deterministic ids, different in each plot of the page
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _svg(fig: Any) -> str:
    """The figure as an <svg> element to inline (the XML prolog and DOCTYPE left out)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=NO_METADATA, bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :].strip()


def threshold_gid(setting: str) -> str:
    """The id of a threshold line's group in the SVG (tests and the browser find each line by it)."""
    return "threshold-" + setting.replace(".", "-").replace("_", "-")


def histogram_svg(d: Distribution) -> str | None:
    """Bars over [lo, hi] with every threshold as a vertical line named by its setting; None without data."""
    if d.n == 0:
        return None
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_style(d.metric.name)):
        fig = Figure(figsize=(5.2, 2.5))
        ax = fig.add_subplot()
        width = (d.hi - d.lo) / len(d.counts)
        edges = [d.lo + i * width for i in range(len(d.counts))]
        ax.bar(edges, d.counts, width=width, align="edge", color=BAR_COLOUR, linewidth=0)
        top = max(d.counts) or 1
        for t in d.metric.thresholds:
            side = "refused below" if t.side == "min" else "refused above"
            ax.axvline(
                t.value, color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.4, gid=threshold_gid(t.setting),
                label=f"{t.setting} = {t.value:g} ({side})",
            )  # fmt: skip
        # Above the axes, where no bar can hide it.
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False, fontsize=7.5, borderaxespad=0.2)
        ax.set_xlim(d.lo, d.hi)
        ax.set_ylim(0, top * 1.08)
        ax.set_xlabel(d.metric.unit)
        ax.set_ylabel("count")
        if d.above:
            ax.text(0.99, 0.97, f"{d.above:,} beyond the axis (max {d.maximum:g})", transform=ax.transAxes,
                    ha="right", va="top", fontsize=7.5)  # fmt: skip
        return _svg(fig)


def funnel_svg(stages: Sequence[Stage]) -> str | None:
    """One horizontal bar per stage: how many passed it; None when nothing passed any."""
    if not any(s.kept for s in stages):
        return None
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_style("funnel")):
        fig = Figure(figsize=(6.4, 0.34 * len(stages) + 0.6))
        ax = fig.add_subplot()
        labels = [s.passed_label for s in stages][::-1]
        values = [s.kept for s in stages][::-1]
        bars = ax.barh(labels, values, color=BAR_COLOUR, height=0.65)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=8)
        ax.set_xlim(0, max(values) * 1.18)
        ax.set_xlabel("count")
        return _svg(fig)
