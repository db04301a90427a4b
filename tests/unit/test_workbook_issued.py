"""A returned workbook speaks only for the project it was issued for (an outside tester acting as an
attacker with a project leader's access, session 22: the hidden sheet ``_grantflow`` is plain data,
so a Haugaland workbook edited with openpyxl to claim Nord-Gudbrandsdal was taken in by
`grantflow inbox` as N-G's status note). Each workbook goes in the way the README says: saved in
``config/inbox/`` and taken in by ``grantflow inbox`` (the morning watch and the status cycle run
the same import)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl

from grantflow.cli import main
from tests.unit._workbook import errors, field, file_bytes, run_inbox  # noqa: F401 (errors: used by the tests below)

HAUG = "haugaland-velferdsteknologi"
NG = "smart-velferdsregion-nord-gudbrandsdal"


def issue(config: Path, project: str, as_of: str, out: Path, capsys) -> Path:
    """`grantflow workbook PROJECT --as-of DATE -o OUT`, as the secretariat makes it."""
    assert main(["--config", str(config), "workbook", project, "--as-of", as_of, "-o", str(out)]) == 0
    capsys.readouterr()
    return out


def hidden(wb, key: str, value) -> None:
    """Set ``key`` of the hidden sheet to ``value`` (JSON), as the tester's edit_workbook.py did."""
    ws = wb["_grantflow"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key)
    ws.cell(row, 2).value = json.dumps(value)


def hidden_value(path: Path, key: str):
    ws = openpyxl.load_workbook(path)["_grantflow"]
    return next((json.loads(ws.cell(r, 2).value) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key),
                None)


def take_in(config: Path, wb, capsys, name: str = "svar.xlsx") -> tuple[int, str]:
    """Save ``wb`` in the inbox and run `grantflow inbox`: exit code and all it printed."""
    (config / "inbox").mkdir(exist_ok=True)
    wb.save(config / "inbox" / name)
    return run_inbox(config, capsys)


def project_files(config: Path, project: str) -> dict[str, bytes]:
    """The project's register file and data files (the import log, which records a refusal, aside)."""
    return {name: data for name, data in file_bytes(config).items()
            if (name.startswith(f"data/{project}/") or name == f"projects/{project}.yaml")
            and not name.endswith("innlesinger.csv")}


def log_rows(config: Path, project: str) -> list[list[str]]:
    path = config / "data" / project / "innlesinger.csv"
    if not path.exists():
        return []
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))[1:]


def test_a_workbook_issued_for_one_project_cannot_write_anothers_data(scratch_config, tmp_path, capsys):
    """Before: Haugaland's workbook with `_grantflow` project and Prosjekt-id set to Nord-Gudbrandsdal
    was `imported svar.xlsx → …/behandlet/…` (exit 0) and wrote a 2016-10-07 note reported by
    "Mallory" into N-G's notater.yaml."""
    path = issue(scratch_config, HAUG, "2016-10-07", tmp_path / "haug.xlsx", capsys)
    wb = openpyxl.load_workbook(path)
    hidden(wb, "project", NG)
    field(wb, "Prosjekt", "id").value = NG
    field(wb, "Statusnotat", "reported_by").value = "Mallory"
    before = project_files(scratch_config, NG)
    assert b"Mallory" not in before[f"data/{NG}/notater.yaml"]
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 1, text
    assert errors(text) == [
        f"ERROR   svar.xlsx this workbook was issued for '{HAUG}', not for '{NG}' as its hidden sheet now says "
        f"(issued {date.today().isoformat()} to Sturle J. Monstad <prosjektleder@haugalandvekst.example.no>); nothing "
        f"of it was taken in; ask the secretariat for a new workbook (grantflow workbook {NG}) and fill that in"], text
    assert "rejected  svar.xlsx" in text, text
    assert project_files(scratch_config, NG) == before
    (row,) = log_rows(scratch_config, NG)
    assert row[1] == "Mallory" and row[2] == "svar.xlsx", row
    assert row[4] == f"AVVIST, arbeidsboken ble utstedt for {HAUG}, ikke for {NG}", row


def test_a_workbook_whose_id_is_not_on_record_is_refused(scratch_config, tmp_path, capsys):
    """An id made up (or copied from another installation) vouches for nothing."""
    path = issue(scratch_config, NG, "2020-06-01", tmp_path / "ng.xlsx", capsys)
    wb = openpyxl.load_workbook(path)
    hidden(wb, "issue", "gf-" + "A" * 32)
    field(wb, "Statusnotat", "reported_by").value = "Mallory"
    before = project_files(scratch_config, NG)
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 1, text
    (error,) = errors(text)
    assert error.startswith(f"ERROR   svar.xlsx this workbook's issue id is not on record: it was not issued by "
                            f"grantflow for '{NG}'"), text
    assert error.endswith(f"ask the secretariat for a new workbook (grantflow workbook {NG}) and fill that in"), text
    assert project_files(scratch_config, NG) == before
    assert log_rows(scratch_config, NG)[-1][4] == "AVVIST, arbeidsbokens id er ikke utstedt"


