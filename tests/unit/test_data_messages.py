"""Messages for mistakes in the data files (ledger, milestones, hours) that an outside tester,
playing a project leader, found unclear: each is one line naming file, row and field that says
what to change, seen through `grantflow validate` (or `render`) and its exit code."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
NGD = "smart-velferdsregion-nord-gudbrandsdal"
DIGITAL = "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"      # an en dash, as in the budget




def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line.replace(f"{config}/", "config/") for line in captured.out.splitlines()
                  if line.startswith("ERROR")]


def _render(config, tmp_path, capsys, *args) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "render", *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line.replace(f"{config}/", "config/") for line in captured.err.splitlines()
                  if line.startswith("error")]


def _edit_first_row(path, change) -> None:
    """The file's first row after the header changed by ``change(row)``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = change(lines[1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _append(path, *rows: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.writelines(row + "\n" for row in rows)


# --- 1. a category that differs from the budget's only in characters that look alike ----------

@pytest.mark.parametrize("written, says", [
    ("Felles prosjekttiltak - digital kompetanse og kunnskapsdeling",
     "only in its dash: the budget has an en dash (–), the file a hyphen (-)"),
    ("Felles prosjekttiltak — digital kompetanse og kunnskapsdeling",
     "only in its dash: the budget has an en dash (–), the file an em dash (—)"),
    ("Felles prosjekttiltak –\u00a0digital kompetanse og kunnskapsdeling",
     "only in a space: the budget has a plain space, the file a non-breaking space (U+00A0) after "
     "'prosjekttiltak –'"),
    ("Felles prosjekttiltak –  digital kompetanse og kunnskapsdeling",
     "only in a space: the budget has a plain space, the file two spaces after 'prosjekttiltak –'"),
], ids=["hyphen", "em dash", "nbsp", "two spaces"])
def test_a_category_that_only_looks_like_the_budgets_says_what_differs(clean, capsys, written, says):
    """A hyphen for the budget's en dash was 'unknown budget category … (known: … – …)': the two
    look the same, nobody could see what to fix. It is still refused (never taken as the budget's)."""
    _append(clean / "data" / NGD / "regnskap.csv", f"06.12.2019;2019;{written};Kurs;2 000;helsedir;")
    code, errors = _validate(clean, capsys)
    assert code == 1
    assert errors == [f"ERROR   config/data/{NGD}/regnskap.csv:10 Kategori: unknown budget category {written!r}: "
                      f"it differs from the budget category {DIGITAL!r} {says}"]


def test_an_unknown_category_unlike_any_still_lists_the_known_ones(clean, capsys):
    _append(clean / "data" / NGD / "regnskap.csv", "06.12.2019;2019;Reise;Kurs;2 000;helsedir;")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{NGD}/regnskap.csv:10 Kategori: unknown budget category 'Reise' (known: "
        f"Prosjektleder og prosessadministrasjon, {DIGITAL})"])


# --- 3. an unknown municipality in the hours file ---------------------------------------------

HAUGALAND = "Haugesund, Karmøy, Bokn, Utsira, Sveio, Tysvær, Vindafjord, Etne, Sauda, Suldal"


@pytest.mark.parametrize("written, says", [
    ("Karmoy", f"unknown municipality 'Karmoy' (did you mean 'Karmøy'? known: {HAUGALAND})"),
    ("Haugesund kommune", "unknown municipality 'Haugesund kommune': write the municipality's name, 'Haugesund'"),
    ("Karmoy Kommune", "unknown municipality 'Karmoy Kommune': write the municipality's name, 'Karmøy'"),
    ("Oslo", f"unknown municipality 'Oslo' (known: {HAUGALAND})"),
])
def test_an_unknown_municipality_in_the_hours_names_the_one_meant_and_the_known(clean, capsys, written, says):
    """'Karmoy' and 'Haugesund kommune' were 'unknown municipality …' with no list and no
    suggestion, while an unknown category or source had both. The row stays refused."""
    _append(clean / "data" / HAUG / "timer.csv", f"15.10.2015;{written};3;Arbeidsgruppe")
    assert _validate(clean, capsys) == (1, [f"ERROR   config/data/{HAUG}/timer.csv:12 Kommune: {says}"])


