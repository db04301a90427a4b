"""Charts for the reports (matplotlib, Agg backend), returned as PNG bytes.

Chart specs are plain data built by the context builders; the renderer turns them into images,
so builders stay free of plotting and documents without charts cost nothing here.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from .. import fmt  # noqa: E402

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
    extra: dict = field(default_factory=dict)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def budget_png(chart: BudgetChart) -> bytes:
    n = len(chart.categories)
    fig, ax = plt.subplots(figsize=(7.0, 0.6 + 0.55 * max(n, 1)))
    ys = range(n)
    scale = 1000 if chart.unit == 1000 else 1
    ax.barh([y + 0.2 for y in ys], [b / scale for b in chart.budget], height=0.38, color=GREY, label="Budsjett")
    ax.barh([y - 0.2 for y in ys], [a / scale for a in chart.actual], height=0.38, color=BLUE, label="Regnskap")
    ax.set_yticks(list(ys), ["\n".join(textwrap.wrap(c, 32)) for c in chart.categories], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v)))
    ax.set_xlabel(f"Beløp {fmt.unit_label(chart.unit)}", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(chart.title, fontsize=10, loc="left")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.4 / max(n, 1)), ncol=2,
              frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def timeline_png(chart: TimelineChart) -> bytes:
    n = len(chart.labels)
    fig, ax = plt.subplots(figsize=(7.0, 0.8 + 0.38 * max(n, 1)))
    colors = {"done": GREEN, "late": RED, "on_track": BLUE, "not_started": GREY}
    for y, (planned, actual, status) in enumerate(zip(chart.planned, chart.actual, chart.status)):
        ax.plot([planned], [y], marker="o", markersize=7, markerfacecolor="white",
                markeredgecolor=colors[status], linestyle="none")
        if actual is not None:
            ax.plot([planned, actual], [y, y], color=colors[status], linewidth=1.2)
            ax.plot([actual], [y], marker="o", markersize=7, color=colors[status], linestyle="none")
    ax.axvline(chart.as_of, color=AMBER, linestyle="--", linewidth=1)
    ax.text(chart.as_of, -0.85, " rapportdato", color=AMBER, fontsize=7, va="center")
    ax.set_yticks(range(n), chart.labels, fontsize=8)
    ax.set_ylim(n - 0.5, -1.2)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=9))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{MONTHS[mdates.num2date(v).month - 1]} {mdates.num2date(v).year}"))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(chart.title + "  (○ plan, ● faktisk)", fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
    return _png(fig)


def render_png(chart) -> bytes:
    if isinstance(chart, BudgetChart):
        return budget_png(chart)
    if isinstance(chart, TimelineChart):
        return timeline_png(chart)
    raise TypeError(f"unknown chart {type(chart).__name__}")
