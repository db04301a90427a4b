"""What the reader gets from unkind but valid data (tests/documents/unkind.py): long names without
spaces, 12 municipalities, 40 milestones, amounts of 10^9 kr, empty sections. Each test opens the
generated .docx and checks what a reader would see."""

from __future__ import annotations

import re
from datetime import date

import pytest
from docx import Document

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text
from . import unkind

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return open_register(unkind.write(tmp_path_factory.mktemp("unkind")))


def make(register, tmp_path, kind, project="uvennlig-prosjekt", **kw):
    return produce(register, kind, project, out=tmp_path, today=TODAY, **kw).docx


@pytest.mark.parametrize("kind", ["status", "final"])
def test_a_project_without_milestones_gets_its_report_without_a_chart(register, tmp_path, kind):
    # was: internal error "chart data contains no categories", no document at all
    docx = make(register, tmp_path, kind, "tomt-prosjekt", as_of=date(2026, 6, 15))
    assert "Ingen milepæler er lagt inn." in all_text(docx)
    assert not Document(str(docx)).inline_shapes          # no empty chart drawn


def overflowing_figures(docx) -> list[str]:
    """Figures wider than their column (they would break mid-number), and tables wider than the
    page. A figure's width has a floor from the font alone: Calibri's digits are 0.507 em wide, a
    no-break space 0.226 em, 'kr' 0.8 em; plus Word's cell margins (2 × 108 twips)."""
    from docx.oxml.ns import qn

    document = Document(str(docx))
    section = document.sections[0]
    page = (section.page_width - section.left_margin - section.right_margin) / 635
    found = []
    for table in document.tables:
        widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        if sum(widths) > page + 1:
            found.append(f"table {table.rows[0].cells[0].text!r} is {sum(widths)} twips wide, page {page:.0f}")
        for tr in table._tbl.tr_lst:
            for col, tc in enumerate(tr.tc_lst):
                for p in tc.iter(qn("w:p")):
                    text = "".join(t.text or "" for t in p.iter(qn("w:t")))
                    sizes = [int(s.get(qn("w:val"))) / 2 for s in p.iter(qn("w:sz"))] or [9.0]
                    for figure in re.findall(r"[\u2212-]?\d(?:\u00a0?\d)*(?:\u00a0kr)?", text):
                        em = 0.507 * sum(c.isdigit() for c in figure) + 0.226 * figure.count("\u00a0") \
                            + 0.8 * figure.endswith("kr")
                        need = em * max(sizes) * 20 + 216
                        if need > widths[col]:
                            found.append(f"{figure!r} needs {need:.0f} twips, column {col} has {widths[col]}")
    return found


@pytest.mark.parametrize("kind, kw", [("application", {}), ("status", {"as_of": date(2026, 6, 15)}),
                                      ("final", {}), ("costsplit", {})])
def test_figures_of_ten_billion_fit_their_columns(register, tmp_path, kind, kw):
    # was: "1 000 000 00" / "0" broken over two lines in the year tables, the status report's
    # economy table and the final report's funder table
    assert overflowing_figures(make(register, tmp_path, kind, **kw)) == []


def test_usage_report_figures_fit_their_columns(register, tmp_path):
    docx = produce(register, "usage", council_id="uvennlig", period="2026", out=tmp_path, today=TODAY).docx
    assert overflowing_figures(docx) == []


@pytest.mark.parametrize("kind", ["status", "final"])
def test_forty_milestones_with_long_names_fit_the_page_every_one_shown(register, tmp_path, kind):
    # was: one chart 298 mm tall on a 257 mm page body: milestones 38-40 and the date axis cut
    # off at the page foot, and the 84-character names left the bars a sliver of the width
    import zipfile

    from lxml import etree

    docx = make(register, tmp_path, kind, as_of=date(2026, 6, 15) if kind == "status" else None)
    document = Document(str(docx))
    section = document.sections[0]
    body = section.page_height - section.top_margin - section.bottom_margin
    shapes = document.inline_shapes
    assert shapes and all(shape.height <= body for shape in shapes)
    c = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    labels = []
    with zipfile.ZipFile(docx) as zf:
        for name in sorted((n for n in zf.namelist() if n.startswith("word/charts/chart")),
                           key=lambda n: int(re.sub(r"\D", "", n))):
            space = etree.fromstring(zf.read(name))
            ser = space.find(f".//{c}ser")
            if "Milepæler" in "".join(space.find(f"{c}chart/{c}title").itertext()):
                labels += [v.text for v in ser.findall(f"{c}cat/{c}strRef/{c}strCache/{c}pt/{c}v")][1:]
    assert all(len(line) <= 48 for label in labels for line in label.split("\n"))
    project = register.project("uvennlig-prosjekt")
    squeeze = lambda text: re.sub(r"\s", "", text)
    assert [squeeze(label) for label in labels] == [squeeze(f"{m.number:02d} {m.event}") for m in project.milestones]