def test_an_unknown_municipality_stops_the_status_report_with_the_suggestion(clean, tmp_path, capsys):
    _append(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmoy;3;Arbeidsgruppe")
    assert _render(clean, tmp_path, capsys, "status", HAUG, "--as-of", "2016-10-07") == (1, [
        f"error: config/data/{HAUG}/timer.csv:12: Kommune: unknown municipality 'Karmoy' (did you mean 'Karmøy'? "
        f"known: {HAUGALAND})"])


def test_a_municipality_that_differs_only_in_a_space_says_so(clean):
    from grantflow.data import unknown_municipality
    from grantflow.register import load_register

    council = load_register(clean)[0].councils["kongsbergregionen"]
    assert unknown_municipality("Nore  og Uvdal", council) == (
        "unknown municipality 'Nore  og Uvdal': it differs from 'Nore og Uvdal' only in a space: the council's "
        "list has a plain space, the file two spaces after 'Nore'")


# --- 4. what Excel showed, exported into a CSV file -------------------------------------------

EXCEL_ERROR = "the cell shows the Excel error {} (a formula that failed); fix it or type the value"
TOO_NARROW = ("the cell shows '########', Excel's mark for a value too wide for its column, and the export wrote "
              "that, not the value; widen the column in Excel and export again, or type the value")


@pytest.mark.parametrize("reader", ["split", "pandas", "arrow"])
@pytest.mark.parametrize("written, says", [
    ("#DIV/0!", EXCEL_ERROR.format("'#DIV/0!'")),
    ("#VERDI!", EXCEL_ERROR.format("'#VERDI!'")),
    ("#N/A", EXCEL_ERROR.format("'#N/A'")),
    ("########", TOO_NARROW),
])
def test_an_excel_error_in_a_csv_ledger_is_said_as_in_a_workbook(clean, capsys, monkeypatch, reader, written, says):
    """A CSV export writes what Excel shows: '#DIV/0!' was 'cannot read '#DIV/0!' as a number',
    though a workbook's error cell is explained."""
    from grantflow import data

    monkeypatch.setattr(data, "CSV_READER", reader)
    _append(clean / "data" / HAUG / "regnskap.csv", f"30.11.2015;2015;Prosjektkostnader;Lønn;{written};hv-fond;")
    assert _validate(clean, capsys) == (1, [f"ERROR   config/data/{HAUG}/regnskap.csv:20 Beløp: {says}"])


def test_a_too_narrow_date_column_in_a_csv_ledger_is_said(clean, capsys):
    _append(clean / "data" / HAUG / "regnskap.csv", "########;2015;Prosjektkostnader;Lønn;2 400,00;hv-fond;")
    assert _validate(clean, capsys) == (1, [f"ERROR   config/data/{HAUG}/regnskap.csv:20 Dato: {TOO_NARROW}"])


def test_an_excel_error_in_the_hours_stops_the_status_report(clean, tmp_path, capsys):
    _append(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmøy;#VERDI!;Arbeidsgruppe")
    assert _render(clean, tmp_path, capsys, "status", HAUG, "--as-of", "2016-10-07") == (1, [
        f"error: config/data/{HAUG}/timer.csv:12: Timer: {EXCEL_ERROR.format(repr('#VERDI!'))}"])


# --- 5. Excel's negative currency format ------------------------------------------------------

@pytest.mark.parametrize("written", ["-kr 2 400,00", "kr -2 400,00", "-kr 2400", "−kr 2 400,00"])
def test_a_credit_note_in_excels_negative_currency_format_is_read(clean, capsys, written):
    """'-kr 2 400,00' (Excel's format for a negative amount in kroner) was 'cannot read … as a
    number', while 'kr -2 400,00' was read; both are -2 400."""
    from grantflow.data import read_ledger

    path = clean / "data" / HAUG / "regnskap.csv"
    _append(path, f"20.04.2016;2016;Prosjektkostnader;Kreditnota konferanse;{written};hv-fond;ja")
    assert _validate(clean, capsys) == (0, [])
    frame = read_ledger(path).frame
    assert frame.loc[frame["_row"] == 20, "Beløp"].tolist() == [-2400.0]


def test_a_minus_on_both_sides_of_the_currency_is_refused(clean, capsys):
    _append(clean / "data" / HAUG / "regnskap.csv",
            "20.04.2016;2016;Prosjektkostnader;Kreditnota;-kr -2 400,00;hv-fond;ja")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 Beløp: cannot read '-kr -2 400,00' as a number"])


# --- 6. amounts the Norwegian way; no 'kr' for a milestone number -----------------------------

def test_a_negative_amount_not_marked_as_credit_is_written_the_norwegian_way(clean, capsys):
    _append(clean / "data" / HAUG / "regnskap.csv", "20.04.2016;2016;Prosjektkostnader;Konferanse;-2 400,00;hv-fond;")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 Beløp: negative amount -2 400,00 not marked as credit "
        "(set Kreditnota = ja)"])


