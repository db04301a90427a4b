"""The inbox and imports as they meet real life: odd file names, the same name twice, a run killed
midway, two imports at once. Nothing is lost, nothing is taken twice, one line per file."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings, strategies as st

from grantflow.cli import main
from grantflow.data import read_milestones, read_notes
from grantflow.intake import process_inbox
from grantflow.register import open_register
from tests.unit._workbook import leader_workbook

ROOT = Path(__file__).resolve().parent.parent.parent
NG = "smart-velferdsregion-nord-gudbrandsdal"
NOW = datetime(2020, 6, 2, 9, 30).astimezone()


def _rows(ws) -> dict:
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is not None}


def _answer(config: Path, summary: str = "Svar fra prosjektleder", name: str | None = None) -> bytes:
    """A returned workbook whose status note says ``summary`` (and whose project name is ``name``)."""
    path = config.parent / f"tmp-{abs(hash((summary, name)))}.xlsx"
    path.write_bytes(leader_workbook(open_register(config), NG, date(2020, 6, 1)))
    wb = openpyxl.load_workbook(path)
    note = wb["Statusnotat"]
    note.cell(_rows(note)["summary"], 3).value = summary
    if name:
        ws = wb["Prosjekt"]
        ws.cell(_rows(ws)["name"], 3).value = name
    wb.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def _summary(config: Path) -> str | None:
    notes, _ = read_notes(config / f"data/{NG}/notater.yaml")
    note = notes.note_for(date(2020, 6, 1))
    return note.summary if note and note.as_of == date(2020, 6, 1) else None


def _cli(config: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grantflow.cli", "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, **kw)


def _hold(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _wait_for(condition, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_odd_file_names_are_one_line_each_and_block_nothing(scratch_config, capsys):
    """A name with a byte that is not UTF-8 ended the run with an internal error half-way; a
    250-character name could not be claimed and stopped every later run ('cannot use …'), so the
    good workbook behind it was never taken in; 'SVAR.XLSX' and an .ods were ignored for ever."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()
    good = _answer(scratch_config)
    with open(os.fsencode(inbox) + b"/svar-\xf8st.xlsx", "wb") as handle:      # Latin-1 'ø'
        handle.write(b"not a workbook")
    (inbox / ("x" * 245 + ".xlsx")).write_bytes(b"not a workbook either")
    (inbox / "ny\nlinje.xlsx").write_bytes(b"junk")
    (inbox / "svar.ods").write_bytes(b"PK\x03\x04 an OpenDocument spreadsheet")
    (inbox / "zz-SVAR.XLSX").write_bytes(good)
    code = main(["--config", str(scratch_config), "inbox"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1 and "internal error" not in text and "Traceback" not in text, text
    lines = [line for line in out.out.splitlines() if not line.startswith(" ")]
    assert len(lines) == 5, text
    assert any(line.startswith("imported") and "zz-SVAR.XLSX" in line for line in lines), text
    assert any(line.startswith("rejected") and "svar-\\xf8st.xlsx" in line for line in lines), text
    assert any(line.startswith("rejected") and "ny\\nlinje.xlsx" in line for line in lines), text
    assert any(line.startswith("rejected") and "svar.ods" in line for line in lines), text
    assert _summary(scratch_config) == "Svar fra prosjektleder"
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []              # every file taken care of
    rejected = [p for p in (inbox / "avvist").iterdir() if not p.name.endswith(".funn.txt")]
    assert len(rejected) == 4
    for path in rejected:
        assert Path(str(path) + ".funn.txt").read_text(encoding="utf-8").startswith("ERROR")
    assert main(["--config", str(scratch_config), "inbox"]) == 0
    assert "the inbox is empty" in capsys.readouterr().out


def test_the_same_name_twice_keeps_both_files(scratch_config):
    """Two 'svar.xlsx' taken in with the same time stamp: the second replaced the first in
    behandlet/ (the first answer's file was gone)."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()
    first = _answer(scratch_config, "Første svar")
    (inbox / "svar.xlsx").write_bytes(first)
    assert [i.outcome for i in process_inbox(scratch_config, now=NOW)] == ["imported"]
    second = _answer(scratch_config, "Andre svar")             # a new workbook, answered again
    (inbox / "svar.xlsx").write_bytes(second)
    assert [i.outcome for i in process_inbox(scratch_config, now=NOW)] == ["imported"]
    kept = sorted(p.read_bytes() for p in (inbox / "behandlet").iterdir() if p.suffix == ".xlsx")
    assert kept == sorted([first, second])
    assert _summary(scratch_config) == "Andre svar"


def test_a_workbook_left_by_a_killed_inbox_run_is_taken_in_by_the_next(scratch_config):
    """kill -9 while importing: the workbook stayed in inbox/.arbeid/ and no later run looked there."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()
    (inbox / "svar.xlsx").write_bytes(_answer(scratch_config))
    lock = _hold(scratch_config)            # the run claims the file, then waits for the register
    try:
        proc = _cli(scratch_config, "inbox")
        _wait_for(lambda: list((inbox / ".arbeid").glob("*svar.xlsx")) if (inbox / ".arbeid").is_dir() else False)
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        os.close(lock)
    assert _summary(scratch_config) is None                    # killed before it wrote anything
    again = _cli(scratch_config, "inbox")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    assert out.startswith("imported") and "svar.xlsx" in out, out + err
    assert _summary(scratch_config) == "Svar fra prosjektleder"
    assert list((inbox / ".arbeid").iterdir()) == []
    assert len(list((inbox / "behandlet").glob("*svar.xlsx"))) == 1


def test_two_imports_at_once_keep_both_changes(scratch_config, tmp_path):
    """Two 'grantflow import' at once: the one that waited for the lock had read the register
    before waiting and wrote the other's change away (its stale project file won)."""
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(_answer(scratch_config, "Svar A", name="Navn fra A"))
    path = tmp_path / "b-src.xlsx"
    path.write_bytes(leader_workbook(open_register(scratch_config), NG, date(2020, 6, 1)))
    wb = openpyxl.load_workbook(path)
    ws = wb["Milepælstatus"]
    row = _rows(ws)[3]
    ws.cell(row, 4).value, ws.cell(row, 5).value = "ferdig", date(2020, 5, 20)
    ws = wb["Prosjekt"]
    ws.cell(_rows(ws)["owner"], 3).value = "Eier fra B"
    wb.save(b)
    lock = _hold(scratch_config)
    try:
        procs = [_cli(scratch_config, "import", str(a)), _cli(scratch_config, "import", str(b))]
        # Both are started and wait for the lock (a run that reads the register first has read it).
        inode = f":{os.stat(scratch_config).st_ino} "
        _wait_for(lambda: sum(inode in line and "->" in line
                              for line in Path("/proc/locks").read_text().splitlines()) >= 2)
    finally:
        os.close(lock)
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    project = open_register(scratch_config).project(NG)
    assert (project.name, project.owner) == ("Navn fra A", "Eier fra B")
    rows = read_milestones(scratch_config / f"data/{NG}/milepaeler.csv").frame.set_index("Milepæl")
    assert rows.loc[3, "Status"] == "ferdig"
    assert _summary(scratch_config) == "Svar A"


def test_a_stale_workbook_does_not_overwrite_a_newer_status_note(scratch_config, tmp_path, capsys):
    """Two workbooks for the same period (made before either came back): the second one, with its
    note as pre-filled, replaced the first one's answer; with a note of its own it did so silently."""
    untouched, other = tmp_path / "urort.xlsx", tmp_path / "annen.xlsx"
    untouched.write_bytes(leader_workbook(open_register(scratch_config), NG, date(2020, 6, 1)))
    other.write_bytes(_answer(scratch_config, "Et annet svar"))
    first = tmp_path / "forste.xlsx"
    first.write_bytes(_answer(scratch_config, "Første svar"))
    assert main(["--config", str(scratch_config), "import", str(first)]) == 0
    assert main(["--config", str(scratch_config), "import", str(untouched)]) == 0
    assert _summary(scratch_config) == "Første svar"
    capsys.readouterr()
    assert main(["--config", str(scratch_config), "import", str(other)]) == 1
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "annen.xlsx:Statusnotat" in errors[0] and "changed both" in errors[0], out
    assert _summary(scratch_config) == "Første svar"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.binary(min_size=1, max_size=250).filter(
    lambda b: b"/" not in b and b"\x00" not in b and not b.startswith((b".", b"~$"))), min_size=1, max_size=4,
    unique_by=lambda b: b))
def test_any_file_name_is_taken_care_of_in_one_line(tmp_path_factory, names):
    """Whatever bytes a saved attachment's name holds: no crash, one printable line per file, the
    file moved out of the inbox with its findings beside it."""
    root = tmp_path_factory.mktemp("inbox")
    config = root / "config"
    (config / "inbox").mkdir(parents=True)
    for name in names:
        with open(os.fsencode(config / "inbox") + b"/" + name, "wb") as handle:
            handle.write(b"not a workbook")
    items = process_inbox(config, now=NOW)
    assert len(items) == len(names)
    for item in items:
        assert item.outcome == "rejected"
        line = f"{item.outcome:9} {item.file} → {item.moved_to}"
        assert len(line.splitlines()) == 1 and line.encode("utf-8")              # one line, printable
        assert len(item.findings) == 1 and len(str(item.findings[0]).splitlines()) == 1
    assert [p for p in (config / "inbox").iterdir() if p.is_file()] == []
    moved = list((config / "inbox" / "avvist").iterdir())
    assert len(moved) == 2 * len(names)
