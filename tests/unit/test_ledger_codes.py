"""A ledger's Prosjekt column and its Kreditnota column, as a careless user fills them.

A row whose Prosjekt is mistyped or blank used to vanish: `validate` said nothing and the final
report's Prosjektkostnader was short by the row's amount. Kreditnota read anything but a yes-word
as "no", and `ja` on a positive amount was counted as a cost. Each is now one line naming file,
row and column, exit 1, and the figures of a clean file are those recomputed from it here (csv
module and Decimal, nothing of grantflow's)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import find_table

HAUG, NG = "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"
LEDGER = f"data/{HAUG}/regnskap.csv"
NB = "\u00a0"
TODAY = date(2026, 11, 24)


def run(capsys, config: Path, *args) -> tuple[int, list[str], list[str]]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.splitlines(), [line for line in captured.err.splitlines() if line.strip()]


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def kroner(text: str) -> Decimal:
    return Decimal(text.replace("kr", "").replace(" ", "").replace(NB, "").replace(",", "."))


def project_costs(rows: list[dict], code: str) -> int:
    """Prosjektkostnader in the final accounts: the project's rows of that category until the
    end of its period (20.09.2017), in whole kroner."""
    total = sum((kroner(r["Beløp"]) for r in rows
                 if r.get("Prosjekt", code).casefold() == code and r["Kategori"] == "Prosjektkostnader"
                 and datetime.strptime(r["Dato"], "%d.%m.%Y").date() <= date(2017, 9, 20)), Decimal(0))
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def final_costs(config: Path, out: Path) -> int:
    made = produce(open_register(config), "final", HAUG, out=out, today=TODAY)
    row = next(r for r in find_table(made.docx, "Kategori") if r[0] == "Prosjektkostnader")
    # to the øre where the accounts have øre (1 088 260,50), as the funder table prints them
    return int(Decimal(row[2].replace(NB, "").replace(" ", "").replace(",", ".")).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


def with_codes(config: Path, code_of_row) -> list[dict]:
    rows = rows_of(config / LEDGER)
    for i, row in enumerate(rows):
        row["Prosjekt"] = code_of_row(i)
    write_rows(config / LEDGER, rows)
    return rows


def test_a_projects_own_ledger_with_every_row_coded_gives_the_recomputed_costs(scratch_config, tmp_path, capsys):
    rows = with_codes(scratch_config, lambda i: HAUG.upper() if i == 3 else HAUG)   # case does not matter
    code, out, _ = run(capsys, scratch_config, "validate")
    assert not [line for line in out if "Prosjekt:" in line]
    assert final_costs(scratch_config, tmp_path) == project_costs(rows, HAUG) == 1_088_261


@pytest.mark.parametrize("wrong", ["haugaland-velferdsteknolgi", ""])
def test_a_row_of_a_projects_own_ledger_with_a_wrong_or_blank_code_is_an_error(scratch_config, tmp_path,
                                                                            capsys, wrong):
    """It disappeared: the final report's Prosjektkostnader said 1 025 761 kr for 1 088 261."""
    rows = with_codes(scratch_config, lambda i: wrong if i == 0 else HAUG)
    assert kroner(rows[0]["Beløp"]) == 62_500                   # the row the report lost
    code, out, _ = run(capsys, scratch_config, "validate")
    found = [line for line in out if " Prosjekt:" in line]
    assert code == 1 and len(found) == 1
    assert found[0].startswith("ERROR ") and f"/config/{LEDGER}:2 Prosjekt: Prosjekt is " in found[0]
    assert ("blank" if not wrong else repr(wrong)) in found[0] and f"write {HAUG}" in found[0]
    code, _, err = run(capsys, scratch_config, "render", "final", HAUG, "--out", str(tmp_path))
    assert code == 1 and len(err) == 1 and f"{LEDGER}:2: Prosjekt:" in err[0]
    assert not list(tmp_path.rglob("*.docx"))


def shared(config: Path, extra: list[dict]) -> list[dict]:
    """One file for both demo projects, each row naming its project; both projects read it."""
    rows = [{**r, "Prosjekt": HAUG} for r in rows_of(config / LEDGER)]
    rows += [{**r, "Prosjekt": NG} for r in rows_of(config / f"data/{NG}/regnskap.csv")]
    rows += extra
    write_rows(config / "data/felles/regnskap.csv", rows)
    for pid in (HAUG, NG):
        replace_in(config / "projects" / f"{pid}.yaml", f"ledger: data/{pid}/regnskap.csv",
                   "ledger: data/felles/regnskap.csv")
    return rows


