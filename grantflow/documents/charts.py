"""Charts for the reports: Word-native charts (DrawingML chart parts with their data embedded as
a small workbook, as Word writes them), with matplotlib PNGs only as a fallback.

Chart specs are plain data built by the context builders; the renderer turns them into chart
parts (``native_chart``) so builders stay free of plotting and documents without charts cost
nothing here. The chart XML and the embedded workbook come from python-pptx's chart writer (the
DrawingML chart part is the same in Word and PowerPoint) and XlsxWriter; the reader can click a
chart in Word, see and edit its numbers, restyle it, and it prints sharp at any size.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .. import fmt

BLUE, GREY, RED, GREEN, AMBER = "#1F4E79", "#A6A6A6", "#C00000", "#548235", "#BF8F00"
LIGHT_RED, LIGHT_GREEN, DARK_GREEN, DARK_GREY = "#F4B6B6", "#C5E0B4", "#375623", "#595959"
LIGHT_BLUE = "#9DC3E6"
MONTHS = ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"]
STATUS_COLOR = {"done": GREEN, "with_report": GREEN, "late": RED, "not_done": RED, "on_track": BLUE, "not_started": GREY, "cancelled": AMBER}


@dataclass(frozen=True)
class BudgetChart:
    """Budget vs actual per category (amounts in kroner; ``unit`` 1000 shows thousands), and the
    plan to date between them when given (the status report). The series names say which period
    each figure covers: "Budsjett" beside "Regnskap" compared the whole period's budget with
    spending to date without a word (found by an outside tester)."""

    categories: tuple[str, ...]
    budget: tuple[int, ...]
    actual: tuple[int, ...]
    unit: int = 1
    title: str = "Budsjett og regnskap per kategori"
    planned: tuple[int, ...] | None = None
    actual_name: str = "Regnskap til nå"

    def series(self) -> list[tuple[str, tuple[int, ...], str]]:
        """(name, values in kroner, colour) of each bar, top to bottom within a category."""
        return [("Budsjett hele perioden", self.budget, GREY)] + (
            [("Plan til nå", self.planned, LIGHT_BLUE)] if self.planned is not None else []) + [
            (self.actual_name, self.actual, BLUE)]


@dataclass(frozen=True)
class TimelineChart:
    """Milestones planned vs actual, with the report date."""

    labels: tuple[str, ...]
    planned: tuple[date, ...]
    actual: tuple[date | None, ...]
    status: tuple[str, ...]
    as_of: date
    title: str = "Milepæler: plan og faktisk"
    span: tuple[date, date] | None = None    # the date axis, when a part must match the whole chart
    marker: str = "Rapportdato"              # what ``as_of`` is (a final report made after the end: "Prosjektslutt")


# ------------------------------------------------------------------ Word-native charts

@dataclass(frozen=True)
class NativeChart:
    """A chart part's XML (without its workbook link), the embedded workbook, the drawing size
    in EMU, and a one-line description for screen readers."""

    xml: bytes
    workbook: bytes
    width: int
    height: int
    title: str


EMU_PER_MM = 36000
FONT = "Calibri"   # the templates' body font (LibreOffice shows the metric-compatible Carlito)
WIDTH_MM = 165
EXCEL_EPOCH = date(1899, 12, 30)
# Norwegian (bokmål, LCID 0x414) number formats, so Word and LibreOffice show "1 200 000" and
# "jan 25" whatever the reader's own locale.
AMOUNT_FORMAT = "[$-414]#,##0"
MONTH_FORMAT = "[$-414]mmm yyyy"


def serial(day: date) -> int:
    """A date as the spreadsheet day number the chart's date axis counts in."""
    return (day - EXCEL_EPOCH).days


