"""A ledger workbook kept one sheet per year: grantflow reads the first sheet only.

Found by an outside tester: Kongsbergregionen's 2014 rows moved to a second sheet "2014" were
ignored without a word, and the final report stated 4 049 500 kr of accounts instead of 4 779 500.
"""

from __future__ import annotations

import openpyxl
import pytest

from grantflow.cli import main

ERP = "kongsbergregionen-erp"


def _split_by_year(path, year: int) -> list[int]:
    """Move the rows of ``year`` to a sheet of their own; the rows' numbers there."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    moved = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[1].value == year]
    for r in range(ws.max_row, 1, -1):
        if ws.cell(r, 2).value == year:
            ws.delete_rows(r)
    other = wb.create_sheet(str(year))
    other.append(header)
    for row in moved:
        other.append(row)
    wb.save(path)
    return list(range(2, 2 + len(moved)))


def _rewrite_sheet(path, change) -> None:
    """The first sheet's XML changed as another program writes it (openpyxl writes no height 0)."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                changed = change(data.decode("utf-8"))
                assert changed != data.decode("utf-8")
                data = changed.encode("utf-8")
            dst.writestr(info, data)


def test_rows_on_a_second_sheet_with_the_columns_are_refused(scratch_config, capsys):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    rows = _split_by_year(path, 2014)
    assert len(rows) >= 2
    code = main(["--config", str(scratch_config), "validate"])
    out = capsys.readouterr()
    lines = [line for line in out.out.splitlines() if f"data/{ERP}/regnskap.xlsx" in line]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("ERROR ") and lines[0].endswith(
        f"/data/{ERP}/regnskap.xlsx:2 data: sheet '2014' also has the columns and {len(rows)} rows (from "
        "row 2), but grantflow reads only the first sheet 'Regnskap': move those rows into 'Regnskap' (one table for "
        "the file), or delete the sheet if they do not belong"), out.out
    code = main(["--config", str(scratch_config), "render", "final", ERP])
    assert code == 1 and "sheet '2014' also has the columns" in capsys.readouterr().err


def test_a_second_sheet_without_the_columns_is_no_table(scratch_config, capsys):
    """A notes sheet, or a pivot table beside the ledger, is not refused."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    notes = wb.create_sheet("Notater")
    notes.append(["Kontrollert av", "Revisor"])
    notes.append(["2015-01-10", "OK"])
    wb.save(path)
    main(["--config", str(scratch_config), "validate"])
    # (but for its old export: the last row long before the project's end)
    assert not [l for l in capsys.readouterr().out.splitlines()
                if f"data/{ERP}/regnskap.xlsx" in l and "ledger's last row" not in l]


def test_a_hidden_column_or_a_row_of_height_zero_is_refused(scratch_config, capsys):
    """A hidden Beløp column, or a row made 0 high, was counted without a word, while hidden
    rows are refused because nobody sees what would be counted."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    original = path.read_bytes()
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0].column_dimensions["E"].hidden = True
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 1
    err = capsys.readouterr().err
    assert "sheet 'Regnskap', column E ('Beløp'): the column is hidden, and grantflow reads every column" in err, err
    path.write_bytes(original)
    _rewrite_sheet(path, lambda xml: xml.replace('<row r="3"', '<row r="3" ht="0" customHeight="1"', 1))
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 1
    err = capsys.readouterr().err
    assert "sheet 'Regnskap', row 3: the row is hidden" in err, err


