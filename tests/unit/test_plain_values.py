"""Plain Norwegian values a new council's secretary writes (outside tester new23, findings 5 and 6):
each is read where a Norwegian reader cannot read it two ways, or refused with one line saying
exactly what to write.

- `1. mars 2026`, `31. desember 2027` in the milestone CSV or a workbook cell: "write dd.mm.åååå";
  now read as the date (the report shows it), `1. march 2026` keeps the old message.
- `equal_percent: "40 %"`: "cannot read '40 %' as a number"; now 40 % (the split shows 40 % of the
  total in equal shares, computed here by hand).
- `weight_year: 1.1.2014`: "Input should be a valid integer"; now "write the year only, e.g. 2014".
- SSB footnote marks `"868 (1)"`: "cannot read as a number"; now says it looks like a footnote mark.
- `results:` as a list: "Input should be a valid string"; now says it is one text.
- A ledger header `Bilagsdato` / `Kontonavn`: "unknown column, ignored" + "required column … missing";
  now one error per missing column telling which header to rename (never `Konto`).
- A merged `Beløp` header over two columns in a ledger .xlsx was accepted and the second column's
  amounts ignored with a warning; now an error naming the cells.
"""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import find_table

HAUG = "haugaland-velferdsteknologi"
NG = "smart-velferdsregion-nord-gudbrandsdal"
NBSP = "\u00a0"


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, (captured.out + captured.err).replace(f"{config}/", "config/").splitlines()


def _errors(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("ERROR")]


# --- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, shown", [
    ("2. oktober 2019", "02.10.2019"),
    ("31. januar 2020", "31.01.2020"),
    ("2. okt. 2019", "02.10.2019"),
    ("2. Oktober 2019", "02.10.2019"),
])
def test_a_long_norwegian_date_in_the_milestone_csv_is_read_as_the_date(scratch_config, tmp_path, written, shown):
    csv = scratch_config / f"data/{NG}/milepaeler.csv"
    first = "1;ferdig;02.10.2019;" if shown == "02.10.2019" else "2;ferdig;31.01.2020;"
    replace_in(csv, first, first.replace(shown, written))
    made = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    row = next(r for r in find_table(made.docx, "Nr", "Forsinkelse (dager)") if r[0] == first[0].zfill(2))
    assert row[3] == shown, row              # Faktisk dato as the report prints it


@pytest.mark.parametrize("written", ["2. march 2019", "2. oktober 19", "2. okto 2019"])
def test_anything_else_keeps_the_message_saying_what_to_write(clean, capsys, written):
    replace_in(clean / f"data/{NG}/milepaeler.csv", "1;ferdig;02.10.2019;", f"1;ferdig;{written};")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = _errors(lines)
    assert line == (f"ERROR   config/data/{NG}/milepaeler.csv:2 Faktisk dato: cannot read {written!r} as a date "
                    "(write dd.mm.åååå or åååå-mm-dd)"), line


def test_a_day_the_month_lacks_is_refused_in_a_long_date_too(clean, capsys):
    replace_in(clean / f"data/{NG}/milepaeler.csv", "1;ferdig;02.10.2019;", "1;ferdig;31. september 2019;")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = _errors(lines)
    assert "'31. september 2019' is not a date: September 2019 has 30 days" in line, line


# --- percent -------------------------------------------------------------------------------------

def test_equal_percent_with_its_sign_is_read_as_that_percent(clean, capsys):
    replace_in(clean / f"projects/{HAUG}.yaml", "  equal_percent: 30\n", '  equal_percent: "40 %"\n')
    assert main(["--config", str(clean), "allocate", HAUG, "--year", "2016"]) == 0
    out = capsys.readouterr().out.replace(NBSP, " ")
    # the clean fixture's 2016 amount, 1 122 415 kr: 40 % of it in equal shares is 448 966 kr
    # (1 122 415 × 0,4 = 448 966,0, by hand), 44 896,6 kr for each of the ten municipalities
    assert "2016: 1 122 415 kr" in out and "(40 % likt, resten etter innbyggere" in out, out
    (total,) = [line for line in out.splitlines() if line.startswith("│ Sum")]
    assert [cell.strip() for cell in total.split("│")][3] == "448 966", total
    equal = {line.split("│")[3].strip() for line in out.splitlines()
             if line.startswith("│ ") and not line.startswith("│ Sum")}
    assert equal == {"44 896", "44 897"}, out


