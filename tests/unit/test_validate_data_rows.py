"""What the data files say against themselves and against the plan, through `grantflow validate`:
rows repeated (a file appended to itself), planned milestones without a progress row, milestone
dates the project could not have, hours from a municipality outside the project. Each is one
line naming file, row and field; an outside tester found each of them taken without a word."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"




def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    # the lines name the copy's files by their path; shown here as in the demo folder
    return code, captured.out.replace(f"{config}/", "config/").splitlines()


def _append_to_itself(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + lines[1:]), encoding="utf-8")
    return len(lines) - 1


def test_a_ledger_appended_to_itself_is_a_warning_per_repeated_row(clean, capsys):
    """The Haugaland ledger appended to itself doubled the 2016 accounts (1 414 000 kr for
    707 000) without a finding. Each repeat is a warning naming the row it repeats (two equal
    invoices can be genuine); past ten, one line says how many more and where."""
    ledger = clean / "data" / HAUG / "regnskap.csv"
    n = _append_to_itself(ledger)                                   # 18 rows: 2–19 and 20–37
    code, out = _validate(clean, capsys)
    assert code == 0, out
    said = [line for line in out if "regnskap.csv" in line and " Beløp: " in line]
    assert len(said) == 11, said
    # and the doubled rows spend grants beyond their award letters: said too (one line per funder)
    assert any("regnskap.csv" in line and "more than the award letters" in line for line in out), out
    assert said[0] == (f"WARNING config/data/{HAUG}/regnskap.csv:{n + 2} Beløp: row {n + 2} repeats row 2 (same date, "
                       "category, description, amount and source): both are counted; remove one if it is the same cost")
    assert said[9].startswith(f"WARNING config/data/{HAUG}/regnskap.csv:{n + 11} Beløp: row {n + 11} repeats row 11 ")
    assert said[10] == (f"WARNING config/data/{HAUG}/regnskap.csv:{n + 12} Beløp: … and 8 more rows that repeat an "
                        f"earlier row, between rows {n + 12} and {2 * n + 1}: each is counted; remove those that are "
                        "the same cost")


def test_rows_that_differ_in_one_counted_column_are_not_repeats(clean, capsys):
    ledger = clean / "data" / HAUG / "regnskap.csv"
    with ledger.open("a", encoding="utf-8") as out:
        out.write("30.09.2015;2015;Prosjektkostnader;Lønn prosjektleder september;62 500,00;fm-rogaland;\n")
        out.write("30.09.2015;2015;Prosjektkostnader;Lønn prosjektleder september;62 500,01;hv-fond;\n")
        out.write("20.04.2016;2016;Prosjektkostnader;Kreditnota konferanse;-2 400,00;hv-fond;ja\n")
    code, out = _validate(clean, capsys)
    assert code == 0
    assert [line for line in out if "regnskap.csv" in line and "ledger's last row" not in line] == [
        f"WARNING config/data/{HAUG}/regnskap.csv:22 Beløp: row 22 repeats row 12 (same date, category, description, "
        "amount and source): both are counted; remove one if it is the same cost"]


def test_an_hours_file_appended_to_itself_is_a_warning_per_repeated_row(clean, capsys):
    """timer.csv appended to itself: 267 hours counted for 133,5, without a finding."""
    hours = clean / "data" / HAUG / "timer.csv"
    n = _append_to_itself(hours)
    code, out = _validate(clean, capsys)
    assert code == 0, out
    said = [line for line in out if "timer.csv" in line]
    assert len(said) == n, said
    assert said[0] == (f"WARNING config/data/{HAUG}/timer.csv:{n + 2} Timer: row {n + 2} repeats row 2 (same date, "
                       "municipality, hours and description): both are counted; remove one if it is the same work")


def test_a_planned_milestone_without_a_progress_row_is_a_warning(clean, capsys):
    """Row '4;ferdig;12.02.2016;…' deleted: the status report said '04 … Forsinket 250 dager' and
    validate was silent (the workbook import refuses a deleted row)."""
    replace_in(clean / "data" / HAUG / "milepaeler.csv", "4;ferdig;12.02.2016;Statusrapport behandlet i styringsgruppen\n",
               "")
    code, out = _validate(clean, capsys)
    assert code == 0, out
    assert [line for line in out if "milepaeler.csv" in line] == [
        f"WARNING config/data/{HAUG}/milepaeler.csv Milepæl: milestone 04 of the plan has no row in milepaeler.csv: "
        "it counts as not started; add its row"]


def test_a_progress_file_with_no_rows_yet_says_nothing_of_missing_milestones(clean, capsys):
    (clean / "data" / HAUG / "milepaeler.csv").write_text("Milepæl;Status;Faktisk dato;Kommentar\n", encoding="utf-8")
    code, out = _validate(clean, capsys)
    assert code == 0 and not [line for line in out if "milepaeler.csv" in line], out


def test_a_milestone_reached_before_the_project_started_is_an_error(clean, capsys):
    """'5;ferdig;01.01.2014;' in a project starting 21.09.2015 was taken from the CSV file, though
    the workbook import refuses it: the same words here."""
    replace_in(clean / "data" / HAUG / "milepaeler.csv", "5;pågår;;Evaluering av responssenter pågår", "5;ferdig;01.01.2014;")
    code, out = _validate(clean, capsys)
    assert code == 1, out
    assert [line for line in out if "milepaeler.csv" in line] == [
        f"ERROR   config/data/{HAUG}/milepaeler.csv:6 Faktisk dato: 01.01.2014 is before the project started "
        "(21.09.2015); give the day the milestone was reached"]


def test_a_milestone_reached_after_the_project_ended_is_a_warning(clean, capsys):
    replace_in(clean / "data" / HAUG / "milepaeler.csv", "6;ikke startet;;", "6;ferdig;15.03.2019;")
    code, out = _validate(clean, capsys)
    assert code == 0, out
    assert [line for line in out if "milepaeler.csv" in line] == [
        f"WARNING config/data/{HAUG}/milepaeler.csv:7 Faktisk dato: 15.03.2019 is after the project ended "
        "(20.09.2017): milestone 06 is reported reached after the end; check the date (the year?)"]


def test_another_projects_progress_file_copied_in_is_seen(clean, capsys):
    """Nord-Gudbrandsdal's milepaeler.csv (2019–2020) copied over Haugaland's (2015–2017)."""
    other = (clean / "data/smart-velferdsregion-nord-gudbrandsdal/milepaeler.csv").read_text(encoding="utf-8")
    (clean / "data" / HAUG / "milepaeler.csv").write_text(other, encoding="utf-8")
    code, out = _validate(clean, capsys)
    said = [line for line in out if f"{HAUG}/milepaeler.csv" in line]
    assert said == [
        f"WARNING config/data/{HAUG}/milepaeler.csv:2 Faktisk dato: 02.10.2019 is after the project ended (20.09.2017): "
        "milestone 01 is reported reached after the end; check the date (the year?)",
        f"WARNING config/data/{HAUG}/milepaeler.csv:3 Faktisk dato: 31.01.2020 is after the project ended (20.09.2017): "
        "milestone 02 is reported reached after the end; check the date (the year?)"], said
    assert code == 0


def test_hours_from_a_municipality_outside_the_project_are_an_error(clean, capsys, tmp_path):
    """Utsira taken out of the project: its 3 hours in timer.csv were a warning in validate, yet the
    status report counted them as the project's own effort. Now an error, which stops the
    documents that count hours, as an unknown municipality does."""
    replace_in(clean / f"projects/{HAUG}.yaml", "Bokn, Utsira,", "Bokn,")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "timer.csv" in line]
    assert said == [f"ERROR   config/data/{HAUG}/timer.csv:11 Kommune: Utsira does not take part in this project "
                    "(municipalities:), so its hours are not the project's own effort; book them to the project they "
                    "were worked for, or add the municipality to the project"], out
    assert code == 1
    code = main(["--config", str(clean), "render", "status", HAUG, "--as-of", "2016-10-07",
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.replace(f"{clean}/", "config/")
    assert code == 1 and "timer.csv:11: Kommune: Utsira does not take part" in err, err
    assert not list(tmp_path.rglob("*.docx"))


def test_a_refused_progress_row_is_its_own_error_not_a_missing_milestone(clean, capsys):
    """'4;fertig;…' (a typo in the status) is refused with its own line; it is not also called a
    milestone without a row."""
    replace_in(clean / "data" / HAUG / "milepaeler.csv", "4;ferdig;12.02.2016;", "4;fertig;12.02.2016;")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "milepaeler.csv" in line]
    assert code == 1 and len(said) == 1 and "milepaeler.csv:5 Status: unknown status 'fertig'" in said[0], said
