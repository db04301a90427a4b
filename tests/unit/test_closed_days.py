"""Julaften (24.12) and nyttårsaften (31.12) are no working days (setting ``closed_days``, by
default those two): an outside tester's steering group got a status report on 24.12, "Frist om
3 virkedager" counted 29, 30 and 31 December, and ``shift: before`` moved a deadline on Sunday
26.12.2027 to Friday 24.12. Expected days are worked out here by hand from the calendar."""

import sqlite3
from datetime import date

import pytest

from grantflow.cli import main
from grantflow.deadlines import calendar, reminder_message, reminders_due
from grantflow.register import open_register

from ..conftest import replace_in


@pytest.fixture(autouse=True)
def _default_closed_days():
    """A test's closed_days: [] is the process's until settings are read again: not the next test's."""
    yield
    from grantflow.deadlines import set_closed_days

    set_closed_days(None)


HAUGALAND = "projects/haugaland-velferdsteknologi.yaml"
ERP = "kongsbergregionen-erp"


def _rows(out: str) -> list[str]:
    return [" ".join(line.split()) for line in out.splitlines()]


def test_a_status_report_does_not_go_on_new_years_eve(scratch_config, capsys):
    # meeting Thursday 7.1.2016, lead_days 7: Thursday 31.12.2015 -> Wednesday 30.12.2015
    replace_in(scratch_config / HAUGALAND, "dates: [2015-11-20, ", "dates: [2015-11-20, 2016-01-07, ")
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2015-12-01", "--days", "40"]) == 0
    out = " ".join(_rows(capsys.readouterr().out))
    assert "30.12.2015 Status haugaland-velferdsteknologi Statusrapport før styringsgruppemøtet 07.01.2016" in out, out
    assert "(fra 31.12.2015, Nyttårsaften)" in out, out
    assert "31.12.2015 Status" not in out
    # the setting turns it off: 31.12 is a working day again
    with open(scratch_config / "grantflow.yaml", "a", encoding="utf-8") as f:
        f.write("closed_days: []\n")
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2015-12-01", "--days", "40"]) == 0
    out = " ".join(_rows(capsys.readouterr().out))
    assert "31.12.2015 Status haugaland-velferdsteknologi Statusrapport før styringsgruppemøtet 07.01.2016" in out, out


def test_a_deadline_on_boxing_day_moves_before_christmas_eve(scratch_config, capsys):
    # Sunday 26.12.2027 (andre juledag), shift before: 25.12 Saturday, 24.12 Friday julaften -> Thursday 23.12
    replace_in(scratch_config / HAUGALAND, "    deadlines:\n",
               "    deadlines:\n      - {kind: other, date: 2027-12-26, description: Revisorattest}\n")
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2027-12-01", "--days", "40"]) == 0
    out = " ".join(_rows(capsys.readouterr().out))
    assert "23.12.2027 Frist haugaland-velferdsteknologi Revisorattest" in out, out
    assert "(fra 26.12.2027, Andre juledag)" in out, out


def test_working_days_left_skip_christmas_eve_and_new_years_eve(scratch_config):
    # Monday 28.12.2026 to Monday 4.1.2027: 29.12, 30.12 and 4.1 are working days (31.12 nyttårsaften,
    # 1.1 a holiday, 2-3.1 a weekend): 3, not 4
    replace_in(scratch_config / HAUGALAND, "    deadlines:\n",
               "    deadlines:\n      - {kind: other, date: 2027-01-04, description: Revisorattest}\n")
    items = [i for i in calendar(open_register(scratch_config)) if i.label == "Revisorattest"]
    assert [i.due for i in items] == [date(2027, 1, 4)]
    due = reminders_due(items, date(2026, 12, 28), [3])
    assert [(i.label, lead) for i, lead in due] == [("Revisorattest", 3)]
    subject, lines = reminder_message(items[0], date(2026, 12, 28), "Velferdsteknologi Haugaland")
    assert subject == "Frist om 3 virkedager: Revisorattest – Velferdsteknologi Haugaland"
    assert "Fristen er 4. januar 2027 (om 3 virkedager)." in " ".join(lines)
    # nothing is reminded on julaften or nyttårsaften: the offices are closed
    assert reminders_due(items, date(2026, 12, 24), [3, 10]) == []
    assert reminders_due(items, date(2026, 12, 31), [3, 10]) == []


def test_closed_days_are_checked(scratch_config, capsys):
    with open(scratch_config / "grantflow.yaml", "a", encoding="utf-8") as f:
        f.write('closed_days: ["24.12", "29.02"]\n')
    line = sum(1 for _ in open(scratch_config / "grantflow.yaml", encoding="utf-8"))
    assert main(["--config", str(scratch_config), "validate"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert (f"grantflow.yaml:{line} closed_days[1]: '29.02' is refused because it is not in every year" in text
            or f"grantflow.yaml:{line}: closed_days[1]: '29.02' is refused because it is not in every year" in text), text
    assert "Traceback" not in text


def test_sent_shows_oslo_time(scratch_config, tmp_path, monkeypatch, capsys):
    """Sent at 23:58 UTC on 28 November 2026: in Oslo 00:58 on the 29th, as the secretariat lives it."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    assert main(["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-08-29", "--yes"]) == 0
    with sqlite3.connect(tmp_path / "out" / "sent.db") as db:      # as SQLite keeps it: naive UTC
        db.execute("update deliveries set updated_at = '2026-11-28 23:58:00.000000'")
    capsys.readouterr()
    assert main(["--config", str(scratch_config), "sent"]) == 0
    out = capsys.readouterr().out
    # a wide table says it in its header, the narrow listing beside each time
    assert "2026-11-29 00:58:00" in out and ("Tid (Oslo)" in out or "2026-11-29 00:58:00 (Oslo)" in out), out
    assert "23:58" not in out and "UTC" not in out, out