def test_a_small_percent_with_its_sign_is_not_ambiguous(clean, capsys):
    replace_in(clean / f"projects/{HAUG}.yaml", "  equal_percent: 30\n", '  equal_percent: "0,5 %"\n')
    code, lines = _validate(clean, capsys)
    assert code == 0, _errors(lines)


# --- a date where a year is asked for ------------------------------------------------------------

@pytest.mark.parametrize("written, said", [("1.1.2014", "'1.1.2014'"), ("2014-01-01", "01.01.2014")])
def test_a_date_as_weight_year_says_to_write_the_year(clean, capsys, written, said):
    replace_in(clean / f"projects/{HAUG}.yaml", "weight_year: 2014 ", f"weight_year: {written} ")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = _errors(lines)
    assert line == (f"ERROR   config/projects/{HAUG}.yaml:34 split.weight_year: {said} is a date, not a year: "
                    "write the year only, e.g. 2014"), line


# --- SSB footnote marks ------------------------------------------------------------------------

@pytest.mark.parametrize("written, mark", [('"868 (1)"', "(1)"), ('"868¹"', "¹"), ('"868(2)"', "(2)")])
def test_a_population_with_a_footnote_mark_says_to_remove_it(clean, capsys, written, mark):
    replace_in(clean / "councils/haugaland-vekst.yaml", "{name: Bokn, population: {2014: 868}}",
               f"{{name: Bokn, population: {{2014: {written}}}}}")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = _errors(lines)
    assert line.endswith(f"municipalities[2].population[2014]: '{written.strip(chr(34))}' ends with {mark!r}, "
                         "which looks like a footnote mark (as in SSB's tables): remove it and write 868"), line


# --- results as a list ---------------------------------------------------------------------------

def test_results_as_a_list_says_it_is_one_text(clean, capsys):
    replace_in(clean / f"data/{HAUG}/notater.yaml",
               "    results: Felles strategi for velferdsteknologi er vedtatt i styringsgruppen.",
               "    results:\n      - Felles strategi vedtatt\n      - Responssenter utredet")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = _errors(lines)
    assert line.startswith(f"ERROR   config/data/{HAUG}/notater.yaml:7 status[0].results: is one text, not a "
                           "list: write the points as one paragraph"), line
    assert "Input should be" not in line


# --- ledger headers ------------------------------------------------------------------------------

LEDGER_HEADER = "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota"


@pytest.mark.parametrize("header, column, fix", [
    ("Bilagsdato;År;Kategori", "Dato", "if 'Bilagsdato' holds it, rename that header to Dato"),
    ("Posteringsdato;År;Kategori", "Dato", "if 'Posteringsdato' holds it, rename that header to Dato"),
    ("Dato;År;Kontonavn", "Kategori", "if 'Kontonavn' holds it, rename that header to Kategori"),
    ("Dato;År;Konto", "Kategori", "add a column Kategori with each row's budget category ('Konto' is an "
                                  "account number, not a budget category: it may stay, it is then ignored)"),
])
def test_a_ledger_header_an_accounting_system_writes_names_the_rename(clean, capsys, header, column, fix):
    ledger = clean / f"data/{HAUG}/regnskap.csv"
    replace_in(ledger, "Dato;År;Kategori", header)
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = [l for l in _errors(lines) if "regnskap.csv" in l]
    found = header + LEDGER_HEADER[len("Dato;År;Kategori"):]
    assert line == (f"ERROR   config/data/{HAUG}/regnskap.csv:1 {column}: required column {column!r} is missing "
                    f"(columns found: {found.replace(';', ', ')}); {fix}"), line
    named = header.split(";")[0 if column == "Dato" else 2]
    if named != "Konto":
        assert not [l for l in lines if f"{named}: unknown column, ignored" in l], lines


# --- a merged header in a ledger .xlsx -----------------------------------------------------------

