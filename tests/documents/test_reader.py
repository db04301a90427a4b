"""What the reader gets from unkind but valid data (tests/documents/unkind.py): long names without
spaces, 12 municipalities, 40 milestones, amounts of 10^9 kr, empty sections. Each test opens the
generated .docx and checks what a reader would see."""

from __future__ import annotations

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