def test_a_workbook_without_an_id_is_refused_with_how_to_get_a_new_one(scratch_config, tmp_path, capsys):
    """A workbook made before ids were recorded (or with its id row deleted) cannot be shown to be
    the project's: refused whole, saying what to do."""
    path = issue(scratch_config, NG, "2020-06-01", tmp_path / "ng.xlsx", capsys)
    wb = openpyxl.load_workbook(path)
    ws = wb["_grantflow"]
    ws.delete_rows(next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "issue"))
    field(wb, "Statusnotat", "reported_by").value = "Kari"
    before = project_files(scratch_config, NG)
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 1, text
    assert errors(text) == [
        f"ERROR   svar.xlsx this workbook has no issue id (made before workbooks were recorded, or its hidden "
        f"sheet '_grantflow' was edited), so it cannot be shown to be '{NG}''s; nothing of it was taken in; ask the "
        f"secretariat for a new workbook (grantflow workbook {NG}) and fill that in"], text
    assert project_files(scratch_config, NG) == before


def test_the_issued_status_date_cannot_be_moved_either(scratch_config, tmp_path, capsys):
    path = issue(scratch_config, NG, "2020-06-01", tmp_path / "ng.xlsx", capsys)
    wb = openpyxl.load_workbook(path)
    hidden(wb, "as_of", "2020-09-01")
    field(wb, "Statusnotat", "as_of").value = date(2020, 9, 1)
    field(wb, "Statusnotat", "reported_by").value = "Kari"
    before = project_files(scratch_config, NG)
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 1, text
    (error,) = errors(text)
    assert error.startswith("ERROR   svar.xlsx this workbook was issued for the status date 2020-06-01, not "
                            "2020-09-01 as its hidden sheet now says"), text
    assert project_files(scratch_config, NG) == before


def test_an_honest_round_trip_is_taken_in(scratch_config, tmp_path, capsys):
    """Issued, filled in, returned: milestone 4 of N-G ("ikke startet" in milepaeler.csv) becomes
    ferdig on 15.05.2020 with the leader's comment, and the note is hers."""
    path = issue(scratch_config, NG, "2020-06-01", tmp_path / "ng.xlsx", capsys)
    assert str(hidden_value(path, "issue")).startswith("gf-")
    wb = openpyxl.load_workbook(path)
    ws = wb["Milepælstatus"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == 4)
    headers = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    ws.cell(row, headers["Status"]).value = "ferdig"
    ws.cell(row, headers["Faktisk dato"]).value = date(2020, 5, 15)
    ws.cell(row, headers["Kommentar"]).value = "Levert som planlagt"
    field(wb, "Statusnotat", "reported_by").value = "Kari Nordmann"
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 0 and "imported  svar.xlsx" in text, text
    lines = (scratch_config / "data" / NG / "milepaeler.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "4;ferdig;15.05.2020;Levert som planlagt" in lines, lines
    assert log_rows(scratch_config, NG)[-1][1] == "Kari Nordmann"


def test_each_issue_is_recorded_with_project_date_and_whom(scratch_config, tmp_path, capsys):
    path = issue(scratch_config, NG, "2020-06-01", tmp_path / "ng.xlsx", capsys)
    text = (scratch_config / "data" / NG / "arbeidsboker.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Utstedt", "Id", "Prosjekt", "Status per", "Til", "Hvordan"]
    (row,) = rows[1:]
    assert row[0].startswith(date.today().isoformat())
    assert row[1] == hidden_value(path, "issue") and len(row[1]) >= 32
    assert row[2:4] == [NG, "2020-06-01"]
    assert "@" in row[4] and row[5].startswith("grantflow workbook") and "ng.xlsx" in row[5], row


# one workbook issued (as issue_workbook does), then its record written 150 times more: the record
# is where two processes meet
ISSUE_MANY = """
import sys
from datetime import date
from grantflow.intake import issue_workbook
from grantflow.issued import new_id, record_issue
from grantflow.register import open_register
issue_workbook(sys.argv[1], sys.argv[2], date(2020, 6, 1), how="test")
register = open_register(sys.argv[1])
for _ in range(150):
    record_issue(register, sys.argv[2], date(2020, 6, 1), new_id(), to="test", how="test")
"""


def test_two_processes_issuing_at_once_lose_no_entry(scratch_config):
    workers = [subprocess.Popen([sys.executable, "-c", ISSUE_MANY, str(scratch_config), NG], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for w in workers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    text = (scratch_config / "data" / NG / "arbeidsboker.csv").read_text(encoding="utf-8-sig")
    ids = [row[1] for row in csv.reader(io.StringIO(text), delimiter=";")][1:]
    assert len(ids) == 302 and len(set(ids)) == 302


def test_the_readmes_workbook_round_trip_still_works(scratch_config, tmp_path, capsys, monkeypatch):
    """The secretariat guide's steps as written: step 1's command makes (and issues) the workbook,
    the leader fills it in, it is saved in config/inbox/ and `grantflow inbox` takes it in."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    guide = readme.split("## Secretariat guide: collecting with Excel workbooks", 1)[1]
    step = guide.split("\n1. **Make the workbook**", 1)[1].split("\n2. ", 1)[0]
    command = re.search(r"`(grantflow workbook [^`]*)`", step).group(1).split()
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(scratch_config), *command[1:]]) == 0
    written = tmp_path / "outputs" / "arbeidsboker" / f"{command[2]}-{command[4]}.xlsx"
    assert written.name in capsys.readouterr().out
    wb = openpyxl.load_workbook(written)
    field(wb, "Statusnotat", "summary").value = "Responssenteret er utredet; anbefaling legges fram i november."
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"
    code, text = take_in(scratch_config, wb, capsys)
    assert code == 0 and "imported  svar.xlsx" in text, text
    notes = (scratch_config / "data" / command[2] / "notater.yaml").read_text(encoding="utf-8")
    assert "Responssenteret er utredet; anbefaling legges fram i november." in notes
