"""Charts for the reports (matplotlib, Agg backend), returned as PNG bytes.

Chart specs are plain data built by the context builders; the renderer turns them into images,
so builders stay free of plotting and documents without charts cost nothing here.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import fmt

BLUE, GREY, RED, GREEN, AMBER = "#1F4E79", "#A6A6A6", "#C00000", "#548235", "#BF8F00"
MONTHS = ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"]


@dataclass(frozen=True)
class BudgetChart:
    """Budget vs actual per category (amounts in kroner; ``unit`` 1000 shows thousands)."""

    categories: tuple[str, ...]
    budget: tuple[int, ...]
    actual: tuple[int, ...]
    unit: int = 1
    title: str = "Budsjett og regnskap per kategori"


@dataclass(frozen=True)
class TimelineChart:
    """Milestones planned vs actual, with the report date."""

    labels: tuple[str, ...]
    planned: tuple[date, ...]
    actual: tuple[date | None, ...]
    status: tuple[str, ...]
    as_of: date
    title: str = "Milepæler: plan og faktisk"


DPI = 130


def _figure(width: float, height: float) -> Figure:
    # A bare Figure (no pyplot state, nothing to close) is cheaper and thread-safe.
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def budget_png(chart: BudgetChart) -> bytes:
    n = len(chart.categories)
    fig = _figure(7.0, 1.3 + 0.5 * max(n, 1))
    ax = fig.add_axes((0.30, 0.30 if n < 3 else 0.22, 0.66, 0.58 if n < 3 else 0.68))
    ys = list(range(n))
    scale = 1000 if chart.unit == 1000 else 1
    ax.barh([y + 0.2 for y in ys], [b / scale for b in chart.budget], height=0.38, color=GREY, label="Budsjett")
    ax.barh([y - 0.2 for y in ys], [a / scale for a in chart.actual], height=0.38, color=BLUE, label="Regnskap")
    ax.set_yticks(ys, ["\n".join(textwrap.wrap(c, 30)) for c in chart.categories], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v)))
    ax.set_xlabel(f"Beløp {fmt.unit_label(chart.unit)}", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(chart.title, fontsize=10, x=0.02, ha="left")
    fig.legend(fontsize=8, loc="upper right", ncol=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def timeline_png(chart: TimelineChart) -> bytes:
    n = len(chart.labels)
    height = 1.2 + 0.3 * max(n, 1)
    fig = _figure(7.0, height)
    ax = fig.add_axes((0.42, 0.55 / height, 0.55, 1 - 1.05 / height))
    colors = {"done": GREEN, "late": RED, "on_track": BLUE, "not_started": GREY}
    ys = list(range(n))
    edge = [colors[s] for s in chart.status]
    ax.scatter(chart.planned, ys, s=36, facecolors="white", edgecolors=edge, zorder=3)
    done = [(p, a, y, colors[s]) for p, a, y, s in zip(chart.planned, chart.actual, ys, chart.status) if a]
    if done:
        ax.hlines([d[2] for d in done], [d[0] for d in done], [d[1] for d in done], colors=[d[3] for d in done],
                  linewidth=1.2, zorder=2)
        ax.scatter([d[1] for d in done], [d[2] for d in done], s=36, c=[d[3] for d in done], zorder=3)
    ax.axvline(chart.as_of, color=AMBER, linestyle="--", linewidth=1)
    ax.text(chart.as_of, -0.9, "rapportdato ", color=AMBER, fontsize=7, va="center", ha="right")
    ax.set_yticks(ys, chart.labels, fontsize=8)
    ax.set_ylim(n - 0.5, -1.3)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{MONTHS[mdates.num2date(v).month - 1]} {mdates.num2date(v).year}"))
    ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(chart.title + "  (○ plan, ● faktisk)", fontsize=10, x=0.02, ha="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
    return _png(fig)


def render_png(chart) -> bytes:
    if isinstance(chart, BudgetChart):
        return budget_png(chart)
    if isinstance(chart, TimelineChart):
        return timeline_png(chart)
    raise TypeError(f"unknown chart {type(chart).__name__}")
