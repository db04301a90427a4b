"""Vedtaksdato, the day a milestone was postponed (utsatt) or cancelled (avlyst), through
`grantflow validate` and a report: each mistake is one line naming file, row and field."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
FILE = f"config/data/{HAUG}/milepaeler.csv"


def _progress(config, five: str):
    path = config / "data" / HAUG / "milepaeler.csv"
    replace_in(path, "Milepæl;Status;Faktisk dato;Kommentar", "Milepæl;Status;Faktisk dato;Kommentar;Vedtaksdato")
    replace_in(path, "5;pågår;;Evaluering av responssenter pågår", five)


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line for line in captured.out.replace(f"{config}/", "config/").splitlines() if "milepaeler.csv" in line]


def test_a_decision_date_is_clean(clean, capsys):
    _progress(clean, "5;avlyst;;Avlyst av styringsgruppen;15.09.2016")
    assert _validate(clean, capsys) == (0, [])


def test_a_decision_date_still_to_come_is_an_error(clean, capsys):
    _progress(clean, "5;avlyst;;Avlyst av styringsgruppen;15.09.2096")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   {FILE}:6 Vedtaksdato: milestone 5 is 'avlyst' by a decision of 15.09.2096, a day that has not "
        "come yet"])


def test_a_decision_date_that_is_no_date_is_an_error(clean, capsys):
    _progress(clean, "5;utsatt;;Flyttet;31.02.2016")
    code, lines = _validate(clean, capsys)
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"ERROR   {FILE}:6 Vedtaksdato: "), lines
    assert "31.02.2016" in lines[0], lines


def test_a_decision_date_beside_another_status_is_an_error(clean, capsys):
    _progress(clean, "5;pågår;;Evaluering pågår;15.09.2016")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   {FILE}:6 Vedtaksdato: milestone 5 has the decision date 15.09.2016 but the status 'pågår': "
        "Vedtaksdato is the day it was postponed or cancelled; set the status to utsatt or avlyst, or clear the date"])


def test_a_cancellation_without_a_decision_date_is_a_warning(clean, capsys):
    """Older files stay valid: without the day, every report shows the decision, as before."""
    replace_in(clean / "data" / HAUG / "milepaeler.csv", "5;pågår;;Evaluering av responssenter pågår",
               "5;avlyst;;Avlyst av styringsgruppen")
    assert _validate(clean, capsys) == (0, [
        f"WARNING {FILE}:6 Vedtaksdato: milestone 5 is 'avlyst' with no decision date: every report, also one "
        "for a period before the decision, shows it so; give the day it was decided"])


def test_a_report_stops_at_a_decision_date_still_to_come(clean, capsys, tmp_path):
    _progress(clean, "5;avlyst;;Avlyst av styringsgruppen;15.09.2096")
    code = main(["--config", str(clean), "run", "status", HAUG, "--as-of", "2016-09-30", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code != 0 and "Traceback" not in captured.out + captured.err
    said = (captured.out + captured.err).replace(f"{clean}/", "config/").strip().splitlines()
    assert said == [f"error: {FILE}:6: Vedtaksdato: milestone 5 is 'avlyst' by a decision of 15.09.2096, a day "
                    "that has not come yet"], said


def test_a_decision_before_the_project_started_is_an_error(clean, capsys):
    """Haugaland started 21.09.2015: a decision of 2014 is a typo (as a milestone reached then is)."""
    _progress(clean, "5;avlyst;;Avlyst av styringsgruppen;15.09.2014")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   {FILE}:6 Vedtaksdato: 15.09.2014 is before the project started (21.09.2015); give the day it was "
        "decided"])
