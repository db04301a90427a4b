"""A YAML number with a point before three digits, where both readings are plausible.

`800.500` in a budget in 1000 kr was 800 500 thousand kroner beside `800.5` in the same mapping;
`equal_percent: 33.333` was 33 333 % and only said "Input should be less than or equal to 100";
`stale_note_days: 1.000`, `top_risk_rf: 1.000` and a risk's `probability: 3.000` were 1 and 3
(YAML's 1.0, 3.0) while an amount reads `1.000` as 1 000. One rule now, the one hours had: in
thousands of kroner, percent, a rate, a score or a count of days it is one line naming file, line,
field and both readings, exit 1. In plain kroner `350.000` stays 350 000 (README)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from grantflow.cli import main
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import find_table

HAUG, NG = "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"
NG_COSTS = "amounts: {2019: 800, 2020: 800}"


def validate(capsys, config: Path) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return code, [line for line in out.splitlines() if line.startswith("ERROR")]


@pytest.mark.parametrize("file, old, new, line, field, says", [
    (f"projects/{NG}.yaml", NG_COSTS, "amounts: {2019: 800.500, 2020: 800.5}", 91, "budget.costs[0].amounts[2019]",
     "ambiguous number of thousand kroner '800.500': 800 500 (point as thousands separator) or 800,5 (decimal "
     "point); write 800500 or 800.5"),
    (f"projects/{HAUG}.yaml", "equal_percent: 30", "equal_percent: 33.333", 32, "split.equal_percent",
     "ambiguous number of percent '33.333': 33 333 (point as thousands separator) or 33,333 (decimal point); "
     "write 33.3330"),
    (f"projects/{NG}.yaml", "probability: 3, consequence: 5, rf: 15", "probability: 3.000, consequence: 5, rf: 15",
     81, "risks[0].probability", "ambiguous number '3.000': 3 000 (point as thousands separator) or 3 (decimal "
     "point); write 3000 or 3"),
    (f"projects/{HAUG}.yaml", "lead_days: 7", "lead_days: 7.000", 206, "meetings.lead_days", "'7.000': 7 000"),
    (f"projects/{HAUG}.yaml", "own_effort_hours: 2073", "own_effort_hours: 2.073", 187, "budget.own_effort_hours",
     "ambiguous number of hours '2.073': 2 073 (point as thousands separator) or 2,073"),
    ("grantflow.yaml", "stale_note_days: 90", "stale_note_days: 1.000", 9, "documents.stale_note_days",
     "ambiguous number '1.000': 1 000 (point as thousands separator) or 1 (decimal point); write 1000 or 1"),
    ("grantflow.yaml", "top_risk_rf: 10", "top_risk_rf: 1.000", 7, "documents.top_risk_rf", "'1.000': 1 000"),
    ("grantflow.yaml", "deadline_shift: before", "deadline_shift: before\ndeadline_reminders: [10, 3.000]", 11,
     "deadline_reminders[1]", "ambiguous number '3.000': 3 000 (point as thousands separator) or 3"),
    ("grantflow.yaml", "own_effort_hourly_rate: 500", "own_effort_hourly_rate: 1.500", 8,
     "documents.own_effort_hourly_rate", "ambiguous number of kroner per hour '1.500': 1 500 (point as "
     "thousands separator) or 1,5 (decimal point); write 1500 or 1.5"),
])
def test_a_point_before_three_digits_is_refused_where_both_readings_are_plausible(
        scratch_config, capsys, file, old, new, line, field, says):
    replace_in(scratch_config / file, old, new)
    code, errors = validate(capsys, scratch_config)
    assert code == 1
    mine = [e for e in errors if f"{file}:{line} {field}:" in e]
    assert len(mine) == 1 and says in mine[0], errors
    assert re.match(r"ERROR +\S+:\d+ \S+: ", mine[0])


def test_in_plain_kroner_a_point_groups_thousands_as_the_readme_says(scratch_config, capsys):
    """`412.000` in a budget in kroner is 412 000, as before: nothing new to say."""
    path = scratch_config / f"projects/{HAUG}.yaml"
    before = validate(capsys, scratch_config)
    replace_in(path, "{2015: 412000, 2016: 1123000}", "{2015: 412.000, 2016: 1.123.000}")
    assert validate(capsys, scratch_config) == before
    budget = open_register(scratch_config).project(HAUG).budget
    assert {line.source: dict(line.amounts) for line in budget.financing}["Kommunene (kostnadsfordeling)"] == {
        2015: 412_000, 2016: 1_123_000}


def test_a_budget_in_thousands_with_a_decimal_gives_the_recomputed_table(scratch_config, tmp_path, capsys):
    """`800.5` (a decimal point where it cannot group thousands) is 800,5 thousand kroner, printed
    in the application's table in 1000 kr rounded half up; `800.500` stops the render."""
    path = scratch_config / f"projects/{NG}.yaml"
    replace_in(path, NG_COSTS, "amounts: {2019: 800.500, 2020: 800}")
    code = main(["--config", str(scratch_config), "render", "application", NG, "--out", str(tmp_path / "a")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "budget.costs[0].amounts[2019]: ambiguous number" in err[0]
    assert not (tmp_path / "a").exists()
    replace_in(path, "{2019: 800.500, 2020: 800}", "{2019: 800.5, 2020: 800}")
    line = yaml.safe_load(path.read_text(encoding="utf-8"))["budget"]["costs"][0]
    assert open_register(scratch_config).project(NG).budget.unit == 1000
    code = main(["--config", str(scratch_config), "render", "application", NG, "--out", str(tmp_path / "b")])
    assert code == 0, capsys.readouterr()
    (document,) = (tmp_path / "b").rglob("application-*.docx")
    row = next(r for r in find_table(document, "Kategori") if r[0] == line["category"])
    expected = [int(Decimal(str(line["amounts"][y])).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                for y in (2019, 2020)]
    assert expected == [801, 800]
    assert [int(c.replace("\u00a0", "").replace(" ", "")) for c in row[1:3]] == expected