@pytest.mark.parametrize("kind", ["application", "final", "usage"])
def test_a_document_does_not_end_on_empty_lines(register, tmp_path, kind):
    # was: the signature's name and role lines printed empty when the data has none; at a page
    # foot they spilled onto a blank last page (the empty project's application: page 3 of 3)
    if kind == "usage":
        docx = produce(register, "usage", council_id="uvennlig", period="2026", out=tmp_path, today=TODAY).docx
    else:
        docx = make(register, tmp_path, kind, "tomt-prosjekt")
    body = Document(str(docx)).paragraphs
    assert body[-1].text.strip(), [p.text for p in body[-4:]]


@pytest.mark.skipif(__import__("shutil").which("pdftotext") is None, reason="poppler not installed")
def test_the_empty_projects_application_has_no_blank_page(register, tmp_path):
    import subprocess

    from grantflow.documents.render import soffice, to_pdf

    if soffice() is None:
        pytest.skip("LibreOffice not installed")
    pdf = to_pdf(make(register, tmp_path, "application", "tomt-prosjekt"))
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.rstrip("\f").split("\f")
    body = [[line for line in page.splitlines() if line.strip()][1:-2] for page in pages]   # less header, footer
    assert all(body), f"page {[bool(b) for b in body].index(False) + 1} of {len(pages)} is blank"


def test_empty_sections_say_so(register, tmp_path):
    from ..docx_text import tables

    final = make(register, tmp_path, "final", "tomt-prosjekt")
    text = all_text(final)
    # was: a 'Kategori' table with a header and a Sum row of zeros and nothing between
    assert "Ingen budsjett eller regnskap er registrert." in text
    assert not [t for t in tables(final) if t[0][0] == "Kategori"]
    # was: "Alle tilsagn er brukt opp" for a project that was never granted anything
    assert "Prosjektet har ikke fått tilsagn om tilskudd; det er ingen ubrukte midler." in text
    assert "Alle tilsagn er brukt opp" not in text
    status = all_text(make(register, tmp_path, "status", "tomt-prosjekt", as_of=date(2026, 6, 15)))
    # was: "0 av 0 milepæler ferdig; 0 forsinket."
    assert "0 av 0" not in status and status.count("Ingen milepæler er lagt inn.") >= 2
    # was: "Prosjektet er fullfinansiert av eksterne kilder ... (kostnader 0 kr, ekstern finansiering 0 kr)"
    split = all_text(make(register, tmp_path, "costsplit", "tomt-prosjekt"))
    assert "Budsjettet har ingen kostnader ennå; kommunene faktureres ikke." in split
    assert "fullfinansiert" not in split
    # was: "Ikke beskrevet i prosjektets oppsett." twice in a row under "5. Forankring og organisering"
    application = all_text(make(register, tmp_path, "application", "tomt-prosjekt"))
    assert "Forankringen er ikke beskrevet" in application and "Organiseringen er ikke beskrevet" in application


def test_the_project_leaders_summary_ends_as_a_sentence(register, tmp_path):
    # was: "… ikke oppdatert siden 1. mars 2026: «…stølsheia» 8 av 40 milepæler er ferdige"
    from ..docx_text import find_table

    docx = make(register, tmp_path, "status", as_of=date(2026, 6, 15))
    overall = find_table(docx, "Samlet vurdering")[1][1]
    assert re.search(r"«[^»]*»\. \d+ av 40 milepæler er ferdige", overall), overall


def test_a_planned_date_stays_on_one_line(tmp_path):
    # was: "30. september" / "2019" in the status report's milestone table (Planlagt, 2.5 cm)
    from docx.oxml.ns import qn

    from ..conftest import CONFIG

    docx = produce(open_register(CONFIG), "status", "smart-velferdsregion-nord-gudbrandsdal",
                   as_of=date(2020, 4, 16), out=tmp_path, today=TODAY).docx
    (table,) = [t for t in Document(str(docx)).tables if t.rows[0].cells[0].text == "Nr"]
    column = [c.text for c in table.rows[0].cells].index("Planlagt")
    width = int(table._tbl.tblGrid.findall(qn("w:gridCol"))[column].get(qn("w:w")))
    dates = [row.cells[column].text for row in table.rows[1:]]
    assert "30.09.2019" in dates       # a planned day as the delivered day beside it
    for text in dates:      # Calibri: digits 0.507 em, letters at least 0.4 em on average, spaces 0.226
        em = 0.507 * sum(c.isdigit() for c in text) + 0.4 * sum(c.isalpha() for c in text) + 0.3 * (text.count(" ") + text.count("\u00a0"))
        assert em * 9 * 20 + 216 <= width, (text, width)


