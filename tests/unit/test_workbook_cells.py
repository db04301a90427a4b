"""A returned workbook's figures are read as Excel shows them to the project leader, or refused; and
a figure typed as text means what the same text means in a data file and in the project's YAML.

Left open in session 23 (the project leader's workbook, `grantflow import`/the inbox):
- a cell holding 1 211 321,40 under the number format '#,##0' that the workbook gave it shows
  "1 211 321" in Excel, and grantflow counted 1 211 321,40 without a word;
- '200.000' typed as text in Budsjett was refused as "350 or 350 000?", while `200.000` in the
  project's YAML (and in a ledger) is 200 000 kr; in a budget kept in 1000 kr both refuse it, with
  different messages;
- 'kr 350 000,-' in a budget kept in 1000 kr was read as 350 000 thousand kroner (350 million), in
  the workbook and in YAML alike, though the text says kroner and the sheet says "i 1 000 kr".
Each test was seen failing on the code before the change.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from grantflow.cli import main
from grantflow.register import open_register
from tests.conftest import replace_in
from tests.docx_text import find_table
from tests.unit._workbook import HAUG, NG, file_bytes, refusals, refused, run_import, run_inbox, workbook_file

HAUG_AS_OF = date(2016, 10, 7)        # Haugaland's budget is in kroner (unit 1): 2015 in column B, 2016 in C
NG_AS_OF = date(2020, 6, 1)           # Nord-Gudbrandsdal's is in 1000 kr (unit 1000): 2019 in column B
NBSP = "\u00a0"


def _haug(config: Path, path: Path, edit) -> Path:
    return workbook_file(config, path, edit, project=HAUG, as_of=HAUG_AS_OF)


def _ng(config: Path, path: Path, edit) -> Path:
    return workbook_file(config, path, edit, project=NG, as_of=NG_AS_OF)


def _validate_errors(config: Path, capsys) -> list[str]:
    """`grantflow validate` on ``config``: its error lines."""
    main(["validate", "--config", str(config)])
    out = capsys.readouterr()
    return [line for line in (out.out + out.err).splitlines() if "ERROR" in line]


# --- 1. a figure the cell's number format rounds away -------------------------------------------


def test_an_amount_whose_number_format_hides_its_ore_is_refused(scratch_config, tmp_path, capsys):
    """1211321,4 typed over 1 211 321 in Budsjett and 412000,4 over the municipalities' 412 000 in
    Finansiering (each cell keeps the workbook's format '#,##0', as Excel keeps it): the leader sees
    1 211 321 and 412 000, grantflow counted 1 211 321,40 and 412 000,40."""
    def edit(wb):
        cost, share = wb["Budsjett"]["B2"], wb["Finansiering"]["D4"]
        assert (cost.value, share.value) == (1211321, 412000)                # as the workbook was made
        assert cost.number_format == share.number_format == "#,##0"
        cost.value, share.value = 1211321.4, 412000.4
    path = _haug(scratch_config, tmp_path / "svar.xlsx", edit)
    lines = refusals(scratch_config, path, capsys, count=2)
    assert lines[0].endswith("svar.xlsx:Budsjett:2 2015: cell B2 shows 1 211 321 but holds 1 211 321,40 (its "
                             "number format '#,##0' hides the decimals); write the amount as you mean it: type "
                             "1211321, or give the cell a number format that shows the decimals, e.g. # ##0,00"), lines
    assert lines[1].endswith("svar.xlsx:Finansiering:4 2015: cell D4 shows 412 000 but holds 412 000,40 (its "
                             "number format '#,##0' hides the decimals); write the amount as you mean it: type "
                             "412000, or give the cell a number format that shows the decimals, e.g. # ##0,00"), lines


def test_a_figure_hidden_by_its_format_is_refused_through_the_inbox(scratch_config, capsys):
    """The same in a budget kept in 1000 kr, left in the inbox by the leader: 800,125 thousand under
    '#,##0' shows 800; and a score of 2,5 shows 3 (a whole number is asked for, but the leader saw
    one). Nothing is written, and the line names each cell."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()

    def edit(wb):
        wb["Budsjett"]["B2"] = 800.125
        wb["Risiko"]["B2"] = 2.5
    _ng(scratch_config, inbox / "svar.xlsx", edit)
    before = {k: v for k, v in file_bytes(scratch_config).items() if not k.startswith("inbox")}
    code, text = run_inbox(scratch_config, capsys)
    assert code == 1, text
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR")]
    assert any(line.endswith("svar.xlsx:Budsjett:2 2019: cell B2 shows 800 but holds 800,125 (its number format "
                             "'#,##0' hides the decimals); write the amount as you mean it: type 800, or give the "
                             "cell a number format that shows the decimals, e.g. # ##0,000") for line in lines), text
    assert any(line.endswith("svar.xlsx:Risiko:2 Sannsynlighet (S): cell B2 shows 3 but holds 2,5 (its number "
                             "format '#,##0' hides the decimals); write the number as you mean it: type 3, or give "
                             "the cell a number format that shows the decimals, e.g. # ##0,0") for line in lines), text
    after = {k: v for k, v in file_bytes(scratch_config).items() if not k.startswith("inbox")}
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= {f"data/{NG}/innlesinger.csv"}, changed       # at most the refusal's record


def test_a_format_that_shows_another_figure_or_none_is_refused(scratch_config, tmp_path, capsys):
    """A budget pasted with the leader's own formats: '#,##0,' (Norwegian Excel's '# ##0 ', "in
    thousands") shows 1 211 321 as 1 211 and ';;;' shows 412 000 as an empty cell. A ledger in
    .xlsx was refused for both; the workbook counted 1 211 321 and 412 000 without a word."""
    def edit(wb):
        wb["Budsjett"]["B2"].number_format = "#,##0,"
        wb["Finansiering"]["D4"].number_format = ";;;"
    lines = refusals(scratch_config, _haug(scratch_config, tmp_path / "svar.xlsx", edit), capsys, count=2)
    assert lines[0].endswith("svar.xlsx:Budsjett:2 2015: cell B2 shows 1 211 but holds 1 211 321 (its number "
                             "format '#,##0,' divides it by 1 000 on screen); write the amount as you mean it in a "
                             "cell whose number format shows it, e.g. # ##0"), lines
    assert lines[1].endswith("svar.xlsx:Finansiering:4 2015: cell D4 shows nothing but holds 412 000 (its number "
                             "format ';;;' shows no digits of it); write the amount as you mean it in a cell whose "
                             "number format shows it, e.g. # ##0, or empty the cell"), lines


def test_an_amount_shown_with_its_ore_is_taken_as_shown(scratch_config, tmp_path, capsys):
    """The same 1 211 321,40 in a cell whose format shows the øre, and 1 250,40 typed into a spare row
    (General shows every digit), are what the leader sees: imported, to the øre."""
    def edit(wb):
        for sheet, ref, value in (("Budsjett", "B2", 1211321.4), ("Finansiering", "D4", 412000.4)):
            wb[sheet][ref] = value
            wb[sheet][ref].number_format = "#,##0.00"
        wb["Budsjett"]["A3"], wb["Budsjett"]["C3"] = "Ekstra", 1250.4
        fin = wb["Finansiering"]
        fin["A5"], fin["B5"], fin["E5"], fin["G5"] = "Ekstra kilde", "fond", 1250.4, "nei"
    code, errors, text = run_import(scratch_config, _haug(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert code == 0, text
    costs = open_register(scratch_config).project(HAUG).budget.costs
    assert costs[0].amounts[2015] == Decimal("1211321.40") and costs[1].amounts[2016] == Decimal("1250.40")
    assert open_register(scratch_config).project(HAUG).budget.financing[2].amounts[2015] == Decimal("412000.40")


def test_a_workbook_shows_every_decimal_the_register_holds(scratch_config, tmp_path, capsys):
    """A budget in 1000 kr holding 800,125 was written under '#,##0.00': the leader saw 800,13 (and
    would now be refused for a cell left as it was made). The cell shows 800,125; returned
    untouched, the workbook imports."""
    replace_in(scratch_config / "projects" / f"{NG}.yaml", "amounts: {2019: 800, 2020: 800}",
               "amounts: {2019: 800.1250, 2020: 800}")
    path = _ng(scratch_config, tmp_path / "svar.xlsx", None)
    cell = openpyxl.load_workbook(path)["Budsjett"]["B2"]
    assert cell.value == 800.125 and cell.number_format == "#,##0.000", (cell.value, cell.number_format)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0, text


# --- 2. '200.000' means in a workbook what it means in YAML and in a data file -----------------------


def _extra_2016(amount):
    """A cost line 'Ekstra' and a fund 'Ekstra kilde' of ``amount`` each for 2016 (balanced)."""
    def edit(wb):
        wb["Budsjett"]["A3"], wb["Budsjett"]["C3"] = "Ekstra", amount
        fin = wb["Finansiering"]
        fin["A5"], fin["B5"], fin["E5"], fin["G5"] = "Ekstra kilde", "fond", amount, "nei"
    return edit


def test_a_point_grouping_thousands_in_kroner_is_read_as_in_yaml(scratch_config, tmp_path, capsys):
    """'200.000' typed as text in a budget in kroner was refused ("200 or 200 000?"), while the
    project's YAML reads `200.000` as 200 000 kr. Now 200 000 kr in both, and the application shows
    it."""
    code, errors, text = run_import(scratch_config, _haug(scratch_config, tmp_path / "svar.xlsx",
                                                          _extra_2016("200.000")), capsys)
    assert code == 0, text
    extra = open_register(scratch_config).project(HAUG).budget.costs[1]
    assert (extra.category, extra.amounts) == ("Ekstra", {2016: Decimal(200000)})
    assert main(["--config", str(scratch_config), "render", "application", HAUG, "--year", "2016",
                 "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    doc = next((tmp_path / "out").rglob("application-2016.docx"))
    budget = find_table(doc, "Kategori", "Ekstra")
    assert any(row[0] == "Ekstra" and f"200{NBSP}000" in row for row in budget), budget
    # the same text in the YAML: the same figure
    yaml_config = tmp_path / "yaml" / "config"
    shutil.copytree(scratch_config, yaml_config)
    replace_in(yaml_config / "projects" / f"{HAUG}.yaml", "2016: 200000", "2016: 200.000")
    assert open_register(yaml_config).project(HAUG).budget.costs[1].amounts[2016] == Decimal(200000)


def test_a_point_before_three_digits_in_1000_kr_is_refused_as_in_yaml(scratch_config, tmp_path, capsys):
    """In a budget in 1000 kr '800.500' is 800 500 or 800,5 thousand: the workbook said "ambiguous
    number … type 800500 or 800,5 as a number", the YAML "ambiguous number of thousand kroner …";
    now the workbook says what the YAML says (the decimal spelt as each is typed: 800,5 in a cell,
    800.5 in YAML, where a comma inside {…} splits the number)."""
    same = ("ambiguous number of thousand kroner '800.500': 800 500 (point as thousands separator) or 800,5 "
            "(decimal point); write 800500 or 800")
    error = refused(scratch_config, _ng(scratch_config, tmp_path / "svar.xlsx",
                                        lambda wb: wb["Budsjett"].__setitem__("B2", "800.500")), capsys)
    assert error.endswith(f"svar.xlsx:Budsjett:2 2019: cannot read '800.500': {same},5"), error
    replace_in(scratch_config / "projects" / f"{NG}.yaml", "amounts: {2019: 800, 2020: 800}",
               "amounts: {2019: 800.500, 2020: 800}")
    yaml_errors = _validate_errors(scratch_config, capsys)
    assert any(line.endswith(f"budget.costs[0].amounts[2019]: {same}.5") for line in yaml_errors), yaml_errors


# --- 3. 'kr' where the sheet says the unit --------------------------------------------------------


def test_kroner_marks_in_a_kroner_budget_are_read_as_in_yaml_and_data_files(scratch_config, tmp_path, capsys):
    """'kr 350 000,-' in a budget in kroner is 350 000 kr, as in a ledger and in YAML (README,
    Numbers): the mark says what the sheet says."""
    code, errors, text = run_import(scratch_config, _haug(scratch_config, tmp_path / "svar.xlsx",
                                                          _extra_2016("kr 350 000,-")), capsys)
    assert code == 0, text
    extra = open_register(scratch_config).project(HAUG).budget.costs[1]
    assert (extra.category, extra.amounts) == ("Ekstra", {2016: Decimal(350000)})


def test_kroner_in_a_budget_kept_in_1000_kr_is_refused_in_the_workbook_and_in_yaml(scratch_config, tmp_path,
                                                                                    capsys):
    """'kr 350 000,-' in Nord-Gudbrandsdal's Budsjett ("Beløpene er i 1 000 kr") was read as 350 000
    thousand kroner: costs of 350 million, one "financing vs costs" line far from the cell. The text
    says kroner, the sheet thousands: refused, the workbook and the YAML alike."""
    said = ("'kr 350 000,-' is written in kroner (kr, NOK or ,-), but the budget's amounts are in 1000 kr "
            "(budget.unit); write the number of thousands alone: 350 for 350 000 kr")
    error = refused(scratch_config, _ng(scratch_config, tmp_path / "svar.xlsx",
                                        lambda wb: wb["Budsjett"].__setitem__("B2", "kr 350 000,-")), capsys)
    assert error.endswith(f"svar.xlsx:Budsjett:2 2019: cannot read 'kr 350 000,-': {said}"), error
    replace_in(scratch_config / "projects" / f"{NG}.yaml", "amounts: {2019: 800, 2020: 800}",
               "amounts: {2019: 'kr 350 000,-', 2020: 800}")
    yaml_errors = _validate_errors(scratch_config, capsys)
    assert any(line.endswith(f"budget.costs[0].amounts[2019]: {said}") for line in yaml_errors), yaml_errors