def test_a_shared_ledger_gives_each_project_its_recomputed_costs(scratch_config, tmp_path, capsys):
    rows = shared(scratch_config, [])
    code, out, _ = run(capsys, scratch_config, "validate")
    assert not [line for line in out if "Prosjekt:" in line]
    assert final_costs(scratch_config, tmp_path) == project_costs(rows, HAUG) == 1_088_261


@pytest.mark.parametrize("wrong", ["haugaland-velferdsteknolgi", ""])
def test_a_code_of_no_sharing_project_in_a_shared_ledger_is_one_error(scratch_config, tmp_path, capsys, wrong):
    """Which project's figures lack the row's money cannot be told: an error, said once for the
    file (not once per project sharing it), and no report is made from the file."""
    first = rows_of(scratch_config / LEDGER)[0]
    rows = shared(scratch_config, [{**first, "Prosjekt": wrong}, {**first, "Prosjekt": wrong}])
    code, out, _ = run(capsys, scratch_config, "validate")
    found = [line for line in out if " Prosjekt:" in line]
    assert code == 1 and len(found) == 1, found
    assert found[0].startswith("ERROR ")
    assert f"/config/data/felles/regnskap.csv:{len(rows)} Prosjekt: Prosjekt is " in found[0]
    assert "in 2 row(s)" in found[0] and "125 000,00 kr" in found[0] and f"{HAUG}, {NG}" in found[0]
    if wrong:
        assert f"did you mean {HAUG!r}" in found[0]
    code, _, err = run(capsys, scratch_config, "render", "final", HAUG, "--out", str(tmp_path))
    assert code == 1 and len(err) == 1 and f"regnskap.csv:{len(rows)}: Prosjekt:" in err[0]


def mark(config: Path, marks: dict[int, str]) -> list[dict]:
    rows = rows_of(config / LEDGER)
    for i, value in marks.items():
        rows[i]["Kreditnota"] = value
    write_rows(config / LEDGER, rows)
    return rows


@pytest.mark.parametrize("value", ["kanskje", "2", "Ja.", "nej"])
def test_a_kreditnota_that_is_neither_yes_nor_no_is_an_error(scratch_config, tmp_path, capsys, value):
    """It was read as "no", silently."""
    mark(scratch_config, {1: value})
    code, out, _ = run(capsys, scratch_config, "validate")
    found = [line for line in out if " Kreditnota:" in line]
    assert code == 1 and len(found) == 1
    assert f"/config/{LEDGER}:3 Kreditnota: {value!r} is neither yes nor no" in found[0]
    code, _, err = run(capsys, scratch_config, "render", "final", HAUG, "--out", str(tmp_path))
    assert code == 1 and len(err) == 1 and f"{LEDGER}:3: Kreditnota:" in err[0]


def test_a_credit_note_with_a_positive_amount_is_an_error(scratch_config, tmp_path, capsys):
    """The README's credit note is written negative with Kreditnota = ja; ja on 62 500,00 was
    counted as a cost of 62 500 kr, the opposite of what the mark says."""
    rows = mark(scratch_config, {0: "ja"})
    assert kroner(rows[0]["Beløp"]) == 62_500
    code, out, _ = run(capsys, scratch_config, "validate")
    found = [line for line in out if " Kreditnota:" in line]
    assert code == 1 and len(found) == 1
    assert f"/config/{LEDGER}:2 Kreditnota: marked as a credit note, but the amount 62 500,00 is positive" in found[0]
    code, _, err = run(capsys, scratch_config, "render", "final", HAUG, "--out", str(tmp_path))
    assert code == 1 and len(err) == 1 and f"{LEDGER}:2: Kreditnota:" in err[0]


def test_yes_and_no_words_give_the_recomputed_costs(scratch_config, tmp_path, capsys):
    """Every accepted spelling, and the demo's credit note (-2 400,00, ja) still reduces the costs."""
    rows = mark(scratch_config, {0: "nei", 1: "NEI", 2: " n ", 3: "0"})
    assert any(r["Kreditnota"] == "ja" and kroner(r["Beløp"]) < 0 for r in rows)
    code, out, _ = run(capsys, scratch_config, "validate")
    assert not [line for line in out if "Kreditnota:" in line]
    assert final_costs(scratch_config, tmp_path) == project_costs(rows, HAUG) == 1_088_261