def test_a_merged_amount_header_in_a_ledger_xlsx_is_refused(clean, capsys, tmp_path):
    ledger = clean / f"data/{HAUG}/regnskap.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Regnskap"
    ws.append(["Dato", "År", "Kategori", "Beskrivelse", "Beløp", None, "Finansieringskilde"])
    # Beløp over E1:F1; the reader sees 62 500 + 500 under it, grantflow read 62 500 and ignored F
    ws.append([datetime(2015, 9, 30), 2015, "Prosjektkostnader", "Lønn", 62500, 500, "hv-fond"])
    ws.merge_cells("E1:F1")
    wb.save(ledger)
    replace_in(clean / f"projects/{HAUG}.yaml", "ledger: data/haugaland-velferdsteknologi/regnskap.csv",
               "ledger: data/haugaland-velferdsteknologi/regnskap.xlsx")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = [l for l in _errors(lines) if "regnskap.xlsx" in l]
    assert line == (f"ERROR   config/data/{HAUG}/regnskap.xlsx:1 data: sheet 'Regnskap', cells E1:F1: merged cells in "
                    "the table's header row; unmerge them and give each column its own header (a column under "
                    "a merged header has no name and its values are not read)"), line


# --- the same in a returned workbook ---------------------------------------------------------------

def test_a_long_date_typed_in_a_workbook_cell_is_read_as_the_date(scratch_config, tmp_path, capsys):
    from tests.unit._workbook import run_import, workbook_file

    def edit(wb):
        ws = wb["Milepælstatus"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == 3)
        ws.cell(row, 4).value, ws.cell(row, 5).value = "ferdig", "1. mars 2020"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0, text
    rows = (scratch_config / f"data/{NG}/milepaeler.csv").read_text(encoding="utf-8").splitlines()
    assert [r for r in rows if r.startswith("3;")][0].startswith("3;ferdig;01.03.2020;"), rows


@pytest.mark.parametrize("typed, shown", [(datetime(2014, 1, 1), "2014-01-01"), ("1.1.2014", "1.1.2014")])
def test_a_date_as_the_workbooks_weight_year_says_to_write_the_year(scratch_config, tmp_path, capsys, typed, shown):
    """A date cell 01.01.2014 said 'a date, not a number', the text 1.1.2014 'cannot read … as a number'."""
    from datetime import date

    from tests.unit._workbook import entered, refused, workbook_file

    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", entered("Prosjekt", {"split.weight_year": typed}),
                         project=HAUG, as_of=date(2016, 10, 7))
    error = refused(scratch_config, path, capsys)
    assert error.endswith(f"svar.xlsx:Prosjekt:47 Kostnadsfordeling – år for nøkkeltall: cannot read '{shown}': "
                          "a date, not a year: write the year only, e.g. 2014"), error


def test_an_agreed_percentage_key_written_with_its_sign_is_read(clean, capsys):
    """A prosentandel of "40 %" said "cannot read '40 %' as a number" (equal_percent's finding,
    wherever a percentage is written in YAML)."""
    council = clean / "councils/kongsbergregionen.yaml"
    shares = {"Notodden": "40", "Tinn": "30", "Hjartdal": "20", "Kongsberg": "10"}
    for name, share in shares.items():
        replace_in(council, f"{{name: {name}, population: {{2013: ",
                   f"{{name: {name}, weights: {{prosentandel: {{2013: \"{share} %\"}}}}, population: {{2013: ")
    replace_in(clean / "projects/kongsbergregionen-erp.yaml", "weight: innbyggere, weight_year: 2013",
               "weight: prosentandel, weight_year: 2013")
    assert main(["--config", str(clean), "allocate", "kongsbergregionen-erp", "--year", "2014"]) == 0
    out = capsys.readouterr().out.replace(NBSP, " ")
    assert "2014: 1 400 000 kr" in out, out
    sums = {cells[1]: cells[-2] for line in out.splitlines() if line.startswith("│ ")
            for cells in [[c.strip() for c in line.split("│")]]}
    # 1 400 000 kr by the agreed percentages, by hand: 40 % = 560 000, 30 % = 420 000, ...
    assert {name: sums[name] for name in shares} == {"Notodden": "560 000", "Tinn": "420 000",
                                                     "Hjartdal": "280 000", "Kongsberg": "140 000"}, out
