"""Paths on the command line and in messages: one problem is one line naming the real file, and a
file grantflow was not meant to write is left as it was."""

from __future__ import annotations

import os
import shutil

import pytest

from grantflow.cli import main

from ..conftest import CONFIG
from .test_cli_inputs import run as run_cli

ERP = "projects/kongsbergregionen-erp.yaml"


def run(capsys, *args) -> tuple[int, list[str], list[str]]:
    """test_cli_inputs' run, with the printed lines split."""
    code, out, err = run_cli(capsys, *args)
    return code, out.splitlines(), err


# --- a line break in a path cannot forge a line -------------------------------------------

def test_a_project_file_named_with_a_line_break_is_one_escaped_finding(scratch_config, capsys):
    """A file $'x\\nERROR   spoof.yaml' made validate print a second, forged 'ERROR' line."""
    shutil.copy(scratch_config / ERP, scratch_config / "projects" / "x\nERROR   spoof.yaml")
    code, out, _ = run(capsys, scratch_config, "validate")
    assert code == 1
    assert all(line.startswith(("ERROR   ", "WARNING ")) for line in out), out
    assert not any(line.startswith("ERROR   spoof.yaml") for line in out), out
    spoof = [line for line in out if "spoof" in line]
    assert len(spoof) == 1 and "projects/x\\nERROR   spoof.yaml:" in spoof[0], spoof


def test_a_config_path_with_a_line_break_is_one_escaped_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "conf\nERROR   x", "sent")
    assert code == 1 and out == [] and err == ["error: conf\\nERROR   x: config folder not found"]


# --- deadlines --ics writes a calendar file and nothing else --------------------------------

def test_ics_onto_a_project_file_is_refused_and_the_file_is_untouched(scratch_config, capsys, monkeypatch):
    """`--ics config/projects/kongsbergregionen-erp.yaml` replaced the project with iCalendar text."""
    monkeypatch.chdir(scratch_config.parent)
    before = (scratch_config / ERP).read_bytes()
    code, out, err = run(capsys, scratch_config, "deadlines", "--from", "2016-01-01", "--ics", f"config/{ERP}")
    assert code == 1 and out == []
    assert err == [f"error: config/{ERP}: --ics: the calendar file name must end in .ics; nothing written"]
    assert (scratch_config / ERP).read_bytes() == before


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "a special file (a device or a pipe)"),
    (lambda p: os.symlink("/dev/null", p), "a symbolic link"),
    (lambda p: p.mkdir(), "a folder"),
])
def test_ics_onto_what_is_not_a_regular_file_is_refused(tmp_path, capsys, monkeypatch, make, kind):
    """As root `--ics /dev/full` replaced the device with a file."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "frister.ics"
    make(target)
    before = os.lstat(target)
    code, out, err = run(capsys, CONFIG, "deadlines", "--from", "2016-01-01", "--ics", "frister.ics")
    assert code == 1 and out == []
    assert err == [f"error: frister.ics: --ics: is {kind}, not a file grantflow may replace; nothing written"]
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frister.ics"]


def test_ics_writes_and_rewrites_a_calendar_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):                        # an existing calendar file is replaced
        code, out, _ = run(capsys, CONFIG, "deadlines", "--from", "2016-01-01", "--ics", "frister.ics")
        assert code == 0 and out[-1].startswith("wrote frister.ics (")
    assert (tmp_path / "frister.ics").read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_workbook_onto_a_folder_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bok.xlsx").mkdir()
    code, out, err = run(capsys, CONFIG, "workbook", "haugaland-velferdsteknologi", "--as-of", "2016-10-07",
                         "-o", "bok.xlsx")
    assert code == 1 and out == []
    assert err == ["error: bok.xlsx: --out: is a folder, not a file grantflow may replace; nothing written"]


# --- --config is the config folder for every command ---------------------------------------

HAUG_FILE = "projects/haugaland-velferdsteknologi.yaml"


def _validate(capsys, *args) -> tuple[int, list[str]]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out.splitlines()


def test_config_given_as_a_file_in_the_folder_validates_the_whole_folder(scratch_config, capsys):
    """`--config FOLDER/grantflow.yaml validate` said "0 error(s), 0 warning(s)", exit 0, for a folder
    with errors, while `render` with the same --config used (and refused) the whole folder."""
    text = (scratch_config / HAUG_FILE).read_text(encoding="utf-8")
    (scratch_config / HAUG_FILE).write_text(text.replace("equal_percent: 30", "equal_percent: 101", 1),
                                            encoding="utf-8")
    whole = _validate(capsys, "--config", str(scratch_config), "validate")
    assert whole[0] == 1 and any(f"{HAUG_FILE}:32 split.equal_percent" in line for line in whole[1])
    for given in ("grantflow.yaml", "councils/haugaland-vekst.yaml", ERP):
        assert _validate(capsys, "--config", str(scratch_config / given), "validate") == whole, given
    # validate's own PATH: the settings or a council file stands for the folder too ...
    for given in ("grantflow.yaml", "councils/haugaland-vekst.yaml"):
        assert _validate(capsys, "validate", str(scratch_config / given)) == whole, given
    # ... and a project file is the documented way to check that one project alone
    code, out = _validate(capsys, "validate", str(scratch_config / HAUG_FILE))
    assert code == 1 and out and all(HAUG_FILE in line for line in out), out
    code, out = _validate(capsys, "validate", str(scratch_config / ERP))
    assert not any("haugaland" in line or "gudbrandsdal" in line for line in out), out


# --- a document's findings name the files in use -------------------------------------------

HAUG = "haugaland-velferdsteknologi"


@pytest.fixture
def other_config(tmp_path, monkeypatch):
    """The register in a folder not called config/, the working directory beside it."""
    shutil.copytree(CONFIG, tmp_path / "other")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "other"


def _render(capsys, *args) -> tuple[int, list[str]]:
    code = main(["--config", "other", "render", *args, "--out", "out"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    return code, [line for line in (captured.out + captured.err).splitlines() if line.strip()]


def test_a_documents_findings_name_the_config_folder_in_use(other_config, capsys):
    """With --config other, `render final` said 'note: WARNING config/data/…/notater.yaml …': a file
    of another folder (or of none)."""
    code, lines = _render(capsys, "final", HAUG)
    notes = [line for line in lines if line.startswith("note:")]
    assert code == 0 and notes
    assert not any(" config/" in line for line in lines), lines
    assert any(f"note: WARNING other/data/{HAUG}/notater.yaml evaluation.explanations." in line
               for line in notes), notes


def test_a_weight_year_without_figures_names_the_project_file_and_line(other_config, capsys):
    """`render costsplit` and `allocate` said 'error: split.weight_year: no innbyggere figure for
    Haugesund …' with no file."""
    project = other_config / "projects" / f"{HAUG}.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("  weight_year: 2014 ", "  weight_year: 2013 ", 1), encoding="utf-8")
    expected = (f"error: other/projects/{HAUG}.yaml:34: split.weight_year: no innbyggere figure for Haugesund "
                "on 1 January 2013 in haugaland-vekst: the split for 2016 is by the figures on 1 January 2013; add "
                f"them to other/councils/haugaland-vekst.yaml (Haugesund, population: 2013), or correct weight_year")
    code, lines = _render(capsys, "costsplit", HAUG, "--year", "2016")
    assert code == 1 and [line for line in lines if not line.startswith("note:")] == [expected]
    assert not (other_config.parent / "out").exists() or not list((other_config.parent / "out").rglob("*.docx"))
    code, out, err = run(capsys, "other", "allocate", HAUG, "--year", "2016")
    assert code == 1 and out == [] and err == [expected]
