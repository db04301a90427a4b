"""An ERP export's columns and subtotal rows, as an outside tester on Windows found them
(session 24, Nord-Gudbrandsdal's ledger, 463 750 kr).

A year column under a name grantflow did not know ('Ar' with the Å stripped, 'År (regnskap)',
'Periode') was dropped with a warning and a row booked in 2019 but paid in January 2020 counted
in 2020: the usage report per 31.12.2019 said Brukt 198 000 instead of 265 500, exit 0. Subtotal
rows with a date ('Sum periode 3', 'Sum konto 1080') were added as costs. ``data.ledger_code``
was ignored when the ledger had no Prosjekt column, so another project's row counted. Expected
figures are added up here from the rows written (csv module and Decimal)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text, find_table

NG = "smart-velferdsregion-nord-gudbrandsdal"
NB = "\u00a0"
PL = "Prosjektleder og prosessadministrasjon"
# booked in 2019's accounts, paid (dated) in January 2020
LATE = f"05.01.2020;2019;{PL};Lønn prosjektleder desember (utbetalt januar);67 500;fm-innlandet;"


def ledger(config: Path) -> Path:
    return config / "data" / NG / "regnskap.csv"


def run(capsys, config: Path, *args) -> tuple[int, list[str]]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line for line in (captured.out + captured.err).splitlines() if line.startswith("error")
                  or line.lstrip().startswith("ERROR")]


def usage(capsys, config: Path, tmp_path: Path) -> tuple[int, list[str], Path]:
    out = tmp_path / "out"
    code, errors = run(capsys, config, "render", "usage", "--council", "nord-gudbrandsdal", "--year", "2019",
                       "--out", str(out))
    return code, errors, out / "nord-gudbrandsdal" / "usage-2019.docx"


def append(path: Path, *lines: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def spent_2019(path: Path, year_column: str | None) -> int:
    """fm-innlandet's (the skjønnsmidler's) rows booked in 2019: År when it is read, else the date's year."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    total = Decimal(0)
    for row in rows:
        year = row[year_column] if year_column else row["Dato"][-4:]
        if year == "2019" and row["Finansieringskilde"] == "fm-innlandet" and row.get("Prosjekt", "251") == "251":
            total += Decimal(row["Beløp"].replace(" ", ""))
    return int(total)


def brukt(docx: Path) -> str:
    table = find_table(docx, "Prosjekt", "Brukt")
    return table[1][table[0].index("Brukt")]


def kr(amount: int) -> str:
    return f"{amount:,}".replace(",", NB)


# --- 1. a year column under another name ------------------------------------------------------


def test_the_year_column_read_as_År_counts_the_late_row_in_its_year(clean, tmp_path, capsys):
    """The control: with År the January row counts in 2019 (265 500 = 3 × 66 000 + 67 500)."""
    append(ledger(clean), LATE)
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert (code, errors) == (0, [])
    assert spent_2019(ledger(clean), "År") == 265_500
    assert brukt(docx) == kr(265_500)


@pytest.mark.parametrize("header", ["Ar", "År (regnskap)", "Periode", "Regnskapsperiode", "Budsjettår"])
def test_a_year_column_under_another_name_stops_the_usage_report(clean, tmp_path, capsys, header):
    """Was: 'unknown column, ignored' in validate only; render usage exit 0 with Brukt 198 000."""
    replace_in(ledger(clean), "Dato;År;", f"Dato;{header};")
    append(ledger(clean), LATE)
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert code == 1 and not docx.exists()
    assert len(errors) == 1, errors
    assert f"data/{NG}/regnskap.csv:1: {header}:" in errors[0], errors
    assert "'År'" in errors[0] and "rename" in errors[0], errors
    code, lines = run(capsys, clean, "validate", str(clean / "projects" / f"{NG}.yaml"))
    assert code == 1 and any(f"regnskap.csv:1 {header}:" in line and "År" in line for line in lines), lines