def test_a_milestone_number_too_large_is_not_said_in_kroner(clean, capsys):
    _append(clean / "data" / HAUG / "milepaeler.csv", "99999999999999999;ferdig;01.10.2015;")
    code, errors = _validate(clean, capsys)
    assert (code, errors) == (1, [
        f"ERROR   config/data/{HAUG}/milepaeler.csv:9 Milepæl: '99999999999999999' is implausibly large "
        "(over 1 000 000 000 000; the ceiling is max_amount in config/grantflow.yaml)"])


def test_a_date_that_is_no_text_is_still_said_plainly():
    """The Excel-display check reads text only: a number where a date belongs (YAML '2', a
    workbook's number) crashed validate with an internal error (AttributeError) on the way."""
    from grantflow.numbers import DateError, read_date

    with pytest.raises(DateError, match=r"^cannot read 2 as a date \(write dd.mm.åååå or åååå-mm-dd\)$"):
        read_date(2)


# --- 2. a ledger that belongs to another project ----------------------------------------------

HAUG_SUM = "1 088 260,50"          # the 18 rows of the Haugaland demo ledger


def _label_rows(config, label) -> None:
    """Give the Haugaland ledger a Prosjekt column: ``label(row number)`` for each row."""
    path = config / "data" / HAUG / "regnskap.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ";Prosjekt"] + [f"{line};{label(n)}" for n, line in enumerate(lines[1:], 2)])
                    + "\n", encoding="utf-8")


def test_a_ledger_whose_every_row_names_another_project_is_one_line(clean, tmp_path, capsys):
    """Kongsberg's export pointed at from Haugaland was 18 lines, each ending 'write
    haugaland-velferdsteknologi': an invitation to relabel another project's costs."""
    _label_rows(clean, lambda n: "kongsbergregionen-erp")
    said = (f"config/data/{HAUG}/regnskap.csv:2 Prosjekt: every row names project 'kongsbergregionen-erp' (18 rows, "
            f"sum {HAUG_SUM} kr): this looks like kongsbergregionen-erp's ledger; point data.ledger at this project's "
            "own export")
    assert _validate(clean, capsys) == (1, [f"ERROR   {said}"])
    assert _render(clean, tmp_path, capsys, "status", HAUG, "--as-of", "2016-10-07") == (
        1, ["error: " + said.replace(":2 Prosjekt", ":2: Prosjekt")])


def test_a_ledger_naming_this_projects_id_while_ledger_code_says_another(clean, capsys):
    """data.ledger_code '4711' and every row naming haugaland-velferdsteknologi: the line said "this
    looks like haugaland-velferdsteknologi's ledger; point data.ledger at this project's own export",
    which it is (found by a reviewer)."""
    replace_in(clean / f"projects/{HAUG}.yaml", f"  ledger: data/{HAUG}/regnskap.csv\n",
               f"  ledger: data/{HAUG}/regnskap.csv\n  ledger_code: '4711'\n")
    _label_rows(clean, lambda n: HAUG)
    code, lines = _validate(clean, capsys)
    assert code == 1 and lines == [
        f"ERROR   config/data/{HAUG}/regnskap.csv:2 Prosjekt: every row names project '{HAUG}' (18 rows, sum {HAUG_SUM} "
        f"kr): that is this project's id, but its data.ledger_code is '4711': remove data.ledger_code, or set it to "
        "the code the rows use"], lines


def test_a_ledger_whose_rows_nearly_all_name_an_unknown_code_offers_ledger_code(clean, capsys):
    """A code no project has may be this project's number in the accounts (data.ledger_code) or
    another activity's: both are said, neither is chosen."""
    _label_rows(clean, lambda n: "haugaland-velferdsteknologi" if n == 2 else "P-4711")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:3 Prosjekt: 17 of 18 rows name project 'P-4711' (sum 1 025 760,50 "
        "kr): no project of the register has that code: if 'P-4711' is this project's code in the accounts, set "
        "data.ledger_code: P-4711 (now 'haugaland-velferdsteknologi'); if not, this is another project's ledger: "
        "point data.ledger at this project's own export"])


def test_a_few_rows_naming_another_project_are_still_said_row_by_row(clean, capsys):
    _label_rows(clean, lambda n: "kongsbergregionen-erp" if n in (5, 6) else "haugaland-velferdsteknologi")
    code, errors = _validate(clean, capsys)
    assert code == 1 and [e.split(" Prosjekt: ")[0] for e in errors] == [
        f"ERROR   config/data/{HAUG}/regnskap.csv:5", f"ERROR   config/data/{HAUG}/regnskap.csv:6"]
    assert errors[0].endswith("so the row would count for no project; write haugaland-velferdsteknologi")


