"""Workbooks whose cells say one thing to the reader and another to grantflow (found by an outside
tester acting as an attacker with a project leader's access): a row the file holds twice (Excel
and LibreOffice show one copy, grantflow counted both), a number format that shows another number
than the cell's ('#,##0,' shows 1 250 000 as 1,250; '0" 000"' shows 1 450 as 1450 000), and a
335 KB workbook whose shared strings unpack to 136 MB (899 MB and four minutes to read)."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from grantflow.cli import main

ERP = "kongsbergregionen-erp"


def _rewrite(path, name: str, change) -> None:
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == name:
                changed = change(data.decode("utf-8"))
                assert changed != data.decode("utf-8")
                data = changed.encode("utf-8")
            dst.writestr(info, data)


def _error(capsys) -> str:
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    return line


def test_a_row_the_file_holds_twice_is_refused_not_counted_twice(scratch_config, tmp_path, capsys):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    amount = wb.worksheets[0]["E2"].value
    assert isinstance(amount, (int, float)) and amount != 999

    def twice(xml: str) -> str:
        row = re.search(r'<row r="2"[ >].*?</row>', xml).group(0)
        copy = re.sub(r"(<c r=\"E2\"[^>]*>(?:<f>.*?</f>)?<v>)[^<]*(</v>)", r"\g<1>999\g<2>", row)
        assert copy != row
        return xml.replace(row, row + copy)

    _rewrite(path, "xl/worksheets/sheet1.xml", twice)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    assert _error(capsys) == (
        f"error: {path}:2: sheet 'Regnskap', row 2: the file holds row 2 twice (or its rows out of order), and "
        "Excel shows only one copy of it; open the workbook in Excel or LibreOffice and save it again")
    assert not list((tmp_path / "out").rglob("*.docx"))
    assert main(["--config", str(scratch_config), "validate"]) == 1
    out = capsys.readouterr().out
    assert "row 2: the file holds row 2 twice" in out, out


@pytest.mark.parametrize(("number_format", "why"), [
    ("#,##0,", "a comma after the digits divides the number by 1 000 on screen"),
    ('0.0,,"M"', "a comma after the digits divides the number by 1 000 on screen"),
    ('0" 000"', "digits written into the format are shown beside the number's own"),
    ("0\\0\\0\\0", "digits written into the format are shown beside the number's own"),
])
def test_an_amount_whose_number_format_shows_another_number_is_refused(scratch_config, tmp_path, capsys,
                                                                      number_format, why):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0]["E3"].number_format = number_format
    amount = wb.worksheets[0]["E3"].value
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    assert _error(capsys) == (
        f"error: {path}:3: sheet 'Regnskap', cell E3 (column E 'Beløp'): the number format {number_format!r} shows "
        f"another number than the {amount} grantflow would count ({why}); give the cell a number format that "
        "shows it (e.g. General) and save")
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_thousands_separators_and_words_in_formats_are_read(scratch_config, capsys):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row, number_format in ((2, "#,##0"), (3, '[>=1000000]0,0 "mill.";0'), (4, "# ##0,00;-# ##0,00"),
                               (5, '#,##0 "kr";[Red]-#,##0 "kr"'), (6, "#,##0.00_);(#,##0.00)")):
        ws.cell(row, 5).number_format = number_format
    wb.save(path)
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0, capsys.readouterr().err


def _bomb(path, strings: int) -> None:
    """The workbook with a shared-strings part of ``strings`` one-letter strings (as the tester's)."""
    def add_part(types: str) -> str:
        return types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                             'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')

    with zipfile.ZipFile(path) as src:
        items = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    assert "xl/sharedStrings.xml" not in dict(items)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in items:
            if name == "[Content_Types].xml":
                data = add_part(data.decode()).encode()
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            dst.writestr(name, data)
        with dst.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                       b'spreadsheetml/2006/main">')
            for _ in range(strings // 10_000):
                part.write(b"<si><t>a</t></si>" * 10_000)
            part.write(b"</sst>")


def test_a_zip_bomb_ledger_is_refused_before_it_is_read(scratch_config, tmp_path, capsys):
    path = scratch_config / "data" / ERP / "regnskap.xlsx"
    _bomb(path, 200_000)                 # 3.4 MB of strings from ~10 KB
    size = path.stat().st_size
    assert size < 200_000
    assert main(["--config", str(scratch_config), "render", "final", ERP, "--out", str(tmp_path / "out")]) == 1
    line = _error(capsys)
    assert re.fullmatch(
        rf"error: {re.escape(str(path))}: the workbook's part 'xl/sharedStrings.xml' unpacks to 3 MB from \d+ KB "
        r"\(more than 100 times\): a damaged file or a zip bomb, not read; open it in Excel and save it again, or "
        r"save the sheet as CSV", line), line
    assert not list((tmp_path / "out").rglob("*.docx"))


def test_a_returned_workbook_holding_a_row_twice_is_refused_naming_sheet_and_row(scratch_config, tmp_path, capsys):
    from datetime import date

    from tests.unit._workbook import HAUG, refused, sheet_member, workbook_file

    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", None, project=HAUG, as_of=date(2016, 10, 7))
    _rewrite(path, sheet_member(path, "Budsjett"),
             lambda xml: xml.replace(re.search(r'<row r="3"[ >].*?</row>', xml).group(0),
                                     re.search(r'<row r="3"[ >].*?</row>', xml).group(0) * 2))
    error = refused(scratch_config, path, capsys)
    assert error == (f"error: {path}:3: sheet 'Budsjett', row 3: the file holds row 3 twice (or its rows out of "
                     "order), and Excel shows only one copy of it; open the workbook in Excel or LibreOffice and "
                     "save it again"), error


def test_a_returned_workbook_that_is_a_zip_bomb_is_refused_before_it_is_read(scratch_config, tmp_path, capsys):
    from datetime import date

    from tests.unit._workbook import HAUG, refused, workbook_file

    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", None, project=HAUG, as_of=date(2016, 10, 7))
    with zipfile.ZipFile(path) as src:
        has_strings = "xl/sharedStrings.xml" in src.namelist()
    if has_strings:
        _rewrite(path, "xl/sharedStrings.xml", lambda xml: xml.replace("</sst>", "<si><t>a</t></si>" * 200_000 + "</sst>"))
    else:
        _bomb(path, 200_000)
    error = refused(scratch_config, path, capsys)
    assert "the workbook's part 'xl/sharedStrings.xml' unpacks to 3 MB from" in error and "zip bomb" in error, error
