"""A total row in a plan: a workbook's Budsjett or Finansiering (or any other table sheet whose
amounts are summed) and a project YAML written by hand. An outside tester (session 23) pasted her
budget with its 'Sum' row (=SUM(B2:B4)) into a blank workbook: `new-project` and `import` took it as
one more cost category and financing line, 0 errors; the application said costs and financing
were 3 500 000 kr (real 1 750 000), and with Type 'kommunene' `allocate` split the total again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.intake import make_blank
from grantflow.register import open_register
from tests.conftest import replace_in
from tests.unit._workbook import HAUG, file_bytes, patch_cell, refusals, run_import, workbook_file
from tests.unit.test_workbook import _column, _fill_new_project

HAUG_AS_OF = date(2016, 10, 7)
TOTAL_ROW = ("adds up other cells of its own column, so row {row} is a subtotal or total row, not a value of "
             "its own: grantflow adds up the rows itself, so it would be counted twice; delete the row")


def _cached(path: Path, sheet: str, formulas: dict[str, tuple[str, int]]) -> None:
    """Each cell of ``formulas`` (ref -> (formula, value)) holding the formula and the value Excel or
    LibreOffice computed and saved beside it (openpyxl saves a formula without one)."""
    for ref, (formula, value) in formulas.items():
        patch_cell(path, sheet, ref, f'<c r="{ref}"><f>{formula[1:]}</f><v>{value}</v></c>')


def _new_project_workbook(config: Path, path: Path, totals: bool, budget_word: str = "Sum",
                          financing_word: str = "Sum", formulas: bool = True) -> Path:
    """A blank workbook filled in for a new project: three cost lines for 2016 (500 000 + 60 000 +
    40 000 = 600 000 kr) and two financing lines (the municipalities 500 000, a fund 100 000), and
    with ``totals`` the leader's own total rows below them, Type 'kommunene' on the financing one."""
    path.write_bytes(make_blank(open_register(config), "haugaland-vekst"))
    wb = openpyxl.load_workbook(path)
    _fill_new_project(wb)                       # Budsjett row 2 Prosjektleder, Finansiering row 2 Kommunene
    budget, financing = wb["Budsjett"], wb["Finansiering"]
    year = _column(budget, "2016")
    budget.cell(3, 1).value, budget.cell(3, year).value = "Reise", 60000
    budget.cell(4, 1).value, budget.cell(4, year).value = "Kurs", 40000
    kind, fin_year = _column(financing, "Type"), _column(financing, "2016")
    financing.cell(2, kind).value = "kommunene"
    financing.cell(3, 1).value, financing.cell(3, kind).value = "Regionrådets fond", "fond"
    financing.cell(3, fin_year).value = 100000
    letter, fin_letter = budget.cell(1, year).column_letter, financing.cell(1, fin_year).column_letter
    if totals:
        budget.cell(5, 1).value = budget_word
        budget.cell(5, year).value = f"=SUM({letter}2:{letter}4)" if formulas else 600000
        financing.cell(4, 1).value, financing.cell(4, kind).value = financing_word, "kommunene"
        financing.cell(4, fin_year).value = f"=SUM({fin_letter}2:{fin_letter}3)" if formulas else 600000
    wb.save(path)
    if totals and formulas:
        _cached(path, "Budsjett", {f"{letter}5": (f"=SUM({letter}2:{letter}4)", 600000)})
        _cached(path, "Finansiering", {f"{fin_letter}4": (f"=SUM({fin_letter}2:{fin_letter}3)", 600000)})
    return path


