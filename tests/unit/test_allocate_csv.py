"""`grantflow allocate --format csv > fordeling.csv`, opened by a Norwegian Excel."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from fractions import Fraction

import yaml

from ..conftest import CONFIG, replace_in

HAUG = "haugaland-velferdsteknologi"


def _excel_rows(config, tmp_path, *argv) -> tuple[bytes, list[list[str]]]:
    """The file as the shell writes it, read as a Norwegian Excel does: UTF-8 when it starts
    with a byte order mark (Windows-1252 otherwise), columns split at ';'."""
    target = tmp_path / "fordeling.csv"
    with target.open("wb") as out:
        subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(config), "allocate", *argv,
                        "--format", "csv"], stdout=out, check=True,
                       env=dict(os.environ, GRANTFLOW_OUTPUTS=str(tmp_path / "outputs")))
    raw = target.read_bytes()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("cp1252")
    return raw, list(csv.reader(text.splitlines(), delimiter=";"))


def _number(cell: str) -> Fraction:
    """A cell as Excel with Norwegian settings reads it: decimal comma, no grouping; anything
    else is text, and text is no amount."""
    assert cell.replace(",", "", 1).lstrip("-").isdigit(), f"{cell!r} is text to Excel, not a number"
    return Fraction(cell.replace(",", "."))


def _independent_split(total: int, weights: dict[str, Fraction], equal_percent: int) -> dict[str, int]:
    """Each share exactly (equal part + weight's part of the rest), then whole kroner by largest
    remainder (ties: the larger weight, then the list's order), as DOMAIN.md describes."""
    n, weight_sum = len(weights), sum(weights.values())
    exact = {name: Fraction(total) * (Fraction(equal_percent, 100) / n + (1 - Fraction(equal_percent, 100)) * w / weight_sum)
             for name, w in weights.items()}
    whole = {name: x.numerator // x.denominator for name, x in exact.items()}
    order = sorted(weights, key=lambda m: (-(exact[m] - whole[m]), -weights[m], list(weights).index(m)))
    for name in order[:total - sum(whole.values())]:
        whole[name] += 1
    return whole


def test_the_csv_opens_in_a_norwegian_excel_as_columns_with_the_split_of_the_council_file(tmp_path):
    """It wrote 'kommune,deltar,vekt,…' with commas and no byte order mark: a Norwegian Excel
    (where ',' is the decimal mark) showed every row in one column, and 'Karmøy' as 'KarmÃ¸y'."""
    raw, rows = _excel_rows(CONFIG, tmp_path, HAUG, "--year", "2016")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert {len(row) for row in rows} == {6}, rows[:2]
    assert rows[0] == ["Kommune", "Deltar", "Innbyggere 1.1.2014", "Lik andel", "Etter vekt", "Sum"]
    council = yaml.safe_load((CONFIG / "councils/haugaland-vekst.yaml").read_text(encoding="utf-8"))
    population = {m["name"]: Fraction(m["population"][2014]) for m in council["municipalities"]}
    expected = _independent_split(1_123_000, population, 30)           # seed 000: 2016, 30/70
    body, last = rows[1:-1], rows[-1]
    assert [row[0] for row in body] == list(population)                # Karmøy, Tysvær as written
    for name, takes_part, weight, equal, weighted, total in body:
        assert takes_part == "ja" and _number(weight) == population[name]
        assert _number(total) == expected[name] == _number(equal) + _number(weighted), name
    assert last[0] == "Sum" and _number(last[5]) == 1_123_000 == sum(_number(row[5]) for row in body)
    assert _number(last[3]) == 336_900                                   # 30 % equal: 33 690 each


def test_a_weight_with_decimals_is_written_with_a_decimal_comma(scratch_config, tmp_path):
    """A key such as GSI hours with decimals: '12.5' is a date or text to a Norwegian Excel."""
    council = scratch_config / "councils/kongsbergregionen.yaml"
    figures = {"Tinn": "650.5", "Notodden": "1500", "Hjartdal": "160.25", "Kongsberg": "3300"}
    for name, value in figures.items():
        replace_in(council, f"{{name: {name}, population:", f"{{name: {name}, weights: {{gsi: {{2013: {value}}}}}, population:")
    replace_in(scratch_config / "projects/kongsbergregionen-erp.yaml", "weight: innbyggere,", "weight: gsi,")
    _, rows = _excel_rows(scratch_config, tmp_path, "kongsbergregionen-erp", "--year", "2014", "--amount", "1000000")
    weights = {row[0]: row[2] for row in rows[1:-1] if row[1] == "ja"}
    assert weights == {"Tinn": "650,5", "Notodden": "1500", "Hjartdal": "160,25", "Kongsberg": "3300"}
    assert rows[-1][2] == "5610,75"
    expected = _independent_split(1_000_000, {k: Fraction(v) for k, v in figures.items()}, 0)
    assert {row[0]: _number(row[5]) for row in rows[1:-1] if row[1] == "ja"} == {
        name: expected[name] for name in ("Notodden", "Tinn", "Hjartdal", "Kongsberg")}


def test_a_municipality_name_that_starts_like_a_formula_stays_text_in_excel(scratch_config, tmp_path):
    """A name from the council file went into the CSV as written: '=HYPERLINK(…)' or '-1+1' is a
    formula to Excel, run when the secretariat opens the file (CSV injection)."""
    hostile = '=HYPERLINK("http://127.0.0.1:9/x","Karmøy")'
    replace_in(scratch_config / "councils/haugaland-vekst.yaml", "name: Karmøy,", f"name: '{hostile}',")
    replace_in(scratch_config / f"projects/{HAUG}.yaml", "[Haugesund, Karmøy,", f"[Haugesund, '{hostile}',")
    _, rows = _excel_rows(scratch_config, tmp_path, HAUG, "--year", "2016")
    names = [row[0] for row in rows[1:-1]]
    assert "'" + hostile in names, names
    assert not [name for name in names if name[:1] in ("=", "+", "-", "@")], names
