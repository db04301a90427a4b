"""Input checks an outside tester (a project leader) found missing: each mistake is one line of
`grantflow validate` naming file, row/line and field, and a document that does not use a file is
not stopped by a mistake in it."""

from __future__ import annotations

from openpyxl import Workbook

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
NG = "smart-velferdsregion-nord-gudbrandsdal"


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.replace(f"{config}/", "config/").splitlines()


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def _append(path, row: str) -> int:
    """Append a row to a CSV; its spreadsheet row number (header = row 1)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if text.endswith("\n") else "\n") + row + "\n", encoding="utf-8")
    return len(path.read_text(encoding="utf-8").splitlines())


def test_negative_planned_own_effort_hours_are_refused(clean, capsys):
    """own_effort_hours: -2073 validated with 0 errors, and the application said 'Egeninnsats:
    −2 073 timer …'; negative hours in the hours file and a negative rate were refused already."""
    replace_in(clean / f"projects/{HAUG}.yaml", "own_effort_hours: 2073", "own_effort_hours: -2073")
    line = _line_of(clean / f"projects/{HAUG}.yaml", "own_effort_hours: -2073")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "own_effort_hours" in line]
    assert said == [f"ERROR   config/projects/{HAUG}.yaml:{line} budget.own_effort_hours: Input should be greater than "
                    "or equal to 0"], out
    assert code == 1


def test_a_ledger_row_before_the_start_is_a_warning_naming_it(clean, capsys):
    """A taxi of 100 kr dated 15.01.2015 in a project starting 21.09.2015 was counted by every
    document without a word from validate (a row after the end has had its warning)."""
    row = _append(clean / "data" / HAUG / "regnskap.csv", "15.01.2015;2015;Prosjektkostnader;Taxi;100,00;hv-fond;")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "regnskap.csv" in line and "ledger's last row" not in line]   # not the old export
    assert said == [
        f"WARNING config/data/{HAUG}/regnskap.csv:{row} Dato: 1 ledger row (100\u00a0kr) is dated 15.01.2015, before "
        f"the project starts 21.09.2015 (row {row}): it is counted in the project's accounts, and the final report "
        "lists it as a deviation; if it is a cost of the project from before its start (preparation), explain it in "
        "the notes under 'regnskap før prosjektstart'; otherwise check the date"], out
    assert code == 0


def test_a_category_spent_below_nothing_in_a_year_is_a_warning(clean, capsys):
    """A credit note of 70 000 kr in 2020 for a category with 24 500 kr of costs in 2019 and 38 750 kr
    in 2020: the status report showed the category's spending as negative without a word from
    validate (the funder's rows still add up to more than nothing, the only check there was)."""
    ledger = clean / "data" / NG / "regnskap.csv"
    category = "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"
    row = _append(ledger, f"20.06.2020;2020;{category};Kreditnota kurs;-70 000;fm-innlandet;ja")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "regnskap.csv" in line and "ledger's last row" not in line]   # not the old export
    # 2020: 38 750 − 70 000; 2019 and 2020: 24 500 + 38 750 − 70 000 (by hand, from the file)
    assert said == [
        f"WARNING config/data/{NG}/regnskap.csv:{row} Beløp: the rows of category '{category}' in 2020 add up to "
        f"−31\u00a0250\u00a0kr, and to −6\u00a0750\u00a0kr in every year until then (credit note row {row}): more is "
        "credited than was spent in the category, and the status report shows its spending as negative; book each "
        "credit note to the category of the cost it corrects"], out
    assert code == 0


def test_a_refund_booked_the_year_after_its_cost_is_no_warning(clean, capsys):
    """A refund of 5 000 kr of a 2019 cost, booked in 2020 when it came (the category's 2020 rows
    then add up to less than nothing): the warning asked to book it in 2019, where the År check
    then said the year differs from the date's. Legitimate data had no clean state (a reviewer)."""
    ledger = clean / "data" / NG / "regnskap.csv"
    category = "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"
    text = ledger.read_text(encoding="utf-8")
    ledger.write_text(text.replace(f"15.03.2020;2020;{category};Kursmateriell;38 750;helsedir;\n", ""),
                      encoding="utf-8")
    _append(ledger, f"15.01.2020;2020;{category};Refusjon kartleggingsverktøy;-5 000;helsedir;ja")
    code, out = _validate(clean, capsys)
    assert not [line for line in out if "regnskap.csv" in line and "credit" in line], out
    assert code == 0


def test_an_award_year_long_before_the_start_is_an_error(clean, capsys):
    """An award for 2013 in a project starting 2015 was taken silently, and the usage report for
    2013 listed the project with the grant carried over. An award for the year before the start
    (2014) is allowed: the usage report of that year reports it unspent."""
    project = clean / f"projects/{HAUG}.yaml"
    replace_in(project, "{year: 2015, amount: 400000", "{year: 2013, amount: 400000")
    line = _line_of(project, "{year: 2013, amount: 400000")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "grants" in line]
    assert said == [f"ERROR   config/projects/{HAUG}.yaml:{line} funders[1].grants[0].year: grant year 2013 is before the "
                    "year before the project starts (2015): no usage report of the project but that year's would count "
                    "it, as unspent; write the year the grant is for (2014 at the earliest)"], out
    assert code == 1
    replace_in(project, "{year: 2013, amount: 400000", "{year: 2014, amount: 400000")
    code, out = _validate(clean, capsys)
    assert not [line for line in out if "grants" in line], out