def _new_project(config: Path, path: Path, capsys) -> tuple[int, list[str], str]:
    code = main(["--config", str(config), "new-project", str(path)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text, text
    return code, [line for line in text.splitlines() if line.startswith(("ERROR", "error:"))], text


def test_total_rows_in_a_new_projects_plan_are_refused(scratch_config, tmp_path, capsys):
    """Budsjett row 5 'Sum' =SUM(B2:B4) and Finansiering row 4 'Sum' (kommunene) =SUM(D2:D3), with
    the values a spreadsheet saves: new-project wrote them as a category and a funding line (the
    plan 1 200 000 kr, not 600 000), exit 0. Now one line per row and no project file."""
    path = _new_project_workbook(scratch_config, tmp_path / "ny.xlsx", totals=True)
    before = file_bytes(scratch_config)
    code, errors, text = _new_project(scratch_config, path, capsys)
    assert code == 1, text
    assert [line.split(None, 1)[1] for line in errors] == [
        f"{path}:Budsjett:5 B5: the formula '=SUM(B2:B4)' " + TOTAL_ROW.format(row=5),
        f"{path}:Finansiering:4 D4: the formula '=SUM(D2:D3)' " + TOTAL_ROW.format(row=4)], text
    assert file_bytes(scratch_config) == before
    assert not (scratch_config / "projects/felles-innkjop.yaml").exists()


def test_the_same_plan_without_its_total_rows_is_a_new_project(scratch_config, tmp_path, capsys):
    path = _new_project_workbook(scratch_config, tmp_path / "ny.xlsx", totals=False)
    code, errors, text = _new_project(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    budget = open_register(scratch_config).project("felles-innkjop").budget
    assert [(c.category, c.amounts) for c in budget.costs] == [
        ("Prosjektleder", {2016: Decimal(500000)}), ("Reise", {2016: Decimal(60000)}),
        ("Kurs", {2016: Decimal(40000)})]
    assert [(f.source, f.kind, f.amounts) for f in budget.financing] == [
        ("Kommunene", "kommunene", {2016: Decimal(500000)}), ("Regionrådets fond", "fond", {2016: Decimal(100000)})]


@pytest.mark.parametrize("budget_word,financing_word", [
    ("Sum", "Sum"), ("Totalt", "I alt"), ("Sum 2016", "Sum finansiering"), ("SUM KOSTNADER", "Totalt:")])
def test_total_rows_pasted_as_values_are_refused_by_their_words(scratch_config, tmp_path, capsys, budget_word,
                                                                financing_word):
    """The same total rows pasted as values (600 000, no formula): read as a category and a
    municipal funding line, exit 0."""
    path = _new_project_workbook(scratch_config, tmp_path / "ny.xlsx", totals=True, budget_word=budget_word,
                                 financing_word=financing_word, formulas=False)
    before = file_bytes(scratch_config)
    code, errors, text = _new_project(scratch_config, path, capsys)
    assert code == 1, text
    assert [line.split(None, 1)[1] for line in errors] == [
        f"{path}:Budsjett:5 Kategori: {budget_word!r} looks like a total row, not a cost category: grantflow adds "
        "up the budget itself, so its amounts would be counted twice; delete it (a real category should be named "
        "otherwise)",
        f"{path}:Finansiering:4 Kilde: {financing_word!r} looks like a total row, not a source of financing: "
        "grantflow adds up the financing plan itself, so its amounts would be counted twice; delete it (a real "
        "source should be named otherwise)"], text
    assert file_bytes(scratch_config) == before


def _haug_total_rows(wb) -> None:
    """Haugaland's returned workbook with a Sum row under each plan: Budsjett row 3 (=SUM(B2) …,
    as AutoSum writes it over one line) and Finansiering row 5 (=SUM(D2:D4) …), balanced as the
    tester's were."""
    budget, financing = wb["Budsjett"], wb["Finansiering"]
    budget["A3"], budget["B3"], budget["C3"] = "Sum", "=SUM(B2)", "=SUM(C2)"
    financing["A5"], financing["B5"], financing["D5"], financing["E5"] = "Sum", "annet", "=SUM(D2:D4)", "=SUM(E2:E4)"


def test_total_rows_in_a_returned_workbook_are_refused(scratch_config, tmp_path, capsys):
    """A leader's Sum rows added to the returned workbook were imported as a category and a
    financing line ('nothing else changed', exit 0): the status report's budget doubled."""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", _haug_total_rows, project=HAUG, as_of=HAUG_AS_OF)
    _cached(path, "Budsjett", {"B3": ("=SUM(B2)", 1211321), "C3": ("=SUM(C2)", 1123094)})
    _cached(path, "Finansiering", {"D5": ("=SUM(D2:D4)", 1012000), "E5": ("=SUM(E2:E4)", 1323000)})
    errors = refusals(scratch_config, path, capsys, count=2)
    assert [line.split(None, 1)[1] for line in errors] == [
        f"{path}:Budsjett:3 B3: the formula '=SUM(B2)' " + TOTAL_ROW.format(row=3),
        f"{path}:Finansiering:5 D5: the formula '=SUM(D2:D4)' " + TOTAL_ROW.format(row=5)]


def test_a_category_named_sum_is_one_line_and_the_rows_below_it_are_read(scratch_config, tmp_path, capsys):
    """A category 'Sum' (5 000 kr, no formula) above another: it was imported as a category (the
    reading no longer stopped there, session 12); now it is refused by name, one line, and the row
    below it is neither dropped nor said to be below the Sum row."""
    def edit(wb):
        budget = wb["Budsjett"]
        budget["A3"], budget["C3"] = "Sum", 5000
        budget["A4"], budget["C4"] = "Reise", 5000
        financing = wb["Finansiering"]
        financing["A5"], financing["B5"], financing["E5"], financing["G5"] = "Ekstra kilde", "fond", 10000, "nei"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=HAUG_AS_OF)
    (line,) = refusals(scratch_config, path, capsys)
    assert line.split(None, 1)[1] == (
        f"{path}:Budsjett:3 Kategori: 'Sum' looks like a total row, not a cost category: grantflow adds up the "
        "budget itself, so its amounts would be counted twice; delete it (a real category should be named "
        "otherwise)")


def test_a_total_row_in_another_summed_table_is_refused(scratch_config, tmp_path, capsys):
    """Tilsagn (the awards, whose amounts the usage report adds up) with a total row for a funder:
    imported as one more award of 800 000 kr."""
    def edit(wb):
        grants = wb["Tilsagn"]
        grants["A5"], grants["B5"], grants["C5"] = "hv-fond", 2017, "=SUM(C2:C4)"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=HAUG_AS_OF)
    _cached(path, "Tilsagn", {"C5": ("=SUM(C2:C4)", 800000)})
    (line,) = refusals(scratch_config, path, capsys)
    assert line.split(None, 1)[1] == f"{path}:Tilsagn:5 C5: the formula '=SUM(C2:C4)' " + TOTAL_ROW.format(row=5)


def test_a_returned_workbook_with_its_own_sum_rows_still_imports(scratch_config, tmp_path, capsys):
    """The workbook's own Sum rows (grantflow's formulas, computed and saved by a spreadsheet) are
    not the leader's total rows: a new category imports."""
    def edit(wb):
        wb["Budsjett"]["A3"], wb["Budsjett"]["C3"] = "Reise", 10000
        financing = wb["Finansiering"]
        financing["A5"], financing["B5"], financing["E5"], financing["G5"] = "Ekstra kilde", "fond", 10000, "nei"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=HAUG_AS_OF)
    wb = openpyxl.load_workbook(path)
    sums = {ws.title: next(r for r in range(ws.max_row, 1, -1) if ws.cell(r, 1).value == "Sum")
            for ws in (wb["Budsjett"], wb["Finansiering"])}
    _cached(path, "Budsjett", {f"C{sums['Budsjett']}": (wb["Budsjett"][f"C{sums['Budsjett']}"].value, 1133094)})
    _cached(path, "Finansiering",
            {f"E{sums['Finansiering']}": (wb["Finansiering"][f"E{sums['Finansiering']}"].value, 1333000)})
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    costs = open_register(scratch_config).project(HAUG).budget.costs
    assert [(c.category, c.amounts.get(2016)) for c in costs] == [("Prosjektkostnader", Decimal(1123094)),
                                                                  ("Reise", Decimal(10000))]