@pytest.mark.parametrize("row, field", [
    ("30.11.2015;2015;#N/A;Lønn;2 400,00;hv-fond;", "Kategori"),
    ("30.11.2015;2015;Prosjektkostnader;Lønn;2 400,00;#I/T;", "Finansieringskilde"),
])
def test_an_excel_error_in_a_ledger_text_column_is_said_as_such(clean, capsys, row, field):
    """A lookup formula that failed ('#N/A' in Kategori) was 'unknown budget category '#N/A' (known: …)'."""
    _append(clean / "data" / HAUG / "regnskap.csv", row)
    written = "#N/A" if field == "Kategori" else "#I/T"
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 {field}: {EXCEL_ERROR.format(repr(written))}"])


def test_an_excel_error_in_the_hours_municipality_is_said_as_such(clean, capsys):
    _append(clean / "data" / HAUG / "timer.csv", "15.10.2015;#N/A;3;Arbeidsgruppe")
    assert _validate(clean, capsys) == (1, [f"ERROR   config/data/{HAUG}/timer.csv:12 Kommune: "
                                            f"{EXCEL_ERROR.format(repr('#N/A'))}"])


def test_an_excel_error_in_a_milestone_status_is_said_as_such(clean, capsys):
    """A lookup formula that failed in the Status column was "unknown status '#N/A' (use: …)"."""
    _edit_first_row(clean / "data" / HAUG / "milepaeler.csv", lambda row: "1;#N/A;;Oppstartsmøte med alle ti kommuner")
    assert _validate(clean, capsys) == (1, [f"ERROR   config/data/{HAUG}/milepaeler.csv:2 Status: "
                                            f"{EXCEL_ERROR.format(repr('#N/A'))}"])


@pytest.mark.parametrize("written", ["NOK 1 200", "kr 7", "7,-", "7 kr"])
def test_money_in_the_hours_column_is_refused(clean, capsys, written):
    """A pasted amount 'NOK 1 200' was read as 1 200 hours of own effort without a word."""
    _append(clean / "data" / HAUG / "timer.csv", f"15.10.2015;Karmøy;{written};Arbeidsgruppe")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/timer.csv:12 Timer: '{written}' is written as money (kr, NOK or ,-), but "
        "the column holds hours; write the number alone"])


def test_money_as_a_milestone_number_is_refused(clean, capsys):
    """'kr 6' was read as milestone 6."""
    _edit_first_row(clean / "data" / HAUG / "milepaeler.csv", lambda row: "kr 1" + row[1:])
    code, errors = _validate(clean, capsys)
    assert code == 1 and errors[0] == (
        f"ERROR   config/data/{HAUG}/milepaeler.csv:2 Milepæl: 'kr 1' is written as money (kr, NOK or ,-), but the "
        "column holds a count or number, not kroner; write the number alone"), errors


C1 = "the control character U+009B, which no document can hold"


@pytest.mark.parametrize("reader", ["split", "pandas", "arrow"])
def test_a_c1_control_character_in_a_ledger_text_is_refused(clean, capsys, monkeypatch, reader):
    """U+0085 and U+009B (C1 controls, pasted from a terminal or an old system) passed every check
    and printed as boxes in the reports; the C0 controls were refused."""
    from grantflow import data

    monkeypatch.setattr(data, "CSV_READER", reader)
    _append(clean / "data" / HAUG / "regnskap.csv", "30.11.2015;2015;Prosjektkostnader;Lønn\x9b31m;2 400,00;hv-fond;")
    code, errors = _validate(clean, capsys)
    assert code == 1 and errors == [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 Beskrivelse: 'Lønn\\x9b31m' contains {C1}"], errors


def test_a_c1_control_character_in_a_milestone_comment_and_a_note_is_refused(clean, capsys):
    _edit_first_row(clean / "data" / HAUG / "milepaeler.csv", lambda row: row + " \x9b31m")
    notes = clean / "data" / HAUG / "notater.yaml"
    text = notes.read_text(encoding="utf-8")
    old = "summary: Arbeidsgruppene er etablert"
    assert old in text
    notes.write_text(text.replace(old, 'summary: "Arbeidsgruppene\\x85er etablert', 1).replace(
        "felles responssenter er startet.", 'felles responssenter er startet."', 1), encoding="utf-8")
    code, errors = _validate(clean, capsys)
    assert code == 1 and len(errors) == 2, errors
    assert errors[0].startswith(f"ERROR   config/data/{HAUG}/milepaeler.csv:2 Kommentar: ") and errors[0].endswith(C1)
    assert errors[1].startswith(f"ERROR   config/data/{HAUG}/notater.yaml:4 status[0].summary: ") and \
        "control character U+0085" in errors[1], errors


@pytest.mark.parametrize("reader", ["split", "arrow"])
def test_digits_from_another_script_are_refused(clean, capsys, monkeypatch, reader):
    """'۵0' (an Arabic-Indic five) was read as 50 kr and '１２' (fullwidth) as 12 hours: Python's
    number parsing takes any script's digits; a value nobody can check against the print is refused."""
    from grantflow import data

    monkeypatch.setattr(data, "CSV_READER", reader)
    _append(clean / "data" / HAUG / "regnskap.csv", "30.11.2015;2015;Prosjektkostnader;Lønn;۵0;hv-fond;")
    _append(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmøy;１２;Arbeidsgruppe")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 Beløp: '۵0' has the digit '۵' (EXTENDED ARABIC-INDIC DIGIT "
        "FIVE) from another script; type the number with the digits 0-9",
        f"ERROR   config/data/{HAUG}/timer.csv:12 Timer: '１２' has the digit '１' (FULLWIDTH DIGIT ONE) from another "
        "script; type the number with the digits 0-9"])


