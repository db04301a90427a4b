"""A member's years ({name: Dal, until: 2025}, {name: Elv, from: 2026}) survive the project leader's
answer (session 23). The workbook and the status form list the participants by name only; what
comes back must leave the years, and the YAML line holding them, as the secretariat wrote them.
Before: the status form's answer rewrote the line as `municipalities: [Åsen, Berg, Dal, Elv]`, and
a workbook with Elv retyped "elv" as `[Åsen, Berg, {name: Dal, until: 2025}, elv]`: Elv was then
billed for 2024 and 2025 (Dal for 2026 after the form), silently, for years not yet invoiced.

The project is the tester's Vestfjell project (tests/delivery/fjell/) copied into a scratch config,
with Dal leaving after 2025 and Elv joining in 2026; the workbook is made with `grantflow workbook`,
edited with openpyxl and taken in by `grantflow inbox`. Expected figures are computed here from the
council file's population, never by grantflow."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.intake import apply
from grantflow.register import open_register
from grantflow.statusform import initial_form, plan_form

from ..conftest import replace_in
# the figures by hand (population, amounts, 30/70 split with largest remainders), as the
# members-by-year delivery tests compute them for the same tester's project
from ..delivery.test_members_by_year import AMOUNT, by_hand, kr
from ..docx_text import find_table
from ._workbook import key_rows

FIXTURE = Path(__file__).resolve().parents[1] / "delivery" / "fjell"
MEMBERS = "municipalities: [Åsen, Berg, {name: Dal, until: 2025}, {name: Elv, from: 2026}]"
AS_OF = "2026-02-20"
PAYERS = {2024: ["Åsen", "Berg", "Dal"], 2025: ["Åsen", "Berg", "Dal"], 2026: ["Åsen", "Berg", "Elv"]}
OUTSIDE = {2024: ("Elv", "Deltar fra 2026"), 2025: ("Elv", "Deltar fra 2026"), 2026: ("Dal", "Ute fra 2026")}

@pytest.fixture
def fjell(scratch_config, tmp_path, monkeypatch) -> Path:
    shutil.copy(FIXTURE / "vestfjell.yaml", scratch_config / "councils" / "vestfjell.yaml")
    shutil.copy(FIXTURE / "fjell-digi.yaml", scratch_config / "projects" / "fjell-digi.yaml")
    replace_in(scratch_config / "projects" / "fjell-digi.yaml", "municipalities: [Åsen, Berg, Dal]", MEMBERS)
    data = scratch_config / "data" / "fjell-digi"
    data.mkdir()
    for name in ("milepaeler.csv", "notater.yaml", "regnskap.csv"):
        shutil.copy(FIXTURE / name, data / name)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    return scratch_config


def assert_billed_by_year(config: Path, tmp_path: Path, capsys) -> None:
    """The cost split's year tables: each year's members and their shares, by hand; the one
    outside the year says when it takes part."""
    assert main(["--config", str(config), "render", "costsplit", "fjell-digi", "--as-of", AS_OF]) == 0
    capsys.readouterr()
    doc = tmp_path / "outputs" / "vestfjell" / "fjell-digi" / "costsplit-2024-2026.docx"
    for year, names in PAYERS.items():
        table = find_table(doc, "Kommune", f"Innbyggere 1.1.{year}")
        cells = {row[0]: row[4] for row in table[1:]}
        assert {n: cells[n] for n in names} == {n: kr(a) for n, a in by_hand(year, names).items()}, year
        assert cells["Sum"] == kr(AMOUNT[year])
        outside, shown = OUTSIDE[year]
        assert cells[outside] == shown, (year, cells)
    # the figures themselves, once, as a reader checks them
    assert by_hand(2026, PAYERS[2026])["Elv"] == 164475 and by_hand(2024, PAYERS[2024])["Dal"] == 91899


def returned(config: Path, tmp_path: Path, capsys, edit) -> tuple[int, str]:
    """`grantflow workbook` for the status date, ``edit(wb)`` as the leader answers it, saved in the
    inbox and taken in by `grantflow inbox`: the exit code and all it printed."""
    made = tmp_path / "fjell-digi.xlsx"
    assert main(["--config", str(config), "workbook", "fjell-digi", "--as-of", AS_OF, "-o", str(made)]) == 0
    wb = openpyxl.load_workbook(made)
    note = wb["Statusnotat"]
    note.cell(key_rows(note)["reported_by"], 3).value = "Pia Prosjektleder"
    edit(wb)
    (config / "inbox").mkdir(exist_ok=True)
    wb.save(config / "inbox" / "svar.xlsx")
    capsys.readouterr()
    code = main(["--config", str(config), "inbox"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    return code, text


def participants(wb) -> list:
    """The value cells of the Prosjekt sheet's participant rows (one name per row)."""
    ws = wb["Prosjekt"]
    first = key_rows(ws)["municipalities"]
    cells = [ws.cell(first, 3)]
    while ws.cell(first + len(cells), 1).value is None and ws.cell(first + len(cells), 3).value:
        cells.append(ws.cell(first + len(cells), 3))
    return cells


