"""Word-native charts: the package is what Word requires (content types, relationships, an
embedded workbook per chart), the numbers equal the document's own tables (computed on another
path), user text stays text, and LibreOffice draws them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import PurePosixPath

import openpyxl
import pytest
from docx import Document
from lxml import etree

from grantflow.documents import render as render_module
from grantflow.documents.render import soffice, to_pdf
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import find_table

TODAY = date(2026, 11, 24)
AS_OF = date(2016, 11, 15)
PROJECT = "haugaland-velferdsteknologi"
NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


@pytest.fixture(scope="module")
def status_docx(tmp_path_factory):
    out = tmp_path_factory.mktemp("charts")
    return produce(open_register(CONFIG), "status", PROJECT, as_of=AS_OF, out=out, today=TODAY).docx


def rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """rId -> (type, absolute part name) for ``part``."""
    path = PurePosixPath(part)
    name = str(path.parent / "_rels" / (path.name + ".rels"))
    out = {}
    for rel in etree.fromstring(zf.read(name)).findall("rel:Relationship", NS):
        target = PurePosixPath(path.parent, rel.get("Target"))
        parts = []
        for piece in target.parts:
            parts.pop() if piece == ".." else parts.append(piece)
        out[rel.get("Id")] = (rel.get("Type"), "/".join(parts))
    return out


def charts_of(docx) -> list[dict]:
    """Each chart in document order: its XML, its workbook's rows, the cached values."""
    zf = zipfile.ZipFile(docx)
    doc_rels = rels(zf, "word/document.xml")
    body = etree.fromstring(zf.read("word/document.xml"))
    found = []
    for ref in body.iter(f"{{{NS['c']}}}chart"):
        kind, part = doc_rels[ref.get(f"{{{NS['r']}}}id")]
        assert kind == RT + "chart" and re.fullmatch(r"word/charts/chart\d+\.xml", part)
        space = etree.fromstring(zf.read(part))
        (rid, (wb_kind, wb_part)), = rels(zf, part).items()
        assert wb_kind == RT + "package" and re.fullmatch(r"word/embeddings/Microsoft_Excel_Worksheet\d+\.xlsx", wb_part)
        assert space.find("c:externalData", NS).get(f"{{{NS['r']}}}id") == rid
        book = openpyxl.load_workbook(io.BytesIO(zf.read(wb_part)))
        sheet = book.worksheets[0]
        title = "".join(space.find("c:chart/c:title", NS).itertext())
        series = {}
        for ser in space.iter(f"{{{NS['c']}}}ser"):
            name = ser.find("c:tx/c:strRef/c:strCache/c:pt/c:v", NS).text
            cats = [v.text for v in ser.findall("c:cat/c:strRef/c:strCache/c:pt/c:v", NS)]
            vals = [float(v.text) for v in ser.findall("c:val/c:numRef/c:numCache/c:pt/c:v", NS)]
            series[len(series)] = (name, cats, vals)
        found.append({"title": title, "space": space, "sheet": sheet, "series": series,
                      "cells": [[c.value for c in row] for row in sheet.iter_rows()],
                      "types": [[c.data_type for c in row] for row in sheet.iter_rows()]})
    return found


def test_charts_are_word_chart_parts_with_embedded_workbooks(status_docx):
    zf = zipfile.ZipFile(status_docx)
    types = etree.fromstring(zf.read("[Content_Types].xml"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.findall("ct:Override", NS)}
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.findall("ct:Default", NS)}
    chart_parts = sorted(n for n in zf.namelist() if re.fullmatch(r"word/charts/chart\d+\.xml", n))
    assert len(chart_parts) == 2
    assert all(overrides.get("/" + n) == CHART_CT for n in chart_parts)
    assert defaults.get("xlsx") == XLSX_CT
    for name in zf.namelist():
        if name.endswith(".xlsx"):
            inner = zipfile.ZipFile(io.BytesIO(zf.read(name)))
            assert {"[Content_Types].xml", "xl/workbook.xml"} <= set(inner.namelist())
    charts = charts_of(status_docx)
    assert [c["title"] for c in charts] == ["Milepæler: plan og faktisk", "Budsjett og regnskap per kategori"]
    # No pictures any more, and python-docx sees two inline chart drawings.
    assert not any(n.startswith("word/media/") for n in zf.namelist())
    shapes = Document(str(status_docx)).inline_shapes
    uris = [s._inline.graphic.graphicData.get("uri") for s in shapes]
    assert uris == ["http://schemas.openxmlformats.org/drawingml/2006/chart"] * 2
    # Every chart's cached values (what is drawn) equal its workbook (what "Edit data" shows).
    for chart in charts:
        for index, (name, cats, vals) in chart["series"].items():
            column = [row[index + 1] for row in chart["cells"][1:]]
            assert chart["cells"][0][index + 1] == name
            assert [row[0] for row in chart["cells"][1:]] == cats
            assert [float(v or 0) for v in column] == pytest.approx(vals)