@pytest.mark.parametrize("header", ["Bokføringsår", "Bokforingsar", "Regnskapsår"])
def test_an_accounting_year_compound_is_read_as_År(clean, tmp_path, capsys, header):
    replace_in(ledger(clean), "Dato;År;", f"Dato;{header};")
    append(ledger(clean), LATE)
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert (code, errors) == (0, [])
    assert brukt(docx) == kr(spent_2019(ledger(clean), header)) == kr(265_500)


def test_a_period_column_beside_År_is_still_an_extra_column(clean, tmp_path, capsys):
    """År decides; an ERP's Periode beside it is ignored with a warning, as before."""
    text = ledger(clean).read_text(encoding="utf-8").splitlines()
    text = [text[0] + ";Periode"] + [line + ";" + line[3:5] for line in text[1:]]
    ledger(clean).write_text("\n".join(text) + "\n", encoding="utf-8")
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert (code, errors) == (0, [])
    assert brukt(docx) == kr(198_000)


# --- 2. ERP subtotal rows with a date ---------------------------------------------------------


TOTALS = ["Sum periode 3", "Sum periode 202003", "Delsum periode 03", "Sum prosjekt", "Totalt prosjekt 251",
          "Totalsum prosjekt F251", "Sum konto 1080", "Sum art 10800 Lønn", "Sum ansvar 1200",
          "Sum tjeneste 2540", "Sum funksjon 254"]


@pytest.mark.parametrize("text", TOTALS)
def test_an_erp_subtotal_row_is_refused(clean, tmp_path, capsys, text):
    """Was: the final report's accounts 664 750 (463 750 + 201 000), no finding."""
    append(ledger(clean), f"31.03.2020;2020;{PL};{text};201 000;fm-innlandet;")
    code, errors = run(capsys, clean, "render", "final", NG, "--out", str(tmp_path / "out"))
    assert code == 1 and not list(tmp_path.rglob("*.docx"))
    assert len(errors) == 1, errors
    assert errors[0].endswith(f"data/{NG}/regnskap.csv:10: Beskrivelse: {text!r} looks like a total or balance "
                              "row from the export, not a cost: grantflow adds up the rows itself, so its amount "
                              "would be counted twice; delete the row (a real cost line should be described "
                              "otherwise)"), errors


@pytest.mark.parametrize("text", ["Summer camp", "Sum av reiser i mars", "Prosjektleder konto 1080",
                                  "Sum Consulting AS, periode 3"])
def test_a_cost_that_merely_holds_such_words_is_counted(clean, tmp_path, capsys, text):
    """'Sum av reiser i mars' is read as a cost (a travel claim adding up March's trips, as 'Sum av
    reiseutgifter' always was): a total row says only what it adds up by."""
    append(ledger(clean), f"31.03.2020;2020;{PL};{text};201 000;fm-innlandet;")
    code, errors = run(capsys, clean, "render", "final", NG, "--out", str(tmp_path / "out"))
    assert (code, errors) == (0, [])
    with open(ledger(clean), encoding="utf-8") as fh:
        total = sum(Decimal(r["Beløp"].replace(" ", "")) for r in csv.DictReader(fh, delimiter=";"))
    assert total == 664_750
    (docx,) = tmp_path.rglob("*.docx")
    assert kr(664_750) in all_text(docx)


# --- 3. data.ledger_code and the project column -----------------------------------------------


def with_code(config: Path) -> None:
    replace_in(config / "projects" / f"{NG}.yaml", "  notes: data/", "  ledger_code: 251\n  notes: data/")


OTHER = f"30.11.2019;2019;{PL};Lønn prosjektleder annet prosjekt;55 000;fm-innlandet;"


def test_a_ledger_code_without_a_project_column_stops_the_report(clean, tmp_path, capsys):
    """Was: Brukt 253 000 (another project's 55 000 counted), no finding."""
    with_code(clean)
    append(ledger(clean), OTHER)
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert code == 1 and not docx.exists()
    assert len(errors) == 1, errors
    assert f"data/{NG}/regnskap.csv:1: Prosjekt: data.ledger_code is '251', but the ledger has no Prosjekt " \
           "column (columns found: Dato, År, Kategori, Beskrivelse, Beløp, Finansieringskilde, Kreditnota)" in errors[0]
    assert "remove data.ledger_code" in errors[0]


