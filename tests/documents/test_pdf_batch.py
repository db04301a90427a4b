"""Many documents to PDF with one LibreOffice start and a kept profile."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from grantflow.documents.render import soffice, to_pdf_many
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG


@pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None, reason="LibreOffice/poppler not installed")
def test_same_file_names_in_many_folders_each_get_their_pdf(tmp_path):
    register = open_register(CONFIG)
    made = [produce(register, "costsplit", pid, period="2016", out=tmp_path / str(i), today=date(2026, 11, 24)).docx
            for i, pid in enumerate(["haugaland-velferdsteknologi", "kongsbergregionen-erp"])]
    assert made[0].name == made[1].name == "costsplit-2016.docx"
    pdfs = to_pdf_many(made)
    assert pdfs == [d.with_suffix(".pdf") for d in made]
    texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True, check=True).stdout for p in pdfs]
    assert "Haugaland" in texts[0] and "Kongsberg" not in texts[0]
    assert "Kongsberg" in texts[1]
