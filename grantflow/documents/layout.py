"""Table layout that only the rendered figures decide: every figure (and date) on one line.

A template gives its tables fixed column widths, but how wide a figure is depends on the data:
``1 000 000 000`` in a year table with four years, ``−2 032 191 358`` in a deviation column,
``Tilbakebetales 2 024 691 358 kr`` in a disposition column. A figure wider than its column is
broken by Word and LibreOffice in the middle of its digits ("1 000 000 00" / "0") even though
its group separators are non-breaking. After rendering, ``fit_figures`` widens each column to its
widest figure, taking the room from the other columns (text wraps between words; a figure must
not), then from the page's free width, and as a last resort sets the table in a smaller type.
"""

from __future__ import annotations

import re
from functools import lru_cache

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..fmt import LONG_DATE

# Advance widths in em of Calibri Bold (= Carlito Bold, which LibreOffice shows; regular is no
# wider), so an estimate errs on the wide side.
_LETTERS = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ"
_LETTER_WIDTHS = ("494 537 418 537 503 316 474 537 246 255 480 246 813 537 538 537 537 355 399 347 537 473 745 459 "
                  "474 397 775 544 494 606 561 529 630 488 459 637 631 267 331 547 423 874 659 676 532 686 563 473 "
                  "495 653 591 906 551 520 478 775 681 606")
_EM = {**{ch: int(w) / 1000 for ch, w in zip(_LETTERS, _LETTER_WIDTHS.split())},
       **dict.fromkeys("0123456789", 0.507), " ": 0.226, "\u00a0": 0.226, "\u202f": 0.226, "\u2009": 0.2,
       "\u2212": 0.498, "-": 0.306, "+": 0.498, "%": 0.729, ",": 0.258, ".": 0.267, "\u2013": 0.498,
       "(": 0.312, ")": 0.312, "/": 0.43, ":": 0.276, ";": 0.276, "«": 0.539, "»": 0.539}
_OTHER_EM = 0.7             # any other character: a wide one
SAFETY = 1.06               # rounding, kerning, Word and LibreOffice differ slightly
CELL_MARGINS = 2 * 108 + 30  # twips: Table Grid's left and right cell margins, and the borders
WORD_CAP = 1800             # twips (3.2 cm): a text column keeps room for its longest word up to this
NARROW = 850                # twips (1.5 cm): a column this narrow (a number, S, K) gives nothing away
SMALLER = (8.0, 7.0)        # type sizes (pt) to try when the figures do not fit the page at all
DEFAULT_PT = 9.0            # the templates' "Table Text"

# A figure: digits with their non-breaking group separators, a decimal comma, a sign, and the
# unit joined to it by a no-break space ("1 234 kr", "12,5 %"); Word may break only around it.
# A date as the documents write it ("30. september 2019", "mai 2017") is read as one unit too: a
# planned date broken after its month reads as two.
FIGURE = re.compile(rf"{LONG_DATE.pattern}"
                    r"|[+\u2212\-]?\d(?:[\u00a0\u202f\u2009.,/\-]?\d)*(?:\u00a0(?:kr|%))?")
WORD_BREAK = re.compile(r"[ \t\n]+|(?<=[-/])")    # where Word and LibreOffice may break a line


@lru_cache(maxsize=4096)
def em_width(text: str) -> float:
    return sum(_EM.get(ch, _OTHER_EM) for ch in text)


def figures(text: str) -> list[str]:
    """The figures and dates in a cell's text, each to be kept on one line."""
    return FIGURE.findall(text)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _style_sizes(document) -> dict[str | None, float]:
    """Type size (pt) per paragraph style id, inherited through 'based on'; None: the default
    (read from styles.xml directly: python-docx's style objects cost ~20 ms a document)."""
    own, based = {}, {}
    for style in document.styles.element.iterfind(f"{W}style"):
        sid = style.get(f"{W}styleId")
        sz = style.find(f"{W}rPr/{W}sz")
        if sz is not None:
            own[sid] = int(sz.get(f"{W}val")) / 2
        parent = style.find(f"{W}basedOn")
        if parent is not None:
            based[sid] = parent.get(f"{W}val")

    def size(sid, depth=0):
        if sid in own or depth > 20:
            return own.get(sid)
        return size(based[sid], depth + 1) if sid in based else None

    sizes = {sid: size(sid) for sid in set(own) | set(based)}
    sizes = {sid: value for sid, value in sizes.items() if value is not None}
    sizes[None] = sizes.get("Normal", DEFAULT_PT)
    return sizes