def test_no_blank_line_under_a_heading_when_there_are_no_risks(register, tmp_path):
    # was: an empty line (the rule for which risks are shown) between the heading and "Ingen risikoer"
    body = [p.text for p in Document(str(make(register, tmp_path, "status", "tomt-prosjekt",
                                                as_of=date(2026, 6, 15)))).paragraphs]
    at = body.index("5. Største risikoer")
    assert body[at + 1] == "Ingen risikoer er registrert."


def test_the_usage_reports_date_is_not_split_in_its_title(register, tmp_path):
    # was: "… – per 31." / "desember 2026" in the subtitle under a long council name (made after the
    # year's end: made on TODAY, 24.11.2026, it is a draft per that day)
    docx = produce(register, "usage", council_id="uvennlig", period="2026", out=tmp_path,
                   today=date(2027, 1, 10)).docx
    subtitle = [p.text for p in Document(str(docx)).paragraphs if p.style.name == "Subtitle"]
    assert subtitle and subtitle[0].endswith("per 31.\u00a0desember\u00a02026")


@pytest.mark.parametrize("kind", ["application", "status", "final", "costsplit"])
def test_the_title_block_lines_up_with_the_other_tables(register, tmp_path, kind):
    # was: the title block (Til, Prosjekt, Dato, …) aligned left, its border 0.19 cm out in the
    # margin, every other full-width table centred on the margins
    from docx.enum.table import WD_TABLE_ALIGNMENT

    docx = make(register, tmp_path, kind, **({"as_of": date(2026, 6, 15)} if kind == "status" else {}))
    tables = Document(str(docx)).tables
    assert len(tables) >= 2
    assert {t.alignment for t in tables} == {WD_TABLE_ALIGNMENT.CENTER}


def test_a_project_with_nothing_to_assess_is_not_reported_green(register, tmp_path):
    # was: "Fremdrift: Grønn" and "Samlet vurdering: Grønn" for a project without milestones, budget,
    # risks or status note: green for lack of anything late
    docx = make(register, tmp_path, "status", "tomt-prosjekt", as_of=date(2026, 6, 15))
    assert "Grønn" not in all_text(docx)
    assert "Ikke vurdert" in all_text(docx)


BROKEN_DATE = re.compile(r"(?<![\w.])(?:\d{1,2}\.(?: |\u00a0)(?:januar|februar|mars|april|mai|juni|juli|august|"
                         r"september|oktober|november|desember)|(?:januar|februar|mars|april|mai|juni|juli|"
                         r"august|september|oktober|november|desember)) \d{4}|(?<![\w.])\d{1,2}\. (?:januar|"
                         r"februar|mars|april|mai|juni|juli|august|september|oktober|november|desember)\b")


@pytest.mark.parametrize("kind, project, kw", [
    ("application", "smart-velferdsregion-nord-gudbrandsdal", {}),
    ("status", "haugaland-velferdsteknologi", {"as_of": date(2016, 10, 7)}),
    ("final", "haugaland-velferdsteknologi", {}),
    ("usage", None, {"council_id": "nord-gudbrandsdal", "period": "2019"})])
def test_a_long_date_never_breaks_at_a_line_end(tmp_path, kind, project, kw):
    # was: "søknadsfrist 17." / "januar 2019" in the application's "Søknadsrunde" cell (and any
    # date in running text could end a line with "21." or "september")
    from ..conftest import CONFIG

    docx = produce(open_register(CONFIG), kind, project, out=tmp_path, today=TODAY, **kw).docx
    text = all_text(docx)
    assert re.search(r"\d{1,2}\.\u00a0(?:januar|mars|juni|juli|september|oktober|desember)\u00a0\d{4}", text)
    assert not BROKEN_DATE.findall(text), BROKEN_DATE.findall(text)
    if kind == "application":
        assert "søknadsfrist 17.\u00a0januar\u00a02019" in text
