"""A milestone's decision to postpone (utsatt) or cancel (avlyst) has a day: Vedtaksdato in the
progress file. A report dated before it shows the milestone as it stood then (by its planned
date), the first report whose period holds the decision shows it. Before, a status report for
June 2017 re-made in the autumn said "Avlyst" of a milestone the steering group cancelled in
September, and the usage report per 31.12.2016 said "er avlyst" of one cancelled in March 2017."""

from __future__ import annotations

from datetime import date

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import all_text, find_table

HAUG = "haugaland-velferdsteknologi"
NB = "\u00a0"
# the plan (config/projects/haugaland-velferdsteknologi.yaml) gives months only: the month's last day
PLANNED_05, PLANNED_06 = date(2016, 10, 31), date(2017, 5, 31)


def _progress(config, five: str, six: str = "6;ikke startet;;"):
    path = config / "data" / HAUG / "milepaeler.csv"
    replace_in(path, "Milepæl;Status;Faktisk dato;Kommentar", "Milepæl;Status;Faktisk dato;Kommentar;Vedtaksdato")
    replace_in(path, "5;pågår;;Evaluering av responssenter pågår", five)
    replace_in(path, "6;ikke startet;;", six)


def _rows(docx):
    return {r[0]: [c.replace(NB, " ") for c in r] for r in find_table(docx, "Nr", "Planlagt")[1:]}


def _text(docx) -> str:
    return all_text(docx).replace(NB, " ")


def test_a_status_report_before_the_cancellation_shows_the_milestone_as_it_stood(scratch_config, tmp_path):
    _progress(scratch_config, "5;avlyst;;Avlyst av styringsgruppen;15.09.2016")
    register = open_register(scratch_config)
    june = produce(register, "status", HAUG, as_of=date(2016, 6, 30), out=tmp_path / "a")
    rows, text = _rows(june.docx), _text(june.docx)
    # 31.10.2016 is more than 30 days after 30.06.2016: not started, as any milestone without progress
    assert rows["05"][3] == "Ikke startet", rows["05"]
    assert "avlyst" not in text.lower(), text
    september = produce(register, "status", HAUG, as_of=date(2016, 9, 30), out=tmp_path / "b")
    rows, text = _rows(september.docx), _text(september.docx)
    assert rows["05"][3] == "Avlyst", rows["05"]
    assert "Milepæl 05 «Vurdere om prosjektet er i rute» er avlyst 15. september 2016: Avlyst av styringsgruppen." \
        in text, text


def test_a_late_milestone_postponed_later_is_late_before_the_decision(scratch_config, tmp_path):
    _progress(scratch_config, "5;pågår;;Evaluering av responssenter pågår", "6;utsatt;;Flyttet til høsten;20.06.2017")
    register = open_register(scratch_config)
    before = produce(register, "status", HAUG, as_of=date(2017, 6, 15), out=tmp_path / "a")
    days = (date(2017, 6, 15) - PLANNED_06).days
    assert _rows(before.docx)["06"][3] == f"{days} dager forsinket"
    text = _text(before.docx)
    assert f"Milepæl 06 «Vurdere om prosjektet er i rute» er {days} dager forsinket." in text
    assert "utsatt" not in text.lower() and "Flyttet til høsten" not in text, text
    after = produce(register, "status", HAUG, as_of=date(2017, 6, 30), out=tmp_path / "b")
    days = (date(2017, 6, 30) - PLANNED_06).days
    assert _rows(after.docx)["06"][3] == f"Utsatt, {days} dager forsinket"
    assert (f"Milepæl 06 «Vurdere om prosjektet er i rute» ble utsatt 20. juni 2017 og er {days} dager forsinket."
            in _text(after.docx))


def test_the_usage_report_per_31_12_before_the_cancellation_counts_the_milestone_late(scratch_config, tmp_path):
    _progress(scratch_config, "5;avlyst;;Avlyst av styringsgruppen;15.03.2017")

    def status(year):
        made = produce(open_register(scratch_config), "usage", council_id="haugaland-vekst", period=str(year),
                       out=tmp_path / str(year))
        (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
        return row[6].replace(NB, " ")

    late = (date(2016, 12, 31) - PLANNED_05).days                     # 61
    text = status(2016)
    assert text.startswith(f"Alvorlig avvik: Milepæl 05 ({late} dager) er forsinket") or \
        text.startswith(f"Avvik: Milepæl 05 ({late} dager) er forsinket"), text
    assert "avlyst" not in text, text
    # the project's end year, after the decision: cancelled, not "ikke levert"
    assert "Milepæl 05 ble avlyst" in status(2017) or "milepæl 05 ble avlyst" in status(2017)


def test_a_final_report_dated_before_the_cancellation_says_not_delivered(scratch_config, tmp_path):
    _progress(scratch_config, "5;avlyst;;Avlyst etter prosjektslutt;10.10.2017")
    register = open_register(scratch_config)
    before = produce(register, "final", HAUG, as_of=date(2017, 10, 1), out=tmp_path / "a")
    row = _rows(before.docx)["05"]
    assert row[-1] == f"Ikke levert, {(date(2017, 9, 20) - PLANNED_05).days} dager forsinket", row
    assert "ble avlyst" not in _text(before.docx)
    after = produce(register, "final", HAUG, as_of=date(2017, 10, 15), out=tmp_path / "b")
    assert _rows(after.docx)["05"][-1] == "Avlyst"
    assert "Milepæl 05 «Vurdere om prosjektet er i rute» ble avlyst 10. oktober 2017." in _text(after.docx)


def test_the_usage_report_of_the_end_year_shows_a_cancellation_decided_after_the_end(scratch_config, tmp_path):
    """The project ended 20.09.2017; the steering group cancelled milestone 05 on 10.10.2017. The
    usage report per 31.12.2017 looks at the milestones as of the end, but the decision is known."""
    _progress(scratch_config, "5;avlyst;;Avlyst etter prosjektslutt;10.10.2017")
    made = produce(open_register(scratch_config), "usage", council_id="haugaland-vekst", period="2017",
                   out=tmp_path)
    (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
    assert row[6].replace(NB, " ") == "Avsluttet: Milepælene 06 og 07 er ikke levert; milepæl 05 ble avlyst.", row