def _writers(stamp: datetime | None = None):
    """python-pptx's chart data classes, with a workbook writer that never turns text into
    formulas or links (a milestone named '=HYPERLINK(…)' stays text in the embedded workbook) and
    dates the workbook ``stamp`` (the document's time; XlsxWriter writes the clock's otherwise,
    and the same document made again would be other bytes)."""
    from pptx.chart.data import CategoryChartData
    from pptx.chart.xlsx import CategoryWorkbookWriter
    from xlsxwriter import Workbook

    class SafeWorkbookWriter(CategoryWorkbookWriter):
        def _open_worksheet(self, xlsx_file):
            from contextlib import contextmanager

            @contextmanager
            def opened():
                workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                                "strings_to_urls": False, "strings_to_numbers": False})
                workbook.set_properties({"created": stamp or datetime(1980, 1, 1, 12)})
                yield workbook, workbook.add_worksheet()
                workbook.close()
            return opened()

    class ChartData(CategoryChartData):
        @property
        def _workbook_writer(self):
            writer = self.__dict__.get("_safe_writer")
            if writer is None:
                writer = self.__dict__["_safe_writer"] = SafeWorkbookWriter(self)
            return writer

    return ChartData


def _rgb(color: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(color.lstrip("#"))


def _chart(chart_type, data):
    """The chart object model over a freshly written chart XML."""
    from pptx.chart.chart import Chart
    from pptx.oxml import parse_xml

    space = parse_xml(data.xml_bytes(chart_type))
    return space, Chart(space, None)


def _finish(space, chart, title: str, size: int = 8):
    from pptx.util import Pt

    chart.has_title = True
    chart.chart_title.text_frame.text = title
    run = chart.chart_title.text_frame.paragraphs[0].runs[0]
    run.font.size, run.font.bold = Pt(size + 2), True
    chart.font.size, chart.font.name = Pt(size), FONT
    # Word shows the chart's own language in number formats and proofing.
    lang = space.find("{http://schemas.openxmlformats.org/drawingml/2006/chart}lang")
    if lang is not None:
        lang.set("val", "nb-NO")


WORKBOOK_RID = "rId1"   # the chart part's one relationship: its embedded workbook


def _serialize(space) -> bytes:
    from lxml import etree

    space.get_or_add_externalData().rId = WORKBOOK_RID
    return etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fill(fmt_obj, color: str | None) -> None:
    if color is None:
        fmt_obj.fill.background()
        fmt_obj.line.fill.background()
    else:
        fmt_obj.fill.solid()
        fmt_obj.fill.fore_color.rgb = _rgb(color)


def budget_native(chart: BudgetChart, stamp: datetime | None = None) -> NativeChart:
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION

    scale = 1000 if chart.unit == 1000 else 1
    data = _writers(stamp)(number_format=AMOUNT_FORMAT)
    data.categories = ["\n".join(textwrap.wrap(c, 32)) or c for c in chart.categories]
    bars = chart.series()
    for name, values, _ in bars:
        data.add_series(name, [v / scale for v in values])
    space, ch = _chart(XL_CHART_TYPE.BAR_CLUSTERED, data)
    _finish(space, ch, chart.title)
    plot = ch.plots[0]
    plot.gap_width, plot.overlap = 60, 0
    plot.vary_by_categories = False
    for series, (_, _, color) in zip(plot.series, bars):
        _fill(series.format, color)
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = AMOUNT_FORMAT, False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    ch.has_legend = True
    ch.legend.position, ch.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    ch.category_axis.reverse_order = True          # first category on top, as in the table
    _value_axis_at_last_category(ch)                # ... and the amount axis still at the bottom
    ch.category_axis.format.line.color.rgb = _rgb(GREY)
    value = ch.value_axis
    value.has_title = True
    value.axis_title.text_frame.text = f"Beløp {fmt.unit_label(chart.unit)}"
    value.tick_labels.number_format, value.tick_labels.number_format_is_linked = AMOUNT_FORMAT, False
    value.minimum_scale = 0
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = _rgb("#E0E0E0")
    value.format.line.fill.background()
    n = max(len(chart.categories), 1)
    return NativeChart(_serialize(space), data.xlsx_blob, WIDTH_MM * EMU_PER_MM,
                       int((38 + 6.5 * len(bars) * n) * EMU_PER_MM), chart.title)


def _axis_range(days: list[date]) -> tuple[date, date, float]:
    """Axis from the first of the month half a month before the earliest date to the first of the
    month after the latest, ticks every 1, 2, 3, 6 or 12 months (in average-month days, so the
    ticks stay within the first days of a month; the axis starts on the 4th so that leap days and
    long months never pull a tick back into the previous month)."""
    low, high = min(days) - timedelta(days=15), max(days) + timedelta(days=15)
    start = date(low.year, low.month, 1)
    end = date(high.year + (high.month == 12), high.month % 12 + 1, 1)
    months = (end.year - start.year) * 12 + end.month - start.month
    step = next((m for m in (1, 2, 3, 6, 12) if months / m <= 6), 24)
    if step > 1:   # start on a step boundary (quarters from jan/apr/jul/okt, ...)
        start = date(start.year, start.month - (start.month - 1) % step, 1)
    return start, end, step * 365.25 / 12


TIMELINE_SERIES = (
    # name in the legend, colour (None: invisible), shown in the legend
    (" ", None, False),                        # offset from the axis start
    ("Faktisk", DARK_GREEN, False),            # actual date, when earlier than planned
    ("Avvik, ferdig", LIGHT_GREEN, False),     # actual -> plan (done early)
    ("Plan (farge = status)", DARK_GREY, True),  # the planned date, coloured by status
    ("Avvik, ferdig", LIGHT_GREEN, True),      # plan -> actual (done late)
    ("Forsinket, ikke ferdig", LIGHT_RED, True),  # plan -> report date (late, not done)
    ("Faktisk", DARK_GREEN, True),             # actual date, when on or after the plan
)


def _timeline_row(planned: date, actual: date | None, status: str, as_of: date, mark: float) -> list[float]:
    """Segment lengths (in days) of one milestone's stacked bar, in TIMELINE_SERIES order."""
    p, half = serial(planned), mark / 2
    if actual and actual < planned:
        a = serial(actual)
        return [a - half, mark, max(p - a - mark, 0), mark, 0, 0, 0]
    if actual:
        a = serial(actual)
        if a - p < mark:   # on the planned date: one marker for both
            return [p - half, 0, 0, mark, 0, 0, 0]
        return [p - half, 0, 0, mark, a - p - mark, 0, mark]
    if status in ("late", "not_done") and planned < as_of:   # not done by its date (final report: not delivered)
        return [p - half, 0, 0, mark, 0, max(serial(as_of) - p - half, 0), 0]
    return [p - half, 0, 0, mark, 0, 0, 0]


def timeline_native(chart: TimelineChart, stamp: datetime | None = None) -> NativeChart:
    """A Gantt-style horizontal stacked bar per milestone: an invisible offset, then markers for
    the planned date (coloured by status) and the actual date, the gap between them (light
    green: done, early or late) and, for a milestone not done by its date, light red from the
    plan to the report date. The report date is the first row (an amber marker)."""
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION

    n = len(chart.labels)
    days = list(chart.span or ()) or list(chart.planned) + [a for a in chart.actual if a] + [chart.as_of]
    start, end, unit = _axis_range(days)
    mark = max(3, round((serial(end) - serial(start)) / 90))   # marker width in days
    values = [[serial(chart.as_of) - mark / 2, 0, 0, mark, 0, 0, 0]]
    colors = [AMBER]
    for planned, actual, status in zip(chart.planned, chart.actual, chart.status):
        values.append(_timeline_row(planned, actual, status, chart.as_of, mark))
        colors.append(STATUS_COLOR.get(status, GREY))
    data = _writers(stamp)(number_format="0")
    data.categories = [f"{chart.marker} {fmt.short_date(chart.as_of)}"] + [wrap_label(label) for label in chart.labels]
    for i, (name, _, _) in enumerate(TIMELINE_SERIES):
        data.add_series(name, [row[i] for row in values])
    space, ch = _chart(XL_CHART_TYPE.BAR_STACKED, data)
    _finish(space, ch, chart.title)
    plot = ch.plots[0]
    plot.gap_width, plot.overlap = 40, 100
    plot.vary_by_categories = False
    series = list(plot.series)
    for one, (_, color, _) in zip(series, TIMELINE_SERIES):
        _fill(one.format, color)
    for point, color in enumerate(colors):
        _fill(series[3].points[point].format, color)
    ch.has_legend = True
    ch.legend.position, ch.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
    _hide_legend_entries(space, [i for i, (_, _, shown) in enumerate(TIMELINE_SERIES)
                                 if not shown or not any(row[i] for row in values)], len(TIMELINE_SERIES))
    cat = ch.category_axis
    cat.reverse_order = True                     # first milestone on top, as in the table
    _value_axis_at_last_category(ch)             # ... and the date axis still at the bottom
    cat.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    cat.format.line.color.rgb = _rgb(GREY)
    value = ch.value_axis
    value.minimum_scale, value.maximum_scale, value.major_unit = serial(start) + 3, serial(end), unit
    value.tick_labels.number_format, value.tick_labels.number_format_is_linked = MONTH_FORMAT, False
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = _rgb("#E0E0E0")
    value.format.line.fill.background()
    return NativeChart(_serialize(space), data.xlsx_blob, WIDTH_MM * EMU_PER_MM,
                       int(timeline_height_mm(chart.labels) * EMU_PER_MM), chart.title)


LABEL_CHARS = 48        # a timeline label longer than this wraps (also inside a long word), never cut
TIMELINE_MAX_MM = 215   # a timeline part fits on an A4 page under its heading (the body is 257 mm)


def wrap_label(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_CHARS)) or label


