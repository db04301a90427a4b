"""A milestone the data marks avlyst (cancelled) or utsatt (postponed) is shown so. Found by an
outside auditor: both read "Ikke startet"; later the cancelled one was "Forsinket 227 dager" and,
in the final report, "Ikke levert, 324 dager forsinket"."""

from __future__ import annotations

from datetime import date

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import all_text, find_table

HAUG = "haugaland-velferdsteknologi"


def _edit(config):
    path = config / "data" / HAUG / "milepaeler.csv"
    replace_in(path, "5;pågår;;Evaluering av responssenter pågår", "5;avlyst;;Evalueringen avlyst av styringsgruppen")
    replace_in(path, "6;ikke startet;;", "6;utsatt;;Flyttet til neste år")


def _rows(docx):
    return {r[0]: r for r in find_table(docx, "Nr", "Planlagt")[1:]}


def test_cancelled_and_postponed_milestones_in_the_status_report(scratch_config, tmp_path):
    _edit(scratch_config)
    register = open_register(scratch_config)
    early = produce(register, "status", HAUG, as_of=date(2016, 3, 1), out=tmp_path / "a")
    rows = _rows(early.docx)
    assert rows["05"][3] == "Avlyst" and rows["06"][3] == "Utsatt"
    late = produce(register, "status", HAUG, as_of=date(2017, 6, 15), out=tmp_path / "b")
    rows = _rows(late.docx)
    planned_06 = date(2017, 5, 31)                                  # "mai 2017": the month's last day
    assert rows["05"][3] == "Avlyst"
    assert rows["06"][3].replace("\u00a0", " ") == f"Utsatt, {(date(2017, 6, 15) - planned_06).days} dager forsinket"
    text = all_text(late.docx)
    assert "er avlyst: Evalueringen avlyst av styringsgruppen." in text and "1 avlyst." in text


def test_a_cancelled_milestone_is_not_undelivered_in_the_final_report(scratch_config, tmp_path):
    _edit(scratch_config)
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    rows = _rows(made.docx)
    assert rows["05"][-1] == "Avlyst" and "forsinket" not in rows["05"][-1]
    # postponed past the end: not delivered, and the decision to postpone is still said
    assert rows["06"][-1].replace("\u00a0", " ") == f"Ikke levert (utsatt), {(date(2017, 9, 20) - date(2017, 5, 31)).days} dager forsinket"
    assert "Milepæl 05 «Vurdere om prosjektet er i rute» ble avlyst." in all_text(made.docx)


def test_a_postponed_late_milestone_is_said_postponed_among_the_status_reports_deviations(scratch_config, tmp_path):
    """The table said "Utsatt, forsinket 15 dager" and the deviations only "… er 15 dager forsinket."
    (an outside reader, on the Vestfjord test project's status report)."""
    _edit(scratch_config)
    made = produce(open_register(scratch_config), "status", HAUG, as_of=date(2017, 6, 15), out=tmp_path)
    days = (date(2017, 6, 15) - date(2017, 5, 31)).days
    text = all_text(made.docx).replace("\u00a0", " ")
    assert f"Milepæl 06 «Vurdere om prosjektet er i rute» ble utsatt og er {days} dager forsinket." in text, text
