"""Paths on the command line and in messages: one problem is one line naming the real file, and a
file grantflow was not meant to write is left as it was."""

from __future__ import annotations

import os
import shutil

import pytest

from grantflow.cli import main

from ..conftest import CONFIG

ERP = "projects/kongsbergregionen-erp.yaml"


def run(capsys, *args) -> tuple[int, list[str], list[str]]:
    try:
        code = main(["--config", str(args[0]), *args[1:]])
    except SystemExit as exc:                 # argparse refuses a value
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    return code, captured.out.splitlines(), [line for line in captured.err.splitlines() if line.strip()]


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