def test_a_date_with_an_impossible_time_is_refused(clean, capsys):
    """'30.09.2016 99:99' was read as 30.09.2016; a time after the date must be a time of day."""
    _append(clean / "data" / HAUG / "regnskap.csv", "30.11.2015 99:99;2015;Prosjektkostnader;Lønn;2 400,00;hv-fond;",
            "30.11.2015 23:59;2015;Prosjektkostnader;Lønn;2 400,00;hv-fond;")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/regnskap.csv:20 Dato: cannot read '30.11.2015 99:99' as a date "
        "(write dd.mm.åååå or åååå-mm-dd)"])


def test_thousands_of_unknown_columns_are_one_line(clean, capsys):
    """An export with every field of the accounting system (6 000 columns) printed 6 000 warnings."""
    path = clean / "data" / HAUG / "regnskap.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [f"Felt{i}" for i in range(6000)]
    path.write_text("\n".join([lines[0] + ";" + ";".join(extra)] + [line + ";" * 6000 for line in lines[1:]]) + "\n",
                    encoding="utf-8")
    main(["--config", str(clean), "validate"])
    out = capsys.readouterr().out
    mine = [line for line in out.splitlines() if "regnskap.csv" in line and HAUG in line and "ledger's last row" not in line]
    assert len(mine) == 1, mine[:3]
    assert mine[0].startswith(f"WARNING {clean}/data/{HAUG}/regnskap.csv:1 columns: 6 000 unknown columns, ignored: "
                              "'Felt0', 'Felt1',") and "and 5 990 more (expected: Dato, År," in mine[0], mine[0]


def test_hours_past_the_ceiling_are_said_in_hours(clean, capsys):
    """'… is implausibly large (over 1 000 000 000 000 timer; …)': a Norwegian word in an English line."""
    _append(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmøy;99999999999999999999;Arbeidsgruppe")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{HAUG}/timer.csv:12 Timer: '99999999999999999999' is implausibly large "
        "(over 1 000 000 000 000 hours; the ceiling is max_amount in config/grantflow.yaml)"])


def test_a_category_written_in_decomposed_unicode_says_so(clean, capsys):
    """'Reise på Vågå' with 'å' as 'a' and a combining ring (as some Mac programs write it) looks
    exactly like the budget's and was 'unknown budget category … (known: …)'."""
    import unicodedata

    for name in (f"projects/{NGD}.yaml", f"data/{NGD}/regnskap.csv"):
        replace_in(clean / name, "Prosjektleder og prosessadministrasjon", "Prosjektleder på Vågå", -1)
    assert main(["validate", "--config", str(clean)]) == 0
    capsys.readouterr()
    written = unicodedata.normalize("NFD", "Prosjektleder på Vågå")
    _append(clean / "data" / NGD / "regnskap.csv", f"06.12.2019;2019;{written};Kurs;2 000;helsedir;")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{NGD}/regnskap.csv:10 Kategori: unknown budget category {written!r}: it differs from "
        "the budget category 'Prosjektleder på Vågå' only in how a letter is encoded: the file writes 'å' as a "
        "letter and a combining mark (decomposed Unicode), the budget as one character; retype it"])