def test_the_workbook_shows_the_members_by_name(fjell, tmp_path):
    """(what the leader gets: the four names, no years; the test below edits around them)"""
    made = tmp_path / "wb.xlsx"
    assert main(["--config", str(fjell), "workbook", "fjell-digi", "--as-of", AS_OF, "-o", str(made)]) == 0
    assert [c.value for c in participants(openpyxl.load_workbook(made))] == ["Åsen", "Berg", "Dal", "Elv"]


def test_an_answer_that_changes_other_things_keeps_the_years(fjell, tmp_path, capsys):
    """A milestone's progress, the status note and the project's summary changed: only those change;
    the participants' line stays byte for byte and each year bills the same members."""
    project = fjell / "projects" / "fjell-digi.yaml"
    before = project.read_text(encoding="utf-8")

    def edit(wb):
        ws = wb["Milepælstatus"]
        header = [c.value for c in ws[1]]
        ws.cell(key_rows(ws)[3], header.index("Kommentar") + 1).value = "Sluttrapporten er påbegynt."
        note = wb["Statusnotat"]
        note.cell(key_rows(note)["summary"], 3).value = "Elv er med fra i år."
        sheet = wb["Prosjekt"]
        sheet.cell(key_rows(sheet)["summary"], 3).value = "Digital hjemmeoppfølging i fire kommuner."

    code, text = returned(fjell, tmp_path, capsys, edit)
    assert code == 0 and "imported  svar.xlsx" in text, text
    assert project.read_text(encoding="utf-8") == before.replace(
        "summary: Test av kostnadsfordeling.", "summary: Digital hjemmeoppfølging i fire kommuner.")
    assert "3;pågår;;Sluttrapporten er påbegynt." in (fjell / "data/fjell-digi/milepaeler.csv").read_text("utf-8")
    assert_billed_by_year(fjell, tmp_path, capsys)


@pytest.mark.parametrize("old, typed", [("Elv", "elv"), ("Dal", "DAL")])
def test_a_participant_retyped_in_another_case_keeps_its_years(fjell, tmp_path, capsys, old, typed):
    """The same municipality typed over in another case (Excel's autocomplete, a leader retyping the
    list) is no change of the participants, so the import goes on; the register's spelling and years
    stay. Before: the line became `[Åsen, Berg, {name: Dal, until: 2025}, elv]` and Elv paid for
    2024 and 2025 (`DAL`: Dal for 2026)."""
    project = fjell / "projects" / "fjell-digi.yaml"
    before = project.read_text(encoding="utf-8")

    def edit(wb):
        cell = next(c for c in participants(wb) if c.value == old)
        cell.value = typed
        sheet = wb["Prosjekt"]
        sheet.cell(key_rows(sheet)["summary"], 3).value = "Digital hjemmeoppfølging i fire kommuner."

    code, text = returned(fjell, tmp_path, capsys, edit)
    assert code == 0 and "imported  svar.xlsx" in text, text
    after = project.read_text(encoding="utf-8")
    assert MEMBERS + "\n" in after, after
    assert after == before.replace("summary: Test av kostnadsfordeling.",
                                   "summary: Digital hjemmeoppfølging i fire kommuner.")
    assert_billed_by_year(fjell, tmp_path, capsys)


