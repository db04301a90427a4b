"""A returned workbook may change the project leader's data, not who receives the documents, where
the data files are, or how costs are split (an outside tester acting as an attacker with a project
leader's access, session 22, findings 1, 2, 3 and 7). The workbooks in ``attack22/`` are the
tester's own, made with ``grantflow workbook`` and edited with openpyxl; each goes in the way the
README says (saved in ``config/inbox/``, taken in by ``grantflow inbox``, which the morning watch
and the status cycle run too)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest

from grantflow.cli import main
from tests.smtp_server import SmtpServer, free_port, use_smtp
from tests.unit._workbook import errors, file_bytes, on_record, run_inbox  # noqa: F401 (errors: used by the tests below)

ATTACK = Path(__file__).parent / "attack22"
HAUG = "haugaland-velferdsteknologi"
ERP = "kongsbergregionen-erp"
NG = "smart-velferdsregion-nord-gudbrandsdal"


def inbox(config: Path, workbook: str, capsys) -> tuple[int, str]:
    """Save the tester's ``workbook`` in the inbox as svar.xlsx and run `grantflow inbox`. The tester's
    workbooks were made before ids were recorded: each is put on record first, as issued for the
    project and date it names (what is tested here is what an issued workbook may change)."""
    (config / "inbox").mkdir(exist_ok=True)
    shutil.copy(ATTACK / workbook, config / "svar.xlsx")
    os.rename(on_record(config, config / "svar.xlsx"), config / "inbox" / "svar.xlsx")
    return run_inbox(config, capsys)


def register_files(config: Path) -> dict[str, bytes]:
    """Every file of the config folder but the inbox's, the import log (which records the refusal)
    and the record of issued workbooks."""
    return {name: data for name, data in file_bytes(config).items()
            if not name.startswith("inbox/") and not name.endswith(("innlesinger.csv", "arbeidsboker.csv"))}


def log_rows(config: Path, project: str) -> list[list[str]]:
    text = (config / "data" / project / "innlesinger.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]


# --- what the tester did: each is refused in one line, nothing of the register changes -----------

@pytest.mark.parametrize("workbook,line", [
    # finding 1: Prosjekt:recipients={status: {to: [steering_group, innsyn@evil.example]}}
    ("wb-erp-recip.xlsx", "svar.xlsx:Prosjekt:66 Mottakere per dokumenttype (YAML): cannot be changed by a "
                          "returned workbook: it decides who receives the project's documents"),
    # finding 3: Prosjekt:split.equal_percent=100
    ("wb-split-100.xlsx", "svar.xlsx:Prosjekt:45 Kostnadsfordeling – prosent likt: cannot be changed by a "
                          "returned workbook: it decides how the costs are split between the municipalities"),
    # finding 2b: data.notes: grantflow.yml
    ("wb-notes-yml.xlsx", "svar.xlsx:Prosjekt:84 Datafil – notater: cannot be changed by a returned workbook: "
                          "it decides where the project's data files are"),
    # finding 7: a steering-group name holding an address
    ("wb-erp-names.xlsx", "svar.xlsx:Styringsgruppe:2 Navn: a name cannot hold '<'"),
])
def test_a_protected_change_is_refused_in_one_line_and_nothing_is_written(scratch_config, capsys, workbook, line):
    """Before: `imported svar.xlsx → …/behandlet/…`, exit 0, and the change was in the project YAML."""
    before = register_files(scratch_config)
    code, text = inbox(scratch_config, workbook, capsys)
    assert code == 1, text
    (error,) = errors(text)
    assert error.startswith("ERROR   " + line), text
    assert "rejected  svar.xlsx" in text, text
    assert register_files(scratch_config) == before
    assert not (scratch_config / "grantflow.yml").exists()


def test_the_refusal_is_recorded_in_the_projects_import_log(scratch_config, capsys):
    code, _ = inbox(scratch_config, "wb-split-100.xlsx", capsys)
    assert code == 1
    (row,) = log_rows(scratch_config, HAUG)
    assert row[2] == "svar.xlsx", row
    assert row[4].startswith("AVVIST") and "Prosjekt:45 Kostnadsfordeling – prosent likt" in row[4], row


def test_another_projects_files_are_not_overwritten(scratch_config, capsys):
    """Before: Haugaland's workbook with data.milestones/data.notes set to Nord-Gudbrandsdal's files
    replaced all 5 rows of N-G's milepaeler.csv and added a note to its notater.yaml."""
    ng = scratch_config / "data" / NG
    milestones, notes = (ng / "milepaeler.csv").read_bytes(), (ng / "notater.yaml").read_bytes()
    code, text = inbox(scratch_config, "wb-path-a2.xlsx", capsys)
    assert code == 1, text
    assert len(errors(text)) == 2, text           # data.milestones and data.notes, one line each
    assert all("Datafil – " in e and "where the project's data files are" in e for e in errors(text)), text
    assert (ng / "milepaeler.csv").read_bytes() == milestones
    assert b"1;ferdig;02.10.2019;Prosjektleder tilsatt 1. oktober" in milestones   # the row the tester lost
    assert (ng / "notater.yaml").read_bytes() == notes