def test_a_summary_sheet_or_an_empty_hidden_column_is_no_ledger_trouble(scratch_config, capsys):
    """False alarms found by an outside tester on the fixes above: a pivot sheet 'Kategori | Beløp'
    beside the ledger ('also has the columns', with 2 of 7) stopped the final report, and so did an
    empty Kreditnota column hidden as a habit."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    pivot = wb.create_sheet("Pivot")
    for row in (["Kategori", "Beløp"], ["Anskaffelse programvare", 2700000], ["Sum", 2700000]):
        pivot.append(row)
    other = wb.create_sheet("Budsjett 2017")
    for row in (["År", "Kategori", "Beløp"], [2017, "Drift", 1000]):
        other.append(row)
    ws = wb.worksheets[0]
    assert all(ws.cell(r, 7).value in (None, "") for r in range(2, ws.max_row + 1))      # Kreditnota: empty
    ws.column_dimensions["G"].hidden = True
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


def _formatted(path, cell: str, number_format: str) -> None:
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0][cell].number_format = number_format
    wb.save(path)


def test_an_amount_whose_number_format_shows_nothing_is_refused(scratch_config, tmp_path, capsys):
    """An amount cell formatted ';;;' is blank in Excel, and its 1 250 000 kr was counted in the final
    report unseen (found by an outside tester); refused like a hidden column, naming the cell."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    original = path.read_bytes()
    for number_format in (";;;", ";;", '"";"";""', '[Red];[Blue];""'):
        path.write_bytes(original)
        _formatted(path, "E3", number_format)
        assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
        (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
        assert line == (
            f"error: {path}:3: sheet 'Regnskap', cell E3 (column E 'Beløp'): the number format {number_format!r} "
            "shows nothing, so Excel hides the value 1250000 that grantflow would count; give the cell a number "
            "format that shows it (e.g. General) and save"), line
        assert not list((tmp_path / "out").rglob("*.docx"))


def test_ordinary_number_formats_and_a_zero_shown_blank_are_read(scratch_config, capsys):
    """A zero section left empty ('0;-0;;@') shows a zero as blank: a zero counts nothing."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row, number_format in ((2, "# ##0,00;-# ##0,00"), (3, "#,##0;[Red]-#,##0"), (4, "0;-0;;@"),
                               (5, "#,##0_);(#,##0)")):
        ws.cell(row, 5).number_format = number_format
    ws.cell(6, 7).value, ws.cell(6, 7).number_format = 0, "0;-0;;@"          # Kreditnota: a zero shown blank
    ws.cell(6, 4).number_format = ";;"                                       # text is shown as typed
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


def _with_cached_formula(path, row: list, formula: str, cached: int) -> None:
    """Append ``row`` with the formula in its Beløp cell and the value Excel computed for it
    (openpyxl saves a formula without one)."""
    import re
    import zipfile

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.append(row[:4] + [formula] + row[4:])
    wb.save(path)
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, body in items:
            if info.filename.startswith("xl/worksheets/"):
                text = body.decode("utf-8")
                text = re.sub(r"(<f>[^<]*</f>)(<v\s*/>|<v></v>)?", rf"\1<v>{cached}</v>", text)
                body = text.encode("utf-8")
            zout.writestr(info, body)


@pytest.mark.parametrize("formula", ["=SUBTOTAL(9,E2:E10)", "=SUM(E2:E10)", "=_xlfn.AGGREGATE(9,4,E2:E10)",
                                     "=SUM($E$2:$E$10)",
                                     # session 18: these were counted as costs (render final exit 0)
                                     '=SUMIF(C2:C10,"Prosjektledelse",E2:E10)', '=SUMIF(E2:E10,">0")',
                                     '=SUMIFS(E2:E10,C2:C10,"Prosjektledelse")', "=SUMPRODUCT(E2:E10)",
                                     '=SUMPRODUCT((C2:C10="Prosjektledelse")*E2:E10)',
                                     "=sumif(c:c,\"Prosjektledelse\",e:e)",
                                     # session 18 review: subtotals written without SUM (render final exit 0)
                                     "=E2+E3+E4", "=+E9+E10", "=($E$8+$E$9)+E10",
                                     '=DSUM(A1:G10,"Beløp",K1:K2)', "=DSUM($A$1:$G$10,5,K1:K2)"])
def test_a_subtotal_row_whose_amount_is_a_formula_over_its_column_is_refused(scratch_config, tmp_path, capsys,
                                                                             formula):
    """A row with a date, a category, a plain description and '=SUBTOTAL(9,E2:E10)' in Beløp was
    counted: the final report's accounts 4 779 500 -> 9 559 000 kr."""
    from datetime import datetime

    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _with_cached_formula(path, [datetime(2014, 6, 30), 2014, "Prosjektledelse", "Regnskap per 30.06.2014",
                                "Kommunene (kostnadsfordeling)", None], formula, 4779500)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert line == (
        f"error: {path}:11: sheet 'Regnskap', cell E11 (column E 'Beløp'): the formula {formula!r} adds up other "
        "cells of its own column, so row 11 is a subtotal or total row, not a value of its own: grantflow adds up "
        "the rows itself, so it would be counted twice; delete the row"), line
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_a_formula_over_other_columns_is_read(scratch_config, capsys):
    """=SUM(B11:C11) in Beløp adds other columns' cells: a value of its own."""
    from datetime import datetime

    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _with_cached_formula(path, [datetime(2014, 6, 30), 2014, "Prosjektledelse", "Reise",
                                "Kommunene (kostnadsfordeling)", None, 1000, 500], "=SUM(H11:I11)", 1500)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("formula", ['=SUMIF(Budsjett!C2:C10,"Reise",Budsjett!E2:E10)',
                                     "=SUMIFS(H11:I11,C11:D11,\"<>x\")", '=SUMIF(E2:E10,">0",H2:H10)',
                                     "=SUMPRODUCT(H11:I11)", "='Regnskap E'!E2+SUM(H11:I11)",
                                     # one cell of its own column, other arithmetic, a database sum of another
                                     # column: values of their own
                                     "=E10+H11", "=H11*1.25", "=H11+I11", "=E10*1.25", "=E9-E10+H11",
                                     "=DSUM(A1:I10,8,K1:K2)", "=H11+Budsjett!E2+Budsjett!E3"])
def test_a_sumif_over_another_column_or_sheet_is_read(scratch_config, capsys, formula):
    """A SUMIF, SUMIFS or SUMPRODUCT that adds up another column or another sheet (a cost fetched from
    a cost sheet, a cross-reference) is a value of its own, as =SUM(H11:I11) is; only what adds up
    its own column (the summed range of a SUMIF) is a subtotal."""
    from datetime import datetime

    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _with_cached_formula(path, [datetime(2014, 6, 30), 2014, "Prosjektledelse", "Reise",
                                "Kommunene (kostnadsfordeling)", None, 1000, 500], formula, 1500)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


def _shared_formula_sheet(text: str, master: str = "SUM(E3:E11)") -> str:
    """The ledger's sheet with a shared formula as Excel's fill-down writes it: the master in E1, a
    title row above the header (the rows below move down one), and a follower in E12, a copy of the
    last row whose Beløp is only <f t="shared" si="0"/> and its computed value. Only the follower
    is in the table."""
    import re

    def renumbered(row: str, number: int) -> str:
        row = re.sub(r'(<c r="[A-Z]+)\d+(")', rf"\g<1>{number}\2", row)
        return re.sub(r'(<row r=")\d+(")', rf"\g<1>{number}\2", row)

    last = re.search(r'<row r="10".*?</row>', text).group(0)
    assert '<row r="11"' not in text
    body = re.sub(r'<row r="(\d+)".*?</row>', lambda m: renumbered(m.group(0), int(m.group(1)) + 1), text)
    title = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Regnskap (eksempel)</t></is></c>'
             f'<c r="E1"><f t="shared" ref="E1:E12" si="0">{master}</f><v>4779500</v></c></row>')
    follower = renumbered(last, 12)
    follower = re.sub(r'<c r="E12".*?</c>|<c r="E12"[^>]*/>', '<c r="E12"><f t="shared" si="0"/><v>4779500</v></c>',
                      follower, count=1)
    body = body.replace("<sheetData>", "<sheetData>" + title, 1).replace("</sheetData>", follower + "</sheetData>", 1)
    return re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:G12"/>', body)


