"""A milestone the plan gives as a month only is read as the month's last day. Haugaland's
milestone 07, "2017-09", so falls on 30.09.2017, after the project ends on 20.09.2017, and
validate said nothing of it while it flagged 02 and 03 (before the start; outside tester, session
21). Now it is a warning naming file, line and field, saying how the date was read."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "projects/haugaland-velferdsteknologi.yaml"


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.replace(f"{config}/", "config/").splitlines()


def test_a_month_read_as_its_last_day_after_the_project_end_is_a_warning(clean, capsys):
    code, lines = _validate(clean, capsys)
    assert code == 0
    found = [l for l in lines if l.startswith(f"WARNING config/{HAUG}:") and " milestones[6].date: " in l]
    assert len(found) == 1, lines
    (line,) = found
    number = int(line.split(":")[1].split()[0])
    assert "number: 7, date: \"2017-09\"" in (clean / HAUG).read_text(encoding="utf-8").splitlines()[number - 1]
    # as the milestones before the start are said, and how the month was read
    assert "milestone 07 (2017-09) is outside the project period 2015-09-21 – 2017-09-20" in line, line
    assert "30.09.2017" in line and "20.09.2017" in line, line
    assert main(["--config", str(clean), "validate", "--strict"]) == 1


def test_a_month_whose_last_day_is_the_project_end_is_no_warning(clean, capsys):
    replace_in(clean / HAUG, "end: 2017-09-20}", "end: 2017-09-30}")
    code, lines = _validate(clean, capsys)
    assert code == 0
    assert not [l for l in lines if " milestones[6].date: " in l], lines