def test_every_council_still_works_after_a_workbook_naming_a_settings_file(scratch_config, capsys):
    """Before: `data.notes: grantflow.yml` wrote config/grantflow.yml, and every command of every
    council failed with "two settings files: grantflow.yaml, grantflow.yml; keep one"."""
    inbox(scratch_config, "wb-notes-yml.xlsx", capsys)
    code = main(["--config", str(scratch_config), "allocate", ERP, "--year", "2014", "--format", "csv"])
    out = capsys.readouterr()
    assert "two settings files" not in out.out + out.err
    assert code == 0 and "Kongsberg" in out.out, out


def test_the_split_invoiced_stays_the_councils(scratch_config, capsys):
    """Before: Utsira 35 114 → 112 300 kr (100 % equal). The council's key is 30 % equal: 2016's
    1 123 000 kr gives each of the 10 municipalities 1 123 000 × 0.30 / 10 = 33 690 kr equally."""
    inbox(scratch_config, "wb-split-100.xlsx", capsys)
    assert main(["--config", str(scratch_config), "allocate", HAUG, "--year", "2016", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), delimiter=";"))
    utsira = next(r for r in rows if "Utsira" in r)
    assert "33690" in utsira and "112300" not in utsira, rows


def test_a_status_report_goes_to_the_configured_recipients_only(scratch_config, tmp_path, monkeypatch, capsys):
    """Before: after the inbox took in `recipients: {status: {to: [steering_group, innsyn@evil.example]}}`,
    `send status` sent to innsyn@evil.example and dropped the project leader's copy. The ERP project's
    status report goes, by the default rule, to its 4 steering-group members, cc its leader."""
    inbox(scratch_config, "wb-erp-recip.xlsx", capsys)          # its refusal: the first test
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-09-01", "--yes"]) == 0
        recipients = sorted(server.recorder.recipients())
    assert recipients == sorted(["radmann@kongsberg.example.no", "radmann@notodden.example.no",
                                 "radmann@tinn.example.no", "radmann@hjartdal.example.no",
                                 "erp@kongsbergregionen.example.no"])


def test_a_steering_group_address_changed_in_the_sheet_is_refused(scratch_config, capsys):
    """Before: Karmøy's address changed to radmann.karmoy@evil.example in Styringsgruppe was taken in
    and the status report went there. (The tester's workbook changed the Mottakere row too.)"""
    before = register_files(scratch_config)
    code, text = inbox(scratch_config, "wb-recipients.xlsx", capsys)
    assert code == 1, text
    assert any(e.startswith("ERROR   svar.xlsx:Styringsgruppe:3 E-post: cannot be changed by a returned workbook")
               for e in errors(text)), text
    assert register_files(scratch_config) == before
    assert b"evil.example" not in (scratch_config / "projects" / f"{HAUG}.yaml").read_bytes()


def test_the_leaders_own_answer_is_still_taken_in(scratch_config, capsys):
    """The tester's unedited answer (status note only) goes in as before."""
    code, text = inbox(scratch_config, "wb-benign.xlsx", capsys)
    assert code == 0 and "imported  svar.xlsx" in text, text
    assert "AVVIST" not in (scratch_config / "data" / HAUG / "innlesinger.csv").read_text(encoding="utf-8-sig")


def test_a_name_holding_an_address_is_refused_in_the_register_too(scratch_config, capsys):
    project = scratch_config / "projects" / f"{ERP}.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("{name: Rådmannen i Tinn,",
                                    "{name: 'Kari \"Rådmann\" <sjef@evil.example>, Bcc: x@evil.example',"),
                       encoding="utf-8")
    code = main(["--config", str(scratch_config), "validate", str(project)])
    out = capsys.readouterr().out
    assert code == 1
    (line,) = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert f"{ERP}.yaml:22 " in line and "a name cannot hold '<'" in line, out
