"""A workbook is read by the cells it holds: one far cell (XFD1048576) in a 5 KB file is one
finding naming the cell, in little memory and time, never a padded read of 17 billion cells.

The CLI runs in a subprocess with an address-space limit so a regression cannot take the
machine down (it fails with MemoryError inside the limit instead)."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl

from grantflow.register import open_register
from tests.unit._workbook import leader_workbook

ROOT = Path(__file__).resolve().parent.parent.parent
HAUG = "haugaland-velferdsteknologi"
LEDGER = "data/kongsbergregionen-erp/regnskap.xlsx"
LIMIT = 2_000_000_000          # bytes of address space; the demo config needs a few hundred MB


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(config), *args],
                          capture_output=True, text=True, cwd=ROOT, preexec_fn=_limit, timeout=300)


def _set_cell(path: Path, sheet: str | None, cell: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    ws[cell] = value
    wb.save(path)


def _inflate_dimension(path: Path, member: str) -> None:
    """Rewrite ``member``'s <dimension> to claim the whole grid (the cells stay as they are)."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == member:
                data, n = re.subn(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                assert n == 1
            z.writestr(info.filename, data)


def _sheet_member(path: Path, title: str) -> str:
    """The zip member of sheet ``title`` (openpyxl numbers them in order)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(title) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


def _error_lines(proc) -> list[str]:
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith(("ERROR", "error"))]


def test_ledger_far_cell_is_one_error_naming_the_cell(scratch_config):
    _set_cell(scratch_config / LEDGER, None, "XFD1048576", "x")
    assert (scratch_config / LEDGER).stat().st_size < 10_000
    proc = _cli(scratch_config, "validate")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    assert "Traceback" not in out and "MemoryError" not in out
    hits = [line for line in _error_lines(proc) if "regnskap.xlsx" in line]
    assert len(hits) == 1, out[-2000:]
    assert "sheet 'Regnskap', cell XFD1048576" in hits[0] and "outside the table" in hits[0]


def test_ledger_far_cell_in_the_header_row(scratch_config):
    _set_cell(scratch_config / LEDGER, None, "XFD1", "Merknad")
    proc = _cli(scratch_config, "validate")
    hits = [line for line in _error_lines(proc) if "regnskap.xlsx" in line]
    assert proc.returncode == 1 and len(hits) == 1, (proc.stdout + proc.stderr)[-2000:]
    assert "cell XFD1" in hits[0]


def test_ledger_inflated_dimension_reads_as_before(scratch_config, config_dir):
    before = _cli(config_dir, "validate")
    _inflate_dimension(scratch_config / LEDGER, "xl/worksheets/sheet1.xml")
    after = _cli(scratch_config, "validate")
    # The same findings as the untouched demo config (paths differ only by the config folder).
    assert after.returncode == before.returncode
    assert [line.split(" ", 1)[0] + line.split("config/", 1)[-1] for line in _error_lines(after)] == \
        [line.split(" ", 1)[0] + line.split("config/", 1)[-1] for line in _error_lines(before)]
    # nothing of the ledger but its old export (last row long before the project's end), as before
    assert [l.split("config/", 1)[-1] for l in (after.stdout + after.stderr).splitlines() if "regnskap.xlsx" in l] == \
        [l.split("config/", 1)[-1] for l in (before.stdout + before.stderr).splitlines() if "regnskap.xlsx" in l]


def test_ledger_formula_without_value_is_refused(scratch_config):
    _set_cell(scratch_config / LEDGER, None, "G3", "=1+1")     # openpyxl saves no computed value
    proc = _cli(scratch_config, "validate")
    hits = [line for line in _error_lines(proc) if "regnskap.xlsx" in line]
    assert proc.returncode == 1 and len(hits) == 1, (proc.stdout + proc.stderr)[-2000:]
    assert "cell G3: a formula without a computed value" in hits[0]


def _workbook(config: Path, path: Path) -> Path:
    path.write_bytes(leader_workbook(open_register(config), HAUG, date(2016, 10, 7)))
    return path


def _stable(text: str) -> str:
    """The output without the import log's time stamp and file hash, and the note's reported_at
    (a named return for a date without a note is written, stamped with the import's second)."""
    text = re.sub(r"reported_at: \S+ \S+", "reported_at: TIME", text)
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:+]+;(.*);[0-9a-f]{64};", r"TIME;\1;HASH;", text)     # the full SHA-256


def _files(config: Path) -> dict[str, bytes]:
    return {str(p.relative_to(config)): p.read_bytes() for p in sorted(config.rglob("*")) if p.is_file()}


def test_workbook_far_cell_is_one_finding_and_nothing_written(scratch_config, tmp_path):
    path = _workbook(scratch_config, tmp_path / "wb.xlsx")
    _set_cell(path, "Milepælstatus", "XFD1048576", "x")
    assert path.stat().st_size < 100_000
    before = _files(scratch_config)
    proc = _cli(scratch_config, "import", str(path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-2000:]
    assert "Traceback" not in out and "MemoryError" not in out
    hits = _error_lines(proc)
    assert len(hits) == 1, out[-2000:]
    assert "wb.xlsx:Milepælstatus:1048576 XFD1048576" in hits[0] and "outside the table" in hits[0]
    assert _files(scratch_config) == before


def test_workbook_inflated_dimension_imports_as_before(scratch_config, tmp_path):
    path = _workbook(scratch_config, tmp_path / "wb.xlsx")
    _set_cell(path, "Milepælstatus", "F2", "levert til styringsgruppen")
    plain = _cli(scratch_config, "import", str(path), "--dry-run")
    assert plain.returncode == 0 and "0 error(s)" in plain.stdout + plain.stderr
    for title in ("Milepælstatus", "Prosjekt", "_grantflow"):
        _inflate_dimension(path, _sheet_member(path, title))
    inflated = _cli(scratch_config, "import", str(path), "--dry-run")
    assert inflated.returncode == 0
    assert _stable(inflated.stdout + inflated.stderr) == _stable(plain.stdout + plain.stderr)
    assert "levert til styringsgruppen" in inflated.stdout + inflated.stderr


def test_ledger_merged_cells_in_the_table_are_refused(scratch_config):
    path = scratch_config / LEDGER
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws["D1"].value == "Beskrivelse" and ws["D3"].value and ws["D4"].value
    ws.merge_cells("D3:D4")            # the description of row 4 would be read as blank
    wb.save(path)
    proc = _cli(scratch_config, "validate")
    hits = [line for line in _error_lines(proc) if "regnskap.xlsx" in line]
    assert proc.returncode == 1 and len(hits) == 1, (proc.stdout + proc.stderr)[-2000:]
    assert "sheet 'Regnskap', cells D3:D4: merged cells in the table" in hits[0]