def test_a_truncated_workbook_is_said_damaged(clean, capsys, tmp_path):
    """The first half of a valid ledger workbook: 'a zip archive but not a readable Excel workbook
    (BadZipFile: 'File is not a zip file')' contradicted itself."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Dato", "År", "Kategori", "Beskrivelse", "Beløp", "Finansieringskilde", "Kreditnota"])
    for month in range(1, 13):
        sheet.append([f"15.{month:02d}.2016", 2016, "Prosjektkostnader", f"Lønn {month}", 64000, "hv-fond", None])
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    data = whole.read_bytes()
    (clean / "data" / HAUG / "regnskap.xlsx").write_bytes(data[:len(data) // 2])
    replace_in(clean / f"projects/{HAUG}.yaml", "regnskap.csv", "regnskap.xlsx")
    code, out = _validate(clean, capsys)
    said = [line for line in out if "regnskap.xlsx" in line and "ledger's last row" not in line]
    assert said == [f"ERROR   config/data/{HAUG}/regnskap.xlsx data: the workbook is damaged or cut short (an "
                    "interrupted copy or download?): open the original in Excel and save it again"], out
    assert code == 1


def test_a_truncated_returned_workbook_is_said_damaged(clean, capsys, tmp_path):
    """The project leader's returned workbook cut short was 'not an Excel workbook (.xlsx): not a
    zip archive', though it begins as one."""
    made = tmp_path / "arbeidsbok.xlsx"
    assert main(["--config", str(clean), "workbook", HAUG, "--as-of", "2016-10-07", "-o", str(made)]) == 0
    data = made.read_bytes()
    cut = tmp_path / "returnert.xlsx"
    cut.write_bytes(data[:len(data) // 2])
    capsys.readouterr()
    code = main(["--config", str(clean), "import", str(cut), "--dry-run"])
    err = capsys.readouterr().err.replace(f"{tmp_path}/", "")
    assert code == 1
    assert err.strip().splitlines() == ["error: returnert.xlsx: the workbook is damaged or cut short (an interrupted "
                                        "copy or download?): open the original in Excel and save it again"], err


def test_a_misspelt_municipality_in_the_project_is_said_once(clean, capsys):
    """'Haugsund' in the project's list: the right error, plus one error per hours row of
    Haugesund saying it does not take part. Now the hours rows that follow from it are one line
    that points at the list."""
    replace_in(clean / f"projects/{HAUG}.yaml", "[Haugesund, Karmøy,", "[Haugsund, Karmøy,")
    _append(clean / "data" / HAUG / "timer.csv", "10.02.2016;Haugesund;6;Arbeidsgruppe")
    _append(clean / "data" / HAUG / "timer.csv", "10.03.2016;Haugesund;6;Arbeidsgruppe")
    hours = (clean / "data" / HAUG / "timer.csv").read_text(encoding="utf-8").splitlines()
    rows = [n for n, line in enumerate(hours, start=1) if line.split(";")[1:2] == ["Haugesund"]]
    assert len(rows) == 3
    code, out = _validate(clean, capsys)
    errors = [line for line in out if line.startswith("ERROR")]
    assert [line for line in errors if "timer.csv" in line] == [
        f"ERROR   config/data/{HAUG}/timer.csv:{rows[0]} Kommune: Haugesund does not take part in this project as "
        f"its list is written (rows {', '.join(map(str, rows))}): the list (municipalities: in config/projects/{HAUG}.yaml) "
        "names 'Haugsund', no municipality of the council; correct the list (its own line says how), and these hours "
        "count as the project's own effort"], errors
    assert len([line for line in errors if "Haugsund" in line and f"{HAUG}.yaml" in line.split()[1]]) == 1, errors
    assert code == 1


def test_a_ledger_error_does_not_stop_the_cost_split(clean, capsys, tmp_path):
    """The cost split reads the financing plan and the council's figures, never the ledger: a
    ledger row '1,250' (ambiguous) stopped 'render costsplit' with that row, though an error in
    the hours file did not. validate and the documents that count the ledger still stop on it."""
    row = _append(clean / "data" / HAUG / "regnskap.csv", "15.05.2016;2016;Prosjektkostnader;Taxi;1,250;hv-fond;")
    out_dir = tmp_path / "out"
    code = main(["--config", str(clean), "render", "costsplit", HAUG, "--year", "2016", "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "regnskap.csv" not in captured.err, captured.err
    assert list(out_dir.rglob("kostnadsfordeling-2016.docx")) or list(out_dir.rglob("costsplit-2016.docx"))
    code, out = _validate(clean, capsys)
    assert code == 1 and any(f"regnskap.csv:{row} Beløp: ambiguous amount '1,250'" in line for line in out), out
    code = main(["--config", str(clean), "render", "status", HAUG, "--as-of", "2016-10-07", "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert code == 1 and f"regnskap.csv:{row}: Beløp: ambiguous amount '1,250'" in err, err