def _cell(tc, sizes: dict) -> list[tuple[str, float]]:
    """Each non-empty paragraph of a cell: its text and twips per em (its type size)."""
    out = []
    for p in tc.iter(f"{W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        if not text.strip():
            continue
        run_size = next(p.iter(f"{W}sz"), None)          # a run's own size (half-points)
        if run_size is not None:
            size = int(run_size.get(f"{W}val")) / 2
        else:
            style = next(p.iter(f"{W}pStyle"), None)
            size = sizes.get(style.get(f"{W}val") if style is not None else None, sizes[None])
        out.append((text, size * 20))
    return out


def _widest(paragraphs, split) -> float:
    return max((em_width(piece) * per_em for text, per_em in paragraphs for piece in split(text) if piece),
               default=0.0)


def _rows(table):
    """(grid column index, tc) for every cell spanning one grid column."""
    for tr in table._tbl.iterfind(f"{W}tr"):
        col = 0
        for tc in tr.iterfind(f"{W}tc"):
            span = tc.find(f"{W}tcPr/{W}gridSpan")
            span = int(span.get(f"{W}val")) if span is not None else 1
            if span == 1:
                yield col, tc
            col += span


def _spread(widths: list[int], needs: list[int], floors: list[int], room: int) -> list[int] | None:
    """New widths giving each column at least its need: the room is taken from the columns that
    can spare it (down to their need, or the floor that keeps their longest word whole), then
    from the page up to ``room`` twips in all; None if that is not enough."""
    new = [max(w, n) for w, n in zip(widths, needs)]
    spare = [w - max(n, min(w, f)) for w, n, f in zip(new, needs, floors)]
    take = min(sum(new) - sum(widths), sum(spare))
    if sum(new) - take > room:
        return None
    cuts = [take * s // sum(spare) if take else 0 for s in spare]
    cuts[spare.index(max(spare))] += take - sum(cuts)       # rounding: from the roomiest column
    return [w - c for w, c in zip(new, cuts)]


def fit_figures(document) -> None:
    """Widen table columns whose figures would break mid-number (see the module docstring)."""
    section = document.sections[0]
    sizes = _style_sizes(document)
    page = int((section.page_width - section.left_margin - section.right_margin) / 635)   # EMU -> twips
    for table in document.tables:
        grid = table._tbl.tblGrid
        cols = grid.findall(qn("w:gridCol"))
        widths = [int(float(c.get(qn("w:w")) or 0)) for c in cols]
        if not cols or not all(widths):
            continue
        cells = [[] for _ in cols]
        for col, tc in _rows(table):
            if col < len(cols):
                cells[col] += _cell(tc, sizes)
        fig = [_widest(paragraphs, figures) for paragraphs in cells]
        word = None        # measured only for a table that needs its columns changed
        room = max(page, sum(widths))
        for size in (None, *SMALLER):
            scale = SAFETY * (size / DEFAULT_PT if size else 1)
            needs = [int(f * scale) + CELL_MARGINS if f else 0 for f in fig]
            if all(n <= w for n, w in zip(needs, widths)):
                if size:
                    _apply(table, widths, size)
                break
            word = word or [_widest(paragraphs, WORD_BREAK.split) for paragraphs in cells]
            floors = [max(min(int(w * scale) + CELL_MARGINS, WORD_CAP), min(width, NARROW))
                      for w, width in zip(word, widths)]
            new = _spread(widths, needs, floors, room)
            if new is not None:
                _apply(table, new, size)
                break


def _apply(table, widths: list[int], size: float | None) -> None:
    from docx.shared import Pt

    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(width))
    for tr in table._tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc_pr = tc.get_or_add_tcPr()
            tc_w = tc_pr.find(qn("w:tcW"))
            if tc_w is None:
                tc_w = OxmlElement("w:tcW")
                tc_pr.insert(0, tc_w)
            tc_w.set(qn("w:w"), str(sum(widths[col:col + span])))
            tc_w.set(qn("w:type"), "dxa")
            col += span
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is not None and tbl_w.get(qn("w:type")) == "dxa":
        tbl_w.set(qn("w:w"), str(sum(widths)))
    if size is not None:
        for row in table.rows:
            for cell in row.cells:
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.font.size = Pt(size)