def amount(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text.replace("\u2212", "-")))


def test_budget_chart_equals_the_economy_table(status_docx):
    budget = charts_of(status_docx)[1]
    names = {name: {" ".join(c.split()): v for c, v in zip(cats, vals)}   # long names wrap
             for name, cats, vals in budget["series"].values()}
    table = find_table(status_docx, "År")
    expected_budget, expected_planned, expected_actual = {}, {}, {}
    head = table[0]
    b_col, p_col, a_col = head.index("Budsjett året"), head.index("Plan til nå"), head.index("Regnskap")
    for row in table[1:]:
        if row[0] == "Sum":
            continue
        expected_budget[row[1]] = expected_budget.get(row[1], 0) + amount(row[b_col])
        expected_planned[row[1]] = expected_planned.get(row[1], 0) + amount(row[p_col])
        expected_actual[row[1]] = expected_actual.get(row[1], 0) + amount(row[a_col])
    assert names["Budsjett hele perioden"] == pytest.approx(expected_budget)
    assert names["Plan til nå"] == pytest.approx(expected_planned)
    assert names["Regnskap til nå"] == pytest.approx(expected_actual)
    assert sum(names["Budsjett hele perioden"].values()) == 2_334_415
    assert sum(names["Regnskap til nå"].values()) == 1_088_261


def serial(day: date) -> float:
    return (day - date(1899, 12, 30)).days


def test_timeline_marks_planned_actual_and_report_dates(status_docx):
    timeline = charts_of(status_docx)[0]
    series = timeline["series"]
    names = [name for name, _, _ in series.values()]
    cats = series[0][1]
    table = find_table(status_docx, "Nr")
    assert cats[0] == "Rapportdato 15.11.2016"
    labels = [f"{r[0]} {r[1]}" for r in table[1:]]
    assert [" ".join(c.split()) for c in cats[1:]] == labels   # never cut (long ones wrap): every milestone whole

    def segments(row: int) -> list[tuple[str, float, float]]:
        start, out = 0.0, []
        for name, _, vals in series.values():
            if vals[row]:
                out.append((name, start, start + vals[row]))
            start += vals[row]
        return out

    report = [s for s in segments(0) if s[0].startswith("Plan")][0]
    assert (report[1] + report[2]) / 2 == pytest.approx(serial(AS_OF), abs=1)
    for i, row in enumerate(table[1:], start=1):
        segs = segments(i)
        if row[4]:   # done: the 'Faktisk' marker sits on the actual date from the table
            actual = datetime.strptime(row[4], "%d.%m.%Y").date()
            marks = [s for s in segs if s[0] == "Faktisk"] or [s for s in segs if s[0].startswith("Plan")]
            assert (marks[0][1] + marks[0][2]) / 2 == pytest.approx(serial(actual), abs=1), row
        if row[3].endswith("forsinket") and not row[4]:   # late, not done: light red up to the report date
            late = [s for s in segs if s[0].startswith("Forsinket")]
            assert late and late[0][2] == pytest.approx(serial(AS_OF), abs=1)
    assert "Forsinket, ikke ferdig" in names


def test_milestone_text_stays_text_in_chart_and_workbook(scratch_config, tmp_path):
    hostile = '=HYPERLINK("http://x.example/") & <b>'
    replace_in(scratch_config / f"projects/{PROJECT}.yaml", "event: Oppstart med å samordne kommuner om hovedaktiviteter",
               f"event: '{hostile}'")
    made = produce(open_register(scratch_config), "status", PROJECT, as_of=AS_OF, out=tmp_path, today=TODAY)
    timeline = charts_of(made.docx)[0]
    label = "01 " + hostile
    assert label in timeline["series"][0][1]
    row = [r[0] for r in timeline["cells"]].index(label)
    assert timeline["types"][row][0] == "s"          # a string cell, never a formula


def test_png_fallback_when_a_chart_has_no_native_form(monkeypatch, tmp_path):
    monkeypatch.setattr(render_module, "native_chart", lambda chart, *stamp: None)
    made = produce(open_register(CONFIG), "status", PROJECT, as_of=AS_OF, out=tmp_path, today=TODAY)
    names = zipfile.ZipFile(made.docx).namelist()
    assert not any(n.startswith("word/charts/") for n in names)
    assert sum(n.startswith("word/media/") and n.endswith(".png") for n in names) == 2


@pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None, reason="LibreOffice/poppler not installed")
def test_libreoffice_draws_the_charts(status_docx, tmp_path):
    copy = tmp_path / status_docx.name
    shutil.copy(status_docx, copy)
    pdf = to_pdf(copy)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("Milepæler: plan og faktisk", "Rapportdato 15.11.2016", "Budsjett og regnskap per kategori",
                     "07 Evaluere og avslutte prosjektet", "Forsinket, ikke ferdig", "jan. 2016"):
        assert expected in text, expected
