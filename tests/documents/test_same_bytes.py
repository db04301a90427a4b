"""The same version of a document is the same bytes, whenever it is made.

An auditor compared the sha256 of "version 1" as sent earlier with "version 1" made again later:
they differed (the zip entries carried the clock time of the render, the charts' embedded
workbooks their creation time), so the audit trail looked tampered with. Here every document is
made twice with the wall clock at least one zip time step (2 s) apart, and compared byte for byte.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from grantflow.documents.render import soffice
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text

TODAY = date(2026, 11, 24)
PROJECT = "haugaland-velferdsteknologi"
STATUS_DAY = date(2016, 10, 7)           # the status report's date (its charts: budget and timeline)
SPLIT_DAY, OTHER_DAY = date(2026, 11, 20), date(2026, 11, 21)   # the cost split's dates
WITH_PDF = soffice() is not None and shutil.which("pdfinfo") is not None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(docx: Path) -> str:
    """The sha256 the document's record holds for its latest version."""
    return json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))["versions"][-1]["file_sha256"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Each document made in two output folders, the clock moved on in between; the cost split also
    re-dated and dated back, and made from a config with one amount changed."""
    base = tmp_path_factory.mktemp("same-bytes")
    register = open_register(CONFIG)

    def status(out):
        return produce(register, "status", PROJECT, as_of=STATUS_DAY, out=base / out, today=TODAY).docx

    def split(out, day=SPLIT_DAY, reg=register):
        return produce(reg, "costsplit", PROJECT, period="2015", as_of=day, out=base / out, today=TODAY).docx

    def command(out, seed):
        """`grantflow render` in a process of its own (another hash seed: nothing may hang on set order)."""
        subprocess.run([sys.executable, "-m", "grantflow.cli", "render", "status", PROJECT,
                        "--as-of", STATUS_DAY.isoformat(), "--config", str(CONFIG), "--out", str(base / out)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        return base / out / f"haugaland-vekst/{PROJECT}/status-{STATUS_DAY.isoformat()}.docx"

    def pdf(out):
        return produce(register, "status", PROJECT, as_of=STATUS_DAY, out=base / out, today=TODAY, pdf=True).pdf

    first = {"status": status("a"), "split": split("a"), "command": command("cli-a", "1")}
    if WITH_PDF:
        first["pdf"] = pdf("pdf-a")
    first_bytes = {k: p.read_bytes() for k, p in first.items()}
    first_records = {k: recorded(p.with_suffix(".docx")) for k, p in first.items()}
    time.sleep(2.1)      # the next renders happen in another zip time step (2 s) and another second
    second = {"status": status("b"), "split": split("b"), "command": command("cli-b", "2")}
    if WITH_PDF:   # on a machine in another time zone
        zone = os.environ.get("TZ")
        os.environ["TZ"] = "Europe/Oslo"
        try:
            second["pdf"] = pdf("pdf-b")
        finally:
            os.environ.pop("TZ") if zone is None else os.environ.__setitem__("TZ", zone)
    # version 1 made, never sent, its file deleted: made again as version 1
    first["status"].unlink()
    again = status("a")
    # version 1 of the cost split, never sent, asked for another day, then for the first day again
    redated = split("a", OTHER_DAY)
    redated_copy = base / "redated.docx"
    redated_copy.write_bytes(redated.read_bytes())
    back = split("a")
    changed_config = base / "config"
    shutil.copytree(CONFIG, changed_config)
    replace_in(changed_config / f"projects/{PROJECT}.yaml", "{2015: 412000, 2016: 1123000}",
               "{2015: 412010, 2016: 1123000}")
    changed = split("c", reg=open_register(changed_config))
    return {"first": first, "first_bytes": first_bytes, "first_records": first_records, "second": second,
            "again": again, "redated": redated_copy, "back": back, "changed": changed}


@pytest.mark.parametrize("kind", ["status", "split", "command"])
def test_made_again_later_same_bytes_and_record(made, kind):
    one, two = made["first_bytes"][kind], made["second"][kind].read_bytes()
    assert one == two, f"{kind}: made 2 s later in another folder, other bytes"
    digest = hashlib.sha256(one).hexdigest()
    assert made["first_records"][kind] == digest
    assert recorded(made["second"][kind]) == digest
    if kind == "command":   # the command makes what the library makes
        assert one == made["first_bytes"]["status"]


def test_draft_made_again_is_the_same_version_bytes(made):
    again = made["again"]
    assert again.read_bytes() == made["first_bytes"]["status"]
    assert recorded(again) == made["first_records"]["status"]
    versions = json.loads(again.with_suffix(".json").read_text(encoding="utf-8"))["versions"]
    assert [v["version"] for v in versions] == [1]


def test_redated_draft_dated_back_is_the_first_bytes(made):
    assert "21.\u00a0november\u00a02026" in all_text(made["redated"])
    assert made["redated"].read_bytes() != made["first_bytes"]["split"]
    assert made["back"].read_bytes() == made["first_bytes"]["split"]
    assert recorded(made["back"]) == made["first_records"]["split"]


def test_changed_content_other_bytes(made):
    changed = made["changed"]
    assert "412\u00a0010\u00a0kr" in all_text(changed)
    assert sha(changed) != hashlib.sha256(made["first_bytes"]["split"]).hexdigest()


@pytest.mark.parametrize("kind, day", [("status", STATUS_DAY), ("split", SPLIT_DAY)])
def test_properties_carry_the_documents_date(made, kind, day):
    """Word's File > Info shows created/modified: the document's date, not the template's or the clock's."""
    path = made["second"][kind]
    props = Document(str(path)).core_properties
    assert props.created.date() == day and props.modified.date() == day
    with zipfile.ZipFile(path) as package:
        assert {info.date_time[:3] for info in package.infolist()} == {(day.year, day.month, day.day)}
        books = [n for n in package.namelist() if n.startswith("word/embeddings/")]
        assert len(books) == (2 if kind == "status" else 0)
        for name in books:   # a chart's data opened in Excel: File > Info
            book = load_workbook(io.BytesIO(package.read(name)))
            assert book.properties.created.date() == day and book.properties.modified.date() == day


@pytest.mark.skipif(not WITH_PDF, reason="LibreOffice/poppler not installed")
def test_pdf_made_again_later_same_bytes_dated_as_the_document(made):
    """LibreOffice writes the clock into CreationDate and the file identifiers; the PDF made 2 s
    later, in another time zone, was other bytes for the same version."""
    one, two = made["first"]["pdf"], made["second"]["pdf"]
    assert made["first_bytes"]["pdf"] == two.read_bytes()
    pdf_made = json.loads(two.with_suffix(".json").read_text(encoding="utf-8"))["pdf_made"]
    assert pdf_made["sha256"] == sha(two) == sha(one)
    info = subprocess.run(["pdfinfo", "-isodates", str(two)], capture_output=True, text=True, check=True)
    assert "CreationDate:    2016-10-07T12:00:00Z" in info.stdout.splitlines()
    assert info.stderr == ""     # offsets intact: poppler reads it without complaint
