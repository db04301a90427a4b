"""Defects found by the second audit of the figures (session 10).

Expected figures are recomputed here from the YAML and the data files as written; the real
documents are rendered and read back, and the CLI's lines are read as a user sees them.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

from ..docx_text import all_text
from .test_figures_recomputed import HAUG, NB, config, plan, render  # noqa: F401 (config: fixture)

KB = "kongsbergregionen-erp"
NOT_REGISTERED = "Timer registreres ikke i grantflow for dette prosjektet"


def text_of(path) -> str:
    return all_text(path).replace(NB, " ")


# ------------------------------------------------------------ hours never registered

def test_a_project_without_an_hours_file_does_not_say_zero_hours(config, tmp_path):
    """Kongsbergregionen keeps no hours file: the status and final reports said "0,0 timer
    registrert (til nå)", which the county governor reads as no own effort at all."""
    assert "hours" not in (plan(config, KB).get("data") or {})
    status = text_of(render(config, "status", tmp_path, pid=KB, as_of=date(2014, 6, 1)).docx)
    final = text_of(render(config, "final", tmp_path, pid=KB).docx)
    for text in (status, final):
        assert "0,0 timer" not in text
    assert NOT_REGISTERED + "." in status
    assert "Egeninnsats: timer registreres ikke i grantflow for dette prosjektet (plan: ikke angitt i timer)." in final


def test_a_project_whose_hours_file_has_no_rows_says_zero_hours(config, tmp_path):
    """An hours file with no rows is a register of no hours: the documents say 0."""
    path = config / "data" / HAUG / "timer.csv"
    assert plan(config, HAUG)["data"]["hours"] == f"data/{HAUG}/timer.csv"
    path.write_text("Dato;Kommune;Timer\n", encoding="utf-8")
    with open(path, encoding="utf-8") as fh:
        registered = sum((Decimal(r["Timer"].replace(",", ".")) for r in csv.DictReader(fh, delimiter=";")), Decimal(0))
    shown = f"{registered:.1f}".replace(".", ",")
    status = text_of(render(config, "status", tmp_path, pid=HAUG, as_of=date(2016, 10, 7)).docx)
    final = text_of(render(config, "final", tmp_path, pid=HAUG).docx)
    assert f"{shown} timer registrert til nå" in status and NOT_REGISTERED not in status
    assert f"Egeninnsats: {shown} timer registrert (plan: 2 073 timer" in final and "registreres ikke" not in final
