from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from grantflow.data import read_hours, read_ledger, read_milestones
from grantflow.errors import UserError


def test_norwegian_numbers():
    from decimal import Decimal

    from grantflow.numbers import read_number

    values = ["1 234,50", "1\u00a0234 kr", "kr 12 000", "1.234,50", "\u2212250", "1 200,-", "12,5", ""]
    assert [read_number(v) for v in values] == [Decimal("1234.50"), 1234, 12000, Decimal("1234.50"), -250, 1200,
                                                 Decimal("12.5"), None]


def test_ledger_csv_semicolon(tmp_path):
    path = tmp_path / "regnskap.csv"
    path.write_text(
        "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota\n"
        "30.09.2015;2015;Drift;Lønn;62 500,00;fm;\n"
        "2016-01-31;;Drift;Lønn;1\u00a0000 kr;fm;\n"
        "20.04.2016;2016;Drift;Kreditnota;-2 400,00;fm;ja\n", encoding="utf-8")
    table = read_ledger(path)
    assert table.ok, table.findings
    frame = table.frame
    assert frame["Beløp"].tolist() == [62500.0, 1000.0, -2400.0]
    assert frame["År"].tolist() == [2015, 2016, 2016]   # missing year taken from the date
    assert frame["_row"].tolist() == [2, 3, 4]


def test_ledger_comma_csv_and_errors(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "dato,kategori,beløp,ekstra\n"
        "31.02.2016,Drift,100\n"
        "01.03.2016,Drift,-50\n"
        "02.03.2016,Drift,tolv\n", encoding="utf-8")
    table = read_ledger(path)
    messages = [(f.severity, f.line, f.field, f.message) for f in table.findings]
    assert ("warning", 1, "ekstra") == messages[0][:3]
    assert any(m[1] == 2 and m[2] == "Dato" and "'31.02.2016' is not a date: February 2016 has 29 days" in m[3] for m in messages)
    assert any(m[1] == 4 and m[2] == "Beløp" for m in messages)
    assert any(m[1] == 3 and m[2] == "Beløp" and "the file has no Kreditnota column: add a column Kreditnota" in m[3] for m in messages)
    assert table.frame.empty
    with pytest.raises(UserError) as info:
        table.raise_first_error()
    assert info.value.file.endswith("ledger.csv")


def test_missing_required_column(tmp_path):
    path = tmp_path / "milepaeler.csv"
    path.write_text("Nr;Kommentar\n1;ok\n", encoding="utf-8")
    table = read_milestones(path)
    assert any(f.field == "Status" and f.line == 1 and "required column" in f.message for f in table.findings)