# --- a project YAML written by hand ----------------------------------------------------------------


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_a_plan_line_named_by_a_total_word_in_the_yaml_is_an_error(clean, capsys):
    """A cost line 'Totalt' and a municipal financing line 'Sum' typed into the project file: validate
    said nothing, and the cost split for 2016 was 2 444 830 kr (1 122 415 + the total 1 322 415), exit 0."""
    scratch_config = clean
    capsys.readouterr()
    project = scratch_config / f"projects/{HAUG}.yaml"
    replace_in(project, "      amounts: {2015: 1211321, 2016: 1123094}\n",
               "      amounts: {2015: 1211321, 2016: 1123094}\n"
               "    - {category: Totalt, amounts: {2015: 1211321, 2016: 1123094}}\n")
    replace_in(project, "amounts: {2015: 412000, 2016: 1122415}}\n",       # as ``clean`` balanced it
               "amounts: {2015: 412000, 2016: 1122415}}\n"
               "    - {source: Sum, kind: kommunene, amounts: {2015: 1012000, 2016: 1322415}}\n")
    cost, source = _line_of(project, "category: Totalt"), _line_of(project, "source: Sum,")
    cost_said = (f"{project}:{cost} budget.costs[1].category: 'Totalt' looks like a total row, not a cost "
                 "category: grantflow adds up the budget itself, so its amounts would be counted twice; delete it "
                 "(a real category should be named otherwise)")
    source_said = (f"{project}:{source} budget.financing[3].source: 'Sum' looks like a total row, not a source of "
                   "financing: grantflow adds up the financing plan itself, so its amounts would be counted twice; "
                   "delete it (a real source should be named otherwise)")
    assert main(["--config", str(scratch_config), "validate"]) == 1
    errors = [line.split(None, 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("ERROR")]
    assert cost_said in errors and source_said in errors, errors
    assert main(["--config", str(scratch_config), "allocate", HAUG, "--year", "2016"]) == 1
    out = capsys.readouterr()
    assert not out.out                          # no split printed
    assert out.err.strip().splitlines() == [
        "error: " + cost_said.replace(f"{cost} budget", f"{cost}: budget", 1) + " (and 1 more; run 'grantflow validate')"]


@pytest.mark.parametrize("category,source", [("Sum Consulting AS", "Honorar, fast sum"),
                                             ("Sum av reiseutgifter", "Overført saldo 2015")])
def test_a_plan_line_that_merely_holds_a_total_word_is_read(scratch_config, category, source):
    """'Sum Consulting AS' and 'Honorar, fast sum' are costs, as in the ledger; a balance carried
    over ('Overført saldo 2015', a total in a ledger's description) is money in a financing plan."""
    project = scratch_config / f"projects/{HAUG}.yaml"
    replace_in(project, "category: Prosjektkostnader", f"category: {category}")
    replace_in(project, "source: HV regionrådets fond", f"source: '{source}'")
    budget = open_register(scratch_config).project(HAUG).budget
    assert budget.costs[0].category == category
    assert budget.financing[0].source == source