@pytest.mark.parametrize("header", ["Arbeidsordre", "Koststed"])
def test_a_ledger_code_beside_an_erp_dimension_column_says_to_rename_it(clean, tmp_path, capsys, header):
    """Was: '<header>: unknown column, ignored' and Brukt 253 000. A work order or cost centre is
    not read as the project (a cost centre is most often a department): the user says which."""
    with_code(clean)
    text = ledger(clean).read_text(encoding="utf-8").splitlines()
    text = [text[0] + ";" + header] + [line + ";251" for line in text[1:]] + [OTHER + ";252"]
    ledger(clean).write_text("\n".join(text) + "\n", encoding="utf-8")
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert code == 1 and not docx.exists()
    assert len(errors) == 1, errors
    assert "data.ledger_code is '251', but the ledger has no Prosjekt column" in errors[0]
    assert f"if {header!r} holds each row's project code, rename that header to Prosjekt" in errors[0], errors


@pytest.mark.parametrize("header", ["Prosjektnummer", "Prosjektnr", "Prosjekt"])
def test_a_project_number_column_is_read_as_Prosjekt(clean, tmp_path, capsys, header):
    """Was (Prosjektnummer): 'unknown column, ignored' and Brukt 253 000 with project 252's row."""
    with_code(clean)
    text = ledger(clean).read_text(encoding="utf-8").splitlines()
    text = [text[0] + ";" + header] + [line + ";251" for line in text[1:]] + [OTHER + ";252"]
    ledger(clean).write_text("\n".join(text) + "\n", encoding="utf-8")
    code, errors, docx = usage(capsys, clean, tmp_path)
    assert code == 1 and not docx.exists()
    assert len(errors) == 1, errors
    assert errors[0].endswith(f"data/{NG}/regnskap.csv:10: Prosjekt: Prosjekt is '252', not this project's code "
                              "'251': the file is this project's alone (no other project names it), so the row "
                              "would count for no project; write 251"), errors


# --- 4. messages that say what to write -------------------------------------------------------


@pytest.mark.parametrize("line, said", [
    (f"31.03.2020;2020;{PL};a;=SUM(E2:E3);fm-innlandet;",
     "Beløp: '=SUM(E2:E3)' is a formula saved as text, not a number: a sum of other rows is a total row "
     "(delete the row); otherwise write the number itself"),
    (f"31.03.2020;2020;{PL};b;66 000 %;fm-innlandet;",
     "Beløp: '66 000 %' is a percentage, not an amount: write the number without %"),
    (f"31.03.2020;2020;{PL};c;'66 000;fm-innlandet;",
     "Beløp: \"'66 000\" begins with an apostrophe (Excel's mark for text): write 66 000"),
    (f"04/05/2020;2020;{PL};d;66 000;fm-innlandet;",
     "Dato: '04/05/2020' is ambiguous: 4 May or 5 April? write 04.05.2020 or 05.04.2020 (dd.mm.åååå)"),
    (";;Sum;;463 750;;",
     "Kategori: 'Sum' with no date looks like a total or balance row from the export, not a cost: delete the row"),
    ("Sum;;;;463 750;;",
     "Dato: 'Sum' is no date: it looks like a total or balance row from the export; delete the row"),
])
def test_a_cell_grantflow_cannot_read_says_what_to_write(clean, tmp_path, capsys, line, said):
    append(ledger(clean), line)
    code, errors = run(capsys, clean, "validate", str(clean / "projects" / f"{NG}.yaml"))
    assert code == 1
    assert len(errors) == 1, errors
    assert errors[0].endswith(f"data/{NG}/regnskap.csv:10 {said}"), errors