def test_milestones_status_and_duplicates(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Milepæl;Status;Faktisk dato\n1;Ferdig;01.10.2015\n2;halvferdig;\n1;pågår;\n", encoding="utf-8")
    table = read_milestones(path)
    assert table.frame["status_code"].tolist() == ["done"]
    assert {(f.line, f.field) for f in table.findings} == {(3, "Status"), (4, "Milepæl")}


def test_xlsx_hours(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Dato", "Kommune", "Timer"])
    ws.append([date(2016, 2, 12), "Bokn", 4.5])
    ws.append(["13.02.2016", "Utsira", "3,5"])
    ws.append([date(2016, 2, 14), "Etne", -1])
    path = tmp_path / "timer.xlsx"
    wb.save(path)
    table = read_hours(path)
    assert table.frame["Timer"].tolist() == [4.5, 3.5]
    assert [(f.line, f.field) for f in table.findings] == [(4, "Timer")]


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        read_ledger(tmp_path / "nope.csv")
    other = tmp_path / "x.txt"
    other.write_text("a", encoding="utf-8")
    with pytest.raises(UserError, match="unsupported"):
        read_ledger(other)


def test_shared_ledger_is_split_by_project(scratch_config):
    from grantflow.data import collect
    from grantflow.register import open_register

    shared = scratch_config / "data" / "felles-regnskap.csv"
    shared.write_text(
        "Dato;Kategori;Beløp;Prosjekt\n"
        "01.03.2014;Prosjektledelse;1000;kongsbergregionen-erp\n"
        "02.03.2014;Prosjektledelse;2000;ANNET\n"
        "03.03.2014;Vedlikehold programvare;500;Kongsbergregionen-ERP\n", encoding="utf-8")
    path = scratch_config / "projects" / "kongsbergregionen-erp.yaml"
    text = path.read_text(encoding="utf-8").replace("ledger: data/kongsbergregionen-erp/regnskap.xlsx",
                                                    "ledger: data/felles-regnskap.csv")
    path.write_text(text, encoding="utf-8")
    register = open_register(scratch_config)
    data = collect(register, register.project("kongsbergregionen-erp"))
    assert data.ledger.frame["Beløp"].tolist() == [1000.0, 500.0]


@pytest.mark.parametrize("cell,shown", [("350.000", "ambiguous number of hours '350.000': 350 000"),
                                        ("12 500", "12 500"), ("10000,5", "10 000,5")])
def test_implausibly_many_hours_in_one_row_is_an_error_not_effort(tmp_path, cell, shown):
    """Own effort in kroner is hours x rate in the final report: '350.000' (read as 350 000, a dot
    groups thousands) must not become 175 M kr of effort."""
    path = tmp_path / "timer.csv"
    path.write_text(f"Dato;Kommune;Timer\n01.02.2024;Bø;7,5\n02.02.2024;Bø;{cell}\n03.02.2024;Bø;10000\n",
                    encoding="utf-8")
    table = read_hours(path)
    assert table.frame["Timer"].tolist() == [7.5, 10000.0]
    [finding] = table.findings
    assert (finding.line, finding.field, finding.severity) == (3, "Timer", "error")
    assert (f"{shown} hours in one row is implausible (over 10 000)" in str(finding)
            or shown.startswith("ambiguous") and shown in str(finding))
    # no hint about a thousands dot the user did not type (an outside tester's 20 000 got one)
    assert "dot" not in str(finding) or "." in cell


def test_a_finished_milestone_needs_a_day_that_has_come(tmp_path):
    """'ferdig' without a date read as finished on time (0 days late) in the status report; a
    date such as 2030 for 2016 was taken as written. Each is an error naming the row."""
    from datetime import date, timedelta

    ahead = (date.today() + timedelta(days=1)).strftime("%d.%m.%Y")
    path = tmp_path / "milepaeler.csv"
    path.write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;15.10.2015;ok\n2;Ferdig;;glemt dato\n"
                    f"3;levert;{ahead};skrivefeil\n4;pågår;;underveis\n", encoding="utf-8")
    findings = [(f.line, f.field, f.message) for f in read_milestones(path).findings]
    assert findings == [
        (3, "Faktisk dato", "milestone 2 is 'Ferdig' but has no date: give the day it was finished"),
        (4, "Faktisk dato", f"milestone 3 is 'levert' on {(date.today() + timedelta(days=1)).isoformat()}, "
                            "a day that has not come yet")]
    path.write_text("Milepæl;Status;Kommentar\n1;ferdig;ok\n", encoding="utf-8")      # no date column at all
    assert [f.line for f in read_milestones(path).findings] == [2]


def test_three_decimals_in_a_kroner_amount_are_refused_whatever_the_column_shows(tmp_path):
    """Other rows with a decimal comma made '62,500' read 62,50 kr, 62 437,50 kr short of the
    salary it was (found by an outside tester); kroner have two decimals at most."""
    from grantflow.data import read_ledger

    path = tmp_path / "regnskap.csv"
    path.write_text("Dato;Kategori;Beløp\n30.09.2015;Lønn;62,500\n31.10.2015;Lønn;62 500,00\n"
                    "30.11.2015;Reise;365,23\n", encoding="utf-8")
    table = read_ledger(path)
    (error,) = [f for f in table.findings if f.severity == "error"]
    assert (error.line, error.field) == (2, "Beløp")
    assert "ambiguous amount '62,500': 62,50 (decimal comma, but kroner have two decimals at most) or 62 500" \
        in error.message and "write 62 500 or 62,50" in error.message, error.message
    assert sorted(table.frame["Beløp"]) == [365.23, 62500.0]                # the other rows as written


def test_an_actual_date_beside_a_status_other_than_done_is_an_error(tmp_path):
    """'ikke startet' with Faktisk dato 20.08.2014 was accepted, and the report printed
    "Ikke startet | 20.08.2014" (found by an outside tester)."""
    from grantflow.data import read_milestones

    path = tmp_path / "milepaeler.csv"
    path.write_text("Milepæl;Status;Faktisk dato\n1;ferdig;15.10.2015\n2;ikke startet;20.08.2014\n3;pågår;\n",
                    encoding="utf-8")
    table = read_milestones(path)
    (error,) = [f for f in table.findings if f.severity == "error"]
    assert (error.line, error.field) == (3, "Faktisk dato")
    assert error.message == ("milestone 2 has the date 20.08.2014 but the status 'ikke startet': Faktisk dato is "
                             "the day it was finished; set the status to ferdig, or clear the date")


def test_a_row_of_empty_cells_is_no_row(tmp_path):
    """';;;;;;' (Excel exports formatted empty rows so) gave 'value is missing' for Dato, Kategori
    and Beløp (found by an outside tester). A row with something in it keeps its errors, and rows
    keep the spreadsheet's numbers."""
    from grantflow.data import read_ledger

    path = tmp_path / "regnskap.csv"
    path.write_text("Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota\n"
                    "30.09.2015;2015;Prosjektkostnader;Lønn;62 500,00;hv-fond;\n;;;;;;\n  ;;; ;;;\n"
                    "31.10.2015;;Prosjektkostnader;;;hv-fond;\n01.11.2015;;Prosjektkostnader;;100;;\n;;;;;;\n",
                    encoding="utf-8")
    table = read_ledger(path)
    assert [(f.line, f.field, f.message) for f in table.findings] == [(5, "Beløp", "value is missing")]
    assert list(table.frame["_row"]) == [2, 6] and list(table.frame["Beløp"]) == [62500.0, 100.0]
