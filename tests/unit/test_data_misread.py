"""Data files misread without a word (outside tester, session 15): a year that is no year, a
misspelt column header, kroner with more than two decimals. Each test reads what the user gets:
the one line and the exit code of the command, never a traceback, never a document."""

from __future__ import annotations

import openpyxl
import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG_LEDGER = "data/haugaland-velferdsteknologi/regnskap.csv"
ERP_LEDGER = "data/kongsbergregionen-erp/regnskap.xlsx"
HAUG = ["status haugaland-velferdsteknologi", "final haugaland-velferdsteknologi",
        "usage --council haugaland-vekst --year 2016"]
ERP = ["status kongsbergregionen-erp", "final kongsbergregionen-erp", "usage --council kongsbergregionen --year 2014"]


def run(capsys, config, *args):
    code = main(["--config", str(config), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def error_lines(text: str, file: str) -> list[str]:
    return [line for line in text.splitlines() if file in line and line.startswith("ERROR")]


def assert_refused(capsys, config, tmp_path, renders, file, expected):
    """validate and every render give the one line (no internal error), exit 1."""
    code, out, err = run(capsys, config, "validate")
    assert code == 1 and "internal error" not in out + err, out + err
    mine = error_lines(out, file)
    assert len(mine) == 1 and expected in mine[0], mine
    for render in renders:
        code, out, err = run(capsys, config, "render", *render.split(), "--out", str(tmp_path / "out"))
        assert code == 1, (render, out, err)
        assert "internal error" not in err and "Traceback" not in err, err
        assert expected in err and len(err.strip().splitlines()) == 1, (render, err)


# --- 1. År outside the years a date may have ------------------------------------------------

@pytest.mark.parametrize("year", ["15", "0", "-2015", "3015", "62500", "1899"])
def test_a_year_that_is_no_year_is_one_error_in_a_csv_ledger(scratch_config, capsys, tmp_path, year):
    # it crashed validate and every document: "internal error (TypeError: Invalid value
    # '[Timestamp('0015-12-31…')]' for dtype 'datetime64[ns]')"
    replace_in(scratch_config / HAUG_LEDGER, "30.09.2015;2015;", f"30.09.2015;{year};")
    assert_refused(capsys, scratch_config, tmp_path, HAUG, "regnskap.csv:2 ",
                   f"År: year {year} is outside 1900–2100")


@pytest.mark.parametrize("year", [15, 0, -2013, 3013, 1450000])
def test_a_year_that_is_no_year_is_one_error_in_an_xlsx_ledger(scratch_config, capsys, tmp_path, year):
    # render crashed on Kongsberg's workbook ledger
    path = scratch_config / ERP_LEDGER
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet["B2"].value == 2013
    sheet["B2"].value = year
    book.save(path)
    assert_refused(capsys, scratch_config, tmp_path, ERP, "regnskap.xlsx", f"År: year {year} is outside 1900–2100")


# --- 2. a misspelt header of a column the file lacks ----------------------------------------

def rename_header(path, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[0].split(";"), lines[0]
    lines[0] = ";".join(new if cell == old else cell for cell in lines[0].split(";"))
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("old, new", [
    ("Finansieringskilde", "Finansiering"), ("Finansieringskilde", "Finansiør"),
    ("Finansieringskilde", "Finansieringskjelde"),
])
def test_a_misspelt_ledger_header_is_an_error_and_no_document_is_made(scratch_config, capsys, tmp_path, old, new):
    # the column was dropped with a warning, and the usage report said Brukt 0, Ubrukt 400 000
    # (real: 192 261 / 207 739)
    rename_header(scratch_config / HAUG_LEDGER, old, new)
    assert_refused(capsys, scratch_config, tmp_path, HAUG, "regnskap.csv:1 ",
                   f"column {new!r} is not a known column; did you mean {old!r}? rename the header")


def test_a_misspelt_project_column_in_a_shared_ledger_is_an_error(scratch_config, capsys, tmp_path):
    # 'Prosjekt-id' was ignored: every row counted for the project, another project's rows too
    path = scratch_config / HAUG_LEDGER
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [f"{line};haugaland-velferdsteknologi" for line in lines[1:]]
    body.append("01.12.2015;2015;Prosjektkostnader;Annet prosjekt;99 000,00;hv-fond;;annet-prosjekt")
    path.write_text("\n".join([lines[0] + ";Prosjekt-id", *body]) + "\n", encoding="utf-8")
    assert_refused(capsys, scratch_config, tmp_path, HAUG, "regnskap.csv:1 ",
                   "column 'Prosjekt-id' is not a known column; did you mean 'Prosjekt'?")


@pytest.mark.parametrize("file, old, new", [
    ("data/haugaland-velferdsteknologi/milepaeler.csv", "Kommentar", "Kommentarer"),
    ("data/haugaland-velferdsteknologi/timer.csv", "Beskrivelse", "Beskrivelser"),
])
def test_every_table_refuses_a_misspelt_header(scratch_config, capsys, file, old, new):
    rename_header(scratch_config / file, old, new)
    code, out, _ = run(capsys, scratch_config, "validate")
    (line,) = error_lines(out, file.rsplit("/", 1)[1] + ":1 ")
    assert code == 1 and f"column {new!r} is not a known column; did you mean {old!r}?" in line, line


def test_an_extra_column_beside_the_known_one_stays_a_warning(scratch_config, capsys):
    path = scratch_config / HAUG_LEDGER
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ";Finansiering;Kreditor;Kommentar",
                               *(line + ";x;Leverandør AS;ok" for line in lines[1:])]) + "\n", encoding="utf-8")
    _, out, _ = run(capsys, scratch_config, "validate")
    assert not error_lines(out, "regnskap.csv"), out
    warnings = [line for line in out.splitlines() if "regnskap.csv:1 " in line]
    assert len(warnings) == 3 and all("unknown column, ignored" in line for line in warnings), warnings