def test_a_shared_formula_follower_summing_its_column_is_refused(scratch_config, tmp_path, capsys):
    """A cell whose XML is only <f t="shared" si="0"/> (Excel's fill-down) takes the master's formula,
    moved: E12's is '=SUM(E14:E22)' from the master '=SUM(E3:E11)' in E1 and adds up its own column.
    It was counted as a cost of 4 779 500 kr."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _rewrite_sheet(path, _shared_formula_sheet)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert line == (
        f"error: {path}:12: sheet 'Regnskap', cell E12 (column E 'Beløp'): the formula '=SUM(E14:E22)' adds up other "
        "cells of its own column, so row 12 is a subtotal or total row, not a value of its own: grantflow adds up "
        "the rows itself, so it would be counted twice; delete the row"), line
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_a_shared_formula_follower_over_other_columns_is_read(scratch_config, capsys):
    """The same file with the master adding up column H (no column of the table): the follower's
    'SUM(H14:H22)' is read as a value."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _rewrite_sheet(path, lambda text: _shared_formula_sheet(text, "SUM(H3:H11)"))
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


@pytest.mark.skipif(__import__("shutil").which("soffice") is None, reason="LibreOffice is not installed")
def test_a_sumif_subtotal_saved_by_libreoffice_is_refused(scratch_config, tmp_path, capsys):
    """A workbook saved by LibreOffice Calc (which computes the value and writes '<f aca="false">')
    with a SUMIF subtotal row in Beløp."""
    import shutil
    import subprocess
    from datetime import datetime

    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.append([datetime(2014, 6, 30), 2014, "Prosjektledelse", "Regnskap per 30.06.2014",
               '=SUMIF(C2:C10,"Prosjektledelse",E2:E10)', "Kommunene (kostnadsfordeling)", None])
    made = tmp_path / "made" / "regnskap.xlsx"
    made.parent.mkdir()
    wb.save(made)
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo-out"), str(made)],
                   check=True, capture_output=True, timeout=180)
    shutil.copyfile(tmp_path / "lo-out" / "regnskap.xlsx", path)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert line == (
        f"error: {path}:11: sheet 'Regnskap', cell E11 (column E 'Beløp'): the formula "
        "'=SUMIF(C2:C10,\"Prosjektledelse\",E2:E10)' adds up other cells of its own column, so row 11 is a "
        "subtotal or total row, not a value of its own: grantflow adds up the rows itself, so it would be counted "
        "twice; delete the row"), line


