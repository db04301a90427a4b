"""A cost split dated like every other document: the `cost_split` flow and `grantflow run costsplit`
took no date, so every cost split made through Prefect (the demo's three, for projects of
2013–2020, a run by hand) read "Dato 29. november 2026", the day it ran, beside the same projects'
status reports and applications dated in their own time; `run costsplit P --as-of D` was refused
("'run costsplit' does not take --as-of") though `render costsplit P --as-of D` dated it."""

from __future__ import annotations

from datetime import date

from flows.documents import DeliveryOptions, cost_split
from grantflow.cli import main

from ..conftest import CONFIG
from ..docx_text import all_text

ERP = "kongsbergregionen-erp"     # clean data, invoiced in March; approval not needed for a cost split


def _date_line(docx) -> str:
    text = all_text(docx).replace("\xa0", " ")
    return text[text.index("Dato\n"):].splitlines()[1]


def test_the_cost_split_flow_dates_the_document_as_of_the_day_given(isolated):
    result = cost_split(project=ERP, as_of=date(2014, 2, 21), options=DeliveryOptions(config=str(CONFIG), send=False))
    assert result["docx"].endswith("kongsbergregionen/kongsbergregionen-erp/costsplit-2013-2014.docx"), result
    assert _date_line(result["docx"]) == "21. februar 2014"


def test_run_costsplit_takes_as_of_and_dates_the_cost_split(isolated, capsys):
    argv = ["--config", str(CONFIG), "run", "costsplit", ERP, "--year", "2014", "--as-of", "21.02.2014", "--yes"]
    assert main(argv) == 0, capsys.readouterr()
    (docx,) = (isolated / "outputs").rglob("costsplit-2014.docx")
    assert _date_line(docx) == "21. februar 2014"
