"""Ledger cells an attacker (or a hurried bookkeeper) writes, found by an outside tester in session
13; each was seen failing on the old code from the command line:

* a hidden first sheet was the one read, while Excel showed the corrected copy: the final report
  said 2 120 499 kr unused where the visible ledger gives 670 500 kr; rows hidden by a filter were
  counted without a word;
* an amount or year cell formatted as a percentage stopped the command with "internal error";
* ``1e5000`` or ``1e10000000`` in an amount stopped it with "internal error", and
  ``allocate --amount 1e10000000`` printed a Python traceback.

Now each is one line naming the file, the sheet and row or the field, and exit 1 (2 for a wrong
command-line argument, as argparse does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
ERP = "kongsbergregionen-erp"
LEDGER = f"data/{ERP}/regnskap.xlsx"
HAUG = "haugaland-velferdsteknologi"
CSV = f"data/{HAUG}/regnskap.csv"


def _lines(capsys) -> tuple[str, list[str]]:
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    return text, [line for line in text.splitlines() if "regnskap" in line and line.startswith(("ERROR", "error:"))]


def _render_final(config: Path, out: Path, capsys) -> tuple[int, str, list[str]]:
    code = main(["--config", str(config), "render", "final", ERP, "--out", str(out)])
    text, lines = _lines(capsys)
    return code, text, lines


def test_a_hidden_first_sheet_is_refused_not_read(scratch_config, tmp_path, capsys):
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    old = wb["Regnskap"]
    shown = wb.copy_worksheet(old)          # the copy the bookkeeper corrected and sees
    shown.title = "Regnskap 2"
    old["E2"] = 1                           # what the hidden sheet still says
    old.sheet_state = "hidden"
    wb.active = 1
    wb.save(path)

    code, text, lines = _render_final(scratch_config, tmp_path / "out", capsys)
    assert code == 1 and len(lines) == 1, text
    assert lines[0].startswith(f"error: {path}") or f"{ERP}/regnskap.xlsx" in lines[0], lines[0]
    assert "the first sheet 'Regnskap' is hidden" in lines[0] and "'Regnskap 2'" in lines[0], lines[0]
    assert not list((tmp_path / "out").rglob("*.docx"))

    assert main(["--config", str(scratch_config), "validate"]) == 1
    _, lines = _lines(capsys)
    assert len(lines) == 1 and "is hidden" in lines[0], lines


def test_rows_hidden_by_a_filter_are_refused_not_counted(scratch_config, tmp_path, capsys):
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws["E3"].value == 1250000
    ws.auto_filter.ref = f"A1:G{ws.max_row}"
    ws.row_dimensions[3].hidden = True     # as Excel saves a filtered-out row
    ws.row_dimensions[5].hidden = True
    wb.save(path)

    code, text, lines = _render_final(scratch_config, tmp_path / "out", capsys)
    assert code == 1 and len(lines) == 1, text
    assert "regnskap.xlsx:3" in lines[0] and "sheet 'Regnskap', row 3 (and 1 more): the row is hidden" in lines[0]
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_a_hidden_blank_row_is_no_matter(scratch_config, tmp_path, capsys):
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.row_dimensions[ws.max_row + 3].hidden = True
    wb.save(path)
    code, text, lines = _render_final(scratch_config, tmp_path / "out", capsys)
    assert code == 0 and not lines, text


@pytest.mark.parametrize("cell,field", [("E2", "Beløp"), ("B2", "År")])
def test_an_amount_or_year_formatted_as_a_percentage_is_one_line(scratch_config, capsys, cell, field):
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0][cell].number_format = "0%"
    wb.save(path)
    assert main(["--config", str(scratch_config), "validate"]) == 1
    text, lines = _lines(capsys)
    assert len(lines) == 1, text
    assert "regnskap.xlsx:2 " in lines[0] and field in lines[0], lines[0]
    assert "formatted as a percentage" in lines[0], lines[0]


@pytest.mark.parametrize("amount", ["1e5000", "1e10000000", "-1e400", "1E+999999999"])
def test_an_amount_in_exponent_notation_however_large_is_one_line(scratch_config, capsys, amount):
    path = scratch_config / CSV
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("62 500,00;hv-fond", f"{amount};hv-fond", 1), encoding="utf-8")
    assert main(["--config", str(scratch_config), "validate"]) == 1
    out, lines = _lines(capsys)
    assert len(lines) == 1, out
    assert "regnskap.csv:2 " in lines[0] and "Beløp" in lines[0] and "exponent notation" in lines[0], lines[0]
    assert len(lines[0]) < 400, lines[0]


@pytest.mark.parametrize("amount", ["1e10000000", "1e100000", "1e400"])
def test_a_command_line_amount_in_exponent_notation_is_one_line(amount):
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "allocate", HAUG, "--year", "2016",
                           "--amount", amount], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("grantflow allocate: error: argument --amount: ") and "exponent notation" in last, last
    assert len(last) < 300, last


# --- a sign or currency with no number (session 18) --------------------------------------------

NO_NUMBER = ["-kr", "kr -", "-", "\u2212kr", "kr", "-NOK", "\u2013", "kr ,-"]


@pytest.mark.parametrize("amount", NO_NUMBER)
def test_an_amount_of_only_a_sign_or_currency_is_one_line_not_zero(clean, capsys, amount):
    """'-kr' (or '-', 'kr -', '−kr') alone in Beløp was read as 0 kr: the row's amount vanished from
    the accounts without a word. A genuinely empty cell stays 'value is missing'."""
    path = clean / CSV
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("62 500,00;hv-fond", f"{amount};hv-fond", 1), encoding="utf-8")
    assert main(["--config", str(clean), "validate"]) == 1
    out, lines = _lines(capsys)
    assert len(lines) == 1, out
    assert lines[0].endswith(
        f"regnskap.csv:2 Beløp: {amount!r} has no number in it, only a sign or currency (a dash alone is not "
        "read as 0): write the number, or 0"), lines[0]


def test_an_empty_amount_is_still_missing(clean, capsys):
    path = clean / CSV
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("62 500,00;hv-fond", "  ;hv-fond", 1), encoding="utf-8")
    assert main(["--config", str(clean), "validate"]) == 1
    out, lines = _lines(capsys)
    assert len(lines) == 1 and lines[0].endswith("regnskap.csv:2 Beløp: value is missing"), out


@pytest.mark.parametrize("amount", ["-kr", "kr -", "-"])
def test_a_workbook_amount_of_only_a_sign_or_currency_is_one_line(scratch_config, tmp_path, capsys, amount):
    """The same text typed into a workbook's Beløp cell: 1 250 000 kr became 0 in the final report."""
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0]["E3"] = amount
    wb.save(path)
    code, text, lines = _render_final(scratch_config, tmp_path / "out", capsys)
    assert code == 1 and len(lines) == 1, text
    assert lines[0].endswith(
        f"regnskap.xlsx:3: Beløp: {amount!r} has no number in it, only a sign or currency (a dash alone is not "
        "read as 0): write the number, or 0"), lines[0]
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_legitimate_amounts_beside_a_sign_are_still_read(clean, capsys):
    """'-kr 2 400,00' (Excel's negative currency), '1 200,-' and '0' keep being read."""
    path = clean / CSV
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, amount, credit in ((1, "-kr 62 500,00", "ja"), (2, "kr 0", ""), (3, "62 500,-", "")):
        cells = lines[number].split(";")
        assert cells[4] == "62 500,00", cells
        cells[4], cells[6] = amount, credit
        lines[number] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from grantflow import data

    table = data.read_ledger(path)
    assert table.ok and table.frame["Beløp"].tolist()[:3] == [-62500.0, 0.0, 62500.0]