@pytest.mark.parametrize("number_format", ['[>=1000000];0', '"-"', '[>0]"";0', '"–";"–";"–"'])
def test_an_amount_whose_number_format_shows_no_digits_is_refused(scratch_config, tmp_path, capsys, number_format):
    """1 250 000 kr shown as nothing ('[>=1000000];0' for a million, '[>0]"";0') or as '-' was
    counted (found by a reviewer)."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _formatted(path, "E3", number_format)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    shows = "shows nothing" if number_format in ('[>=1000000];0', '[>0]"";0') else "shows no digits of it"
    assert line == (
        f"error: {path}:3: sheet 'Regnskap', cell E3 (column E 'Beløp'): the number format {number_format!r} "
        f"{shows}, so Excel hides the value 1250000 that grantflow would count; give the cell a number "
        "format that shows it (e.g. General) and save"), line
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_a_date_whose_number_format_shows_nothing_is_said_as_a_date(scratch_config, capsys):
    """It said 'hides the value 41453'."""
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _formatted(path, "A3", ";;;")
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 1
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert line == (
        f"error: {path}:3: sheet 'Regnskap', cell A3 (column A 'Dato'): the number format ';;;' shows nothing, so "
        "Excel hides the date 28.06.2013 (Excel's number 41453) that grantflow would count; give the cell a number "
        "format that shows it (e.g. General) and save"), line


def test_formats_that_show_the_value_in_words_or_dates_are_read(scratch_config, capsys):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row, number_format in ((2, '[>=1000000]0,0 "mill.";0'), (3, '_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-'),
                               (4, "General"), (5, "@")):
        ws.cell(row, 5).number_format = number_format
    ws.cell(2, 1).number_format = "[$-414]d. mmmm yyyy"
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err
