"""A ledger row whose amount alone is more than the project's whole cost budget (outside tester,
session 21): a row of 999 999 999 999,99 kr in a 640 000 kr project passed `validate` with
"0 error(s)", and the final report billed the municipalities for a trillion kroner in
"Merforbruket". Now it is an error naming the file, row and field (Beløp) with the amount and the
budget; a large row within the budget stays valid."""

from __future__ import annotations

from grantflow.cli import main

HAUG = "haugaland-velferdsteknologi"
NBSP = "\u00a0"
# the demo plan's costs (config/projects/haugaland-velferdsteknologi.yaml, budget.costs):
# 1 211 321 (2015) + 1 123 094 (2016) = 2 334 415 kr, added up here by hand
WHOLE_BUDGET = f"2{NBSP}334{NBSP}415{NBSP}kr"


def _append(config, amount: str) -> int:
    """Append one ledger row of ``amount`` (as written in the CSV); its row number (header = 1)."""
    ledger = config / "data" / HAUG / "regnskap.csv"
    rows = len(ledger.read_text(encoding="utf-8").splitlines())
    with ledger.open("a", encoding="utf-8") as out:
        out.write(f"15.02.2016;2016;Prosjektkostnader;Stor faktura;{amount};hv-fond;\n")
    return rows + 1


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.replace(f"{config}/", "config/").splitlines()


def test_a_row_beyond_the_whole_cost_budget_is_an_error_naming_row_amount_and_budget(clean, capsys):
    row = _append(clean, "999 999 999 999,99")
    code, lines = _validate(clean, capsys)
    assert code == 1
    (line,) = [l for l in lines if l.startswith(f"ERROR   config/data/{HAUG}/regnskap.csv:{row} Beløp:")]
    assert f"999{NBSP}999{NBSP}999{NBSP}999,99{NBSP}kr" in line and WHOLE_BUDGET in line, line
    assert len([l for l in lines if l.startswith("ERROR")]) == 1, lines


def test_a_credit_note_beyond_the_whole_cost_budget_is_an_error_too(clean, capsys):
    ledger = clean / "data" / HAUG / "regnskap.csv"
    rows = len(ledger.read_text(encoding="utf-8").splitlines())
    with ledger.open("a", encoding="utf-8") as out:
        out.write("15.02.2016;2016;Prosjektkostnader;Kreditnota;-25 000 000,00;hv-fond;ja\n")
    code, lines = _validate(clean, capsys)
    assert code == 1
    assert [l for l in lines if l.startswith(f"ERROR   config/data/{HAUG}/regnskap.csv:{rows + 1} Beløp:")
            and f"25{NBSP}000{NBSP}000{NBSP}kr" in l and WHOLE_BUDGET in l], lines


def test_a_row_as_large_as_the_whole_budget_is_no_error(clean, capsys):
    # large, but not more than the project costs in all: a big project's big invoice stays valid
    row = _append(clean, "2 334 415,00")
    code, lines = _validate(clean, capsys)
    assert code == 0, lines
    assert not [l for l in lines if f"regnskap.csv:{row} Beløp" in l], lines
