"""Returned workbooks for the import tests (test_workbook_hostile.py, test_workbook_careless.py):
make one, change it as a project leader (or another program) would, import it, and check a refusal."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl

from grantflow.cli import main
from grantflow.intake import issue_workbook, make_workbook, register_lock
from grantflow.issued import new_id, record_issue
from grantflow.register import open_register
from tests.conftest import CONFIG

NG = "smart-velferdsregion-nord-gudbrandsdal"
HAUG = "haugaland-velferdsteknologi"


def file_bytes(config: Path) -> dict[str, bytes]:
    """Every file under ``config`` and its bytes: compare two to see that nothing was written."""
    return {str(p.relative_to(config)): p.read_bytes() for p in sorted(config.rglob("*")) if p.is_file()}


def key_rows(ws) -> dict:
    """Row number by the value in column A (a key, a milestone number, a sheet's first column)."""
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value is not None}


def field(wb, sheet: str, key: str):
    """The value cell (column C) of ``key`` in a key/value sheet (Prosjekt, Statusnotat)."""
    ws = wb[sheet]
    return ws.cell(key_rows(ws)[key], 3)


def entered(sheet: str, values: dict):
    """An edit typing ``values`` (key -> value) into the key/value sheet ``sheet``."""
    def edit(wb):
        for key, value in values.items():
            field(wb, sheet, key).value = value
    return edit


def issued(register, project: str, as_of: date) -> bytes:
    """The project's workbook as grantflow hands it out: issued, its id on record. A register of the
    demo config itself (which tests only read) gets one made without an id: nothing is written there."""
    if Path(register.root).resolve() == CONFIG.resolve():
        return make_workbook(register, project, as_of)
    return issue_workbook(register, project, as_of, how="test")


def on_record(config: Path, path: Path) -> Path:
    """Put a workbook made before ids were recorded (an outside tester's own, or one whose hidden
    status date a test moved) on record, as if issued for the project and date its hidden sheet
    names, and write its id into it."""
    wb = openpyxl.load_workbook(path)
    ws = wb["_grantflow"]
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    register = open_register(config)
    issue = new_id()
    with register_lock(register):
        record_issue(register, json.loads(meta["project"]), date.fromisoformat(json.loads(meta["as_of"])), issue,
                     to="test", how="test")
    row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "issue"), ws.max_row + 1)
    ws.cell(row, 1).value, ws.cell(row, 2).value = "issue", json.dumps(issue)
    wb.save(path)
    return path


def leader_workbook(register, project: str, as_of: date, reporter: str = "Kari Nordmann") -> bytes:
    """The project's workbook (issued) with the leader's name typed in «Rapportert av», as every
    answer has it (a workbook for a new report date leaves it empty)."""
    wb = openpyxl.load_workbook(io.BytesIO(issued(register, project, as_of)))
    field(wb, "Statusnotat", "reported_by").value = reporter
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_file(config: Path, path: Path, edit=None, project=NG, as_of=date(2020, 6, 1)) -> Path:
    """The project's workbook as the leader answers it (named as reporting), written to ``path``
    after ``edit(wb)``."""
    path.write_bytes(leader_workbook(open_register(config), project, as_of))
    if edit is not None:
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
    return path


def run_import(config: Path, path: Path, capsys, *extra) -> tuple[int, list[str], str]:
    """`grantflow import path`: its exit code, its error lines and all it printed (never a traceback)."""
    code = main(["--config", str(config), "import", str(path), *extra])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    errors = [line for line in text.splitlines() if line.startswith(("ERROR", "error:"))]
    return code, errors, text


def refusals(config: Path, path: Path, capsys, count: int | None = 1, unchanged: bool = True) -> list[str]:
    """Import ``path``, which must be refused: exit 1 with ``count`` error lines (None: any number)
    and, if ``unchanged``, every file under ``config`` as it was, byte for byte. Returns the lines."""
    before = file_bytes(config)
    code, errors, text = run_import(config, path, capsys)
    assert code == 1 and (count is None or len(errors) == count), text
    if unchanged:
        assert file_bytes(config) == before
    return errors


def refused(config: Path, path: Path, capsys) -> str:
    """Import ``path``, which must be refused with exactly one error line and nothing written;
    returns that line for the test's own checks (sheet:row, field, wording)."""
    return refusals(config, path, capsys)[0]


def sheet_member(path: Path, title: str) -> str:
    """The zip member holding sheet ``title``."""
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(title) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


def patch_cell(path: Path, title: str, ref: str, xml: str) -> None:
    """Replace cell ``ref`` of sheet ``title`` by raw XML, as another program would have saved it."""
    member = sheet_member(path, title)
    with zipfile.ZipFile(path) as z:
        items = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == member:
                data, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), xml.encode(), data, count=1)
                assert n == 1, ref
            z.writestr(name, data)


def run_inbox(config: Path, capsys) -> tuple[int, str]:
    """`grantflow inbox` on ``config``: exit code and all it printed (never a traceback)."""
    code = main(["--config", str(config), "inbox"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    return code, text


def errors(text: str) -> list[str]:
    """The error lines of a command's output."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith(("ERROR", "error:"))]