def test_a_misspelt_required_column_is_one_error_not_two(tmp_path):
    from grantflow.data import read_ledger

    path = tmp_path / "r.csv"
    path.write_text("Dato;Kategori;Beløpet\n01.03.2016;Drift;100\n", encoding="utf-8")
    table = read_ledger(path)
    assert [(f.severity, f.line, f.field, f.message) for f in table.findings] == [
        ("error", 1, "Beløpet", "column 'Beløpet' is not a known column; did you mean 'Beløp'? rename the header "
                                "(or remove the column if it holds something else)")]
    assert table.frame.empty


def test_common_extra_columns_of_an_export_are_not_taken_for_missing_ones(tmp_path):
    # Kreditor (a supplier) is not Kreditnota, Kommentar does not end with År
    from grantflow.data import read_ledger

    path = tmp_path / "r.csv"
    path.write_text("Dato;Kategori;Beløp;Kreditor;Kommentar;Konto;Bilagsnr\n01.03.2016;Drift;100;AS;ok;6790;17\n",
                    encoding="utf-8")
    table = read_ledger(path)
    assert table.ok and table.frame["Beløp"].tolist() == [100.0]
    assert {f.field for f in table.findings} == {"Kreditor", "Kommentar", "Konto", "Bilagsnr"}


# --- 3. kroner with more than two decimals --------------------------------------------------

@pytest.mark.parametrize("written, decimals", [("62 500,005", 3), ("0,004", 3), ("1 234,5678", 4), ("0.004", 3),
                                               ("kr 12 000,125", 3), ("-0,001", 3)])
def test_an_amount_below_an_ore_is_an_error_naming_row_and_belop(scratch_config, capsys, tmp_path,
                                                                  written, decimals):
    credit = "ja" if written.startswith("-") else ""
    replace_in(scratch_config / HAUG_LEDGER, "31.10.2015;2015;Prosjektkostnader;Lønn prosjektleder oktober;62 500,00;hv-fond;",
               f"31.10.2015;2015;Prosjektkostnader;Lønn prosjektleder oktober;{written};hv-fond;{credit}")
    assert_refused(capsys, scratch_config, tmp_path, HAUG[:1], "regnskap.csv:3 Beløp",
                   f"Beløp: {written!r} has {decimals} decimals; kroner have at most 2 (øre)")


@pytest.mark.parametrize("reader", ["split", "pandas", "arrow"])
def test_every_reader_refuses_three_decimals_and_keeps_hours_as_they_were(tmp_path, monkeypatch, reader):
    from grantflow import data

    monkeypatch.setattr(data, "CSV_READER", reader)
    path = tmp_path / "r.csv"
    path.write_text("Dato;Kategori;Beløp\n" + "01.03.2016;Drift;1 000,50\n" * 50 + "02.03.2016;Drift;62 500,005\n"
                    "03.03.2016;Drift;62 500,500\n", encoding="utf-8")
    table = data.read_ledger(path)
    assert [(f.line, f.field) for f in table.findings] == [(52, "Beløp")]
    assert table.frame["Beløp"].tolist() == [1000.5] * 50 + [62500.5]     # a zero past the øre changes nothing
    path.write_text("Dato;Kommune;Timer\n01.03.2016;Bokn;2,125\n02.03.2016;Bokn;7,5\n", encoding="utf-8")
    hours = data.read_hours(path)
    assert hours.ok and hours.frame["Timer"].tolist() == [2.125, 7.5]


def test_regnskapsar_is_the_accounting_year(scratch_config):
    """'Regnskapsår' is what some exports call År: read as År, not refused nor ignored."""
    from grantflow.data import read_ledger

    before = read_ledger(scratch_config / HAUG_LEDGER).frame["År"].tolist()
    rename_header(scratch_config / HAUG_LEDGER, "År", "Regnskapsår")
    table = read_ledger(scratch_config / HAUG_LEDGER)
    assert table.frame["År"].tolist() == before and not table.findings


@pytest.mark.parametrize("extra", ["Prosjektleder", "Prosjektnavn", "Hittil i år"])
def test_a_column_named_like_a_known_one_plus_a_word_stays_a_warning(scratch_config, capsys, extra):
    """'Prosjektleder' beside a project's own ledger (no Prosjekt column) was an error, 'did you mean
    Prosjekt?': the whole ledger unreadable, and renaming it would have named a project code that
    does not exist (found by a reviewer). A short tag ('Prosjekt-id') is still taken for a misspelling."""
    path = scratch_config / HAUG_LEDGER
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + f";{extra}", *(line + ";Kari Nordmann" for line in lines[1:])]) + "\n",
                    encoding="utf-8")
    _, out, _ = run(capsys, scratch_config, "validate")
    assert not error_lines(out, "regnskap.csv"), out
    (warning,) = [line for line in out.splitlines() if "regnskap.csv:1 " in line]
    assert warning.startswith("WARNING") and "unknown column, ignored" in warning