@pytest.mark.parametrize("change", ["drop Dal", "Elv first"])
def test_the_participants_themselves_are_not_the_workbooks_to_change(fjell, tmp_path, capsys, change):
    """Dal, who left, deleted from the list: refused whole in one line, the YAML as it was. The list
    in another order is no change of who pays: taken in, and the years stay with their names."""
    project = fjell / "projects" / "fjell-digi.yaml"
    before = project.read_text(encoding="utf-8")

    def edit(wb):
        cells = participants(wb)
        names = [c.value for c in cells]
        names = [n for n in names if n != "Dal"] + [None] if change == "drop Dal" else ["Elv"] + names[:-1]
        for cell, name in zip(cells, names):
            cell.value = name

    code, text = returned(fjell, tmp_path, capsys, edit)
    if change == "drop Dal":
        assert code == 1, text
        errors = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR")]
        assert len(errors) == 1 and "Deltakende kommuner: cannot be changed by a returned workbook" in errors[0], text
        assert project.read_text(encoding="utf-8") == before
    else:
        assert code == 0, text
        assert "municipalities: [{name: Elv, from: 2026}, Åsen, Berg, {name: Dal, until: 2025}]\n" in \
            project.read_text(encoding="utf-8")
    assert_billed_by_year(fjell, tmp_path, capsys)


def test_the_status_forms_answer_keeps_the_years(fjell, tmp_path, capsys):
    """The status cycle's form (the Prefect UI) writes through the same import. Before: every answer
    rewrote the line as `municipalities: [Åsen, Berg, Dal, Elv]` (Elv billed for 2024 and 2025,
    Dal for 2026); now the project's YAML is not touched at all."""
    project = fjell / "projects" / "fjell-digi.yaml"
    before = project.read_bytes()
    register = open_register(fjell)
    offered = initial_form(register, "fjell-digi", date.fromisoformat(AS_OF))
    answer = offered.model_copy(deep=True)
    answer.summary, answer.reported_by = "Elv er med fra i år.", "Pia Prosjektleder"
    answer.milestones[2].comment = "Sluttrapporten er påbegynt."
    result = plan_form(register, "fjell-digi", answer, date.fromisoformat(AS_OF), base=offered)
    assert result.ok, result.findings
    apply(result)
    assert project.read_bytes() == before
    assert "3;pågår;;Sluttrapporten er påbegynt." in (fjell / "data/fjell-digi/milepaeler.csv").read_text("utf-8")
    assert_billed_by_year(fjell, tmp_path, capsys)


def test_an_entry_written_with_its_name_only_keeps_its_spelling(fjell, tmp_path, capsys):
    """`{name: Berg}` (a participant in every year, written as the others are): an answer that
    changes the project's summary leaves it as written. Before: it came back as `Berg`."""
    project = fjell / "projects" / "fjell-digi.yaml"
    replace_in(project, MEMBERS, MEMBERS.replace(" Berg,", " {name: Berg},"))
    before = project.read_text(encoding="utf-8")

    def edit(wb):
        sheet = wb["Prosjekt"]
        sheet.cell(key_rows(sheet)["summary"], 3).value = "Digital hjemmeoppfølging i fire kommuner."

    code, text = returned(fjell, tmp_path, capsys, edit)
    assert code == 0 and "imported  svar.xlsx" in text, text
    assert project.read_text(encoding="utf-8") == before.replace(
        "summary: Test av kostnadsfordeling.", "summary: Digital hjemmeoppfølging i fire kommuner.")
    assert "[Åsen, {name: Berg}, {name: Dal, until: 2025}, {name: Elv, from: 2026}]" in before
    assert_billed_by_year(fjell, tmp_path, capsys)