def timeline_height_mm(labels) -> float:
    """Title, legend and axis, then one row per milestone (and the report date) as tall as the
    most lines a label wraps to (8 pt text)."""
    lines = max((wrap_label(label).count("\n") + 1 for label in labels), default=1)
    return 32 + max(6.5, 3.4 * lines + 2.6) * (len(labels) + 1)


def timeline_parts(chart: TimelineChart) -> list[TimelineChart]:
    """The timeline in parts that each fit on a page (one part when it fits whole), on the same
    date axis, titled with the milestones they show."""
    rows = list(zip(chart.labels, chart.planned, chart.actual, chart.status))
    parts, first = [], 0
    while first < len(rows):
        last = first + 1
        while last < len(rows) and timeline_height_mm(chart.labels[first:last + 1]) <= TIMELINE_MAX_MM:
            last += 1
        parts.append((first, last))
        first = last
    if len(parts) <= 1:
        return [chart]
    size = -(-len(rows) // len(parts))          # as many parts, evenly filled, where they fit
    even = [(a, min(a + size, len(rows))) for a in range(0, len(rows), size)]
    if all(timeline_height_mm(chart.labels[a:b]) <= TIMELINE_MAX_MM for a, b in even):
        parts = even
    days = list(chart.planned) + [a for a in chart.actual if a] + [chart.as_of]
    span = (min(days), max(days))
    return [TimelineChart(*map(tuple, zip(*rows[a:b])), as_of=chart.as_of, span=span, marker=chart.marker,
                          title=f"{chart.title} (milepæl {a + 1}–{b} av {len(rows)})")
            for a, b in parts]


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def _value_axis_at_last_category(chart) -> None:
    """The value axis crosses the category axis at its last category (c:valAx/c:crosses 'max'):
    with the categories in reverse order, that keeps the value axis at the bottom. (python-pptx
    sets the crossing only the other way round.)"""
    chart.value_axis._element.find(f"{C}crosses").set("val", "max")


def _hide_legend_entries(space, indexes: list[int], count: int) -> None:
    """Leave series out of the legend (c:legendEntry/c:delete, after c:legendPos). A horizontal
    bar chart's legend lists its series bottom-up, and a legend entry's index counts in the
    legend's order, so series i is entry count-1-i (as Word does and LibreOffice follows)."""
    from lxml import etree

    c = C
    legend = space.find(f"{c}chart/{c}legend")
    anchor = legend.find(f"{c}legendPos")
    for offset, index in enumerate(sorted({count - 1 - i for i in indexes})):
        entry = etree.Element(f"{c}legendEntry")
        etree.SubElement(entry, f"{c}idx").set("val", str(index))
        etree.SubElement(entry, f"{c}delete").set("val", "1")
        anchor.addnext(entry) if offset == 0 else legend.find(f"{c}legendEntry[last()]").addnext(entry)


def native_chart(chart, stamp: datetime | None = None) -> NativeChart | list[NativeChart] | None:
    """The Word-native chart for a spec (a list of charts, one under the other, for a timeline
    too long for one page), or None when the kind has no native form (PNG then); ``stamp`` dates
    the embedded workbooks."""
    if isinstance(chart, BudgetChart):
        return budget_native(chart, stamp)
    if isinstance(chart, TimelineChart):
        parts = timeline_parts(chart)
        return timeline_native(chart, stamp) if len(parts) == 1 else [timeline_native(part, stamp) for part in parts]
    return None


# ------------------------------------------------------------------ PNG fallback (matplotlib)

DPI = 130


def _figure(width: float, height: float):
    # A bare Figure (no pyplot state, nothing to close) is cheaper and thread-safe; matplotlib is
    # imported only when a chart really falls back to a picture.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def budget_png(chart: BudgetChart) -> bytes:
    from matplotlib.ticker import FuncFormatter

    n = len(chart.categories)
    fig = _figure(7.0, 1.3 + 0.5 * max(n, 1))
    ax = fig.add_axes((0.30, 0.30 if n < 3 else 0.22, 0.66, 0.58 if n < 3 else 0.68))
    ys = list(range(n))
    scale = 1000 if chart.unit == 1000 else 1
    bars = chart.series()
    height = 0.76 / len(bars)
    for i, (name, values, color) in enumerate(bars):      # the first on top, as in the Word chart
        offset = (i - (len(bars) - 1) / 2) * height
        ax.barh([y + offset for y in ys], [v / scale for v in values], height=height * 0.95, color=color, label=name)
    ax.set_yticks(ys, ["\n".join(textwrap.wrap(c, 30)) for c in chart.categories], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v)))
    ax.set_xlabel(f"Beløp {fmt.unit_label(chart.unit)}", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(chart.title, fontsize=10, x=0.02, ha="left")
    fig.legend(fontsize=8, loc="upper right", bbox_to_anchor=(0.98, 1.0), ncol=len(bars), frameon=False,
               handlelength=1.2, columnspacing=1.2)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def timeline_png(chart: TimelineChart) -> bytes:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    n = len(chart.labels)
    height = 1.2 + 0.3 * max(n, 1)
    fig = _figure(7.0, height)
    ax = fig.add_axes((0.42, 0.55 / height, 0.55, 1 - 1.05 / height))
    ys = list(range(n))
    edge = [STATUS_COLOR[s] for s in chart.status]
    ax.scatter(chart.planned, ys, s=36, facecolors="white", edgecolors=edge, zorder=3)
    done = [(p, a, y, STATUS_COLOR[s]) for p, a, y, s in zip(chart.planned, chart.actual, ys, chart.status) if a]
    if done:
        ax.hlines([d[2] for d in done], [d[0] for d in done], [d[1] for d in done], colors=[d[3] for d in done],
                  linewidth=1.2, zorder=2)
        ax.scatter([d[1] for d in done], [d[2] for d in done], s=36, c=[d[3] for d in done], zorder=3)
    ax.axvline(chart.as_of, color=AMBER, linestyle="--", linewidth=1)
    ax.text(chart.as_of, -0.9, f"{chart.marker.lower()} ", color=AMBER, fontsize=7, va="center", ha="right")
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
