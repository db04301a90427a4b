"""A workbook saved in config/inbox/ reaches the next status report (status flow and deadline_watch)."""

from datetime import date

import openpyxl

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions, status_report
from grantflow.register import open_register
from tests.unit._workbook import leader_workbook

from ..docx_text import all_text

HAUG = "haugaland-velferdsteknologi"


def _returned(config, name, summary, as_of):
    inbox = config / "inbox"
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(leader_workbook(open_register(config), HAUG, as_of))
    wb = openpyxl.load_workbook(path)
    ws = wb["Statusnotat"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "summary")
    ws.cell(row, 3).value = summary
    wb.save(path)
    return path


def test_status_flow_takes_the_returned_workbook_first(isolated, scratch_config):
    _returned(scratch_config, "svar.xlsx", "Oppsummering fra arbeidsboka i innboksen.", date(2016, 10, 5))
    result = status_report(project=HAUG, as_of=date(2016, 10, 7),
                           options=DeliveryOptions(config=str(scratch_config), send=False))
    assert "Oppsummering fra arbeidsboka i innboksen." in all_text(result["docx"])
    assert list((scratch_config / "inbox" / "behandlet").glob("*svar.xlsx"))
    assert not list((scratch_config / "inbox").glob("*.xlsx"))


def test_deadline_watch_reads_the_inbox(isolated, scratch_config):
    _returned(scratch_config, "svar2.xlsx", "Levert via innboksen til fristvakta.", date(2017, 1, 2))
    deadline_watch(as_of=date(2017, 1, 3), options=DeliveryOptions(config=str(scratch_config), send=False))
    text = (scratch_config / "data" / HAUG / "notater.yaml").read_text(encoding="utf-8")
    assert "Levert via innboksen til fristvakta." in text
    assert list((scratch_config / "inbox" / "behandlet").glob("*svar2.xlsx"))
