"""The mail of a corrected yearly usage report lists every key figure and status that changed.

An outside tester (county governor's case officer) got "Endret fra versjon 1:" with only "Brukt per
31.12" and "Ubrukt" beside a changed Status column, and a v3 listing Tildelt, Brukt, Prosjekter but
not the new "Merforbruk: 18 469 kr", the figure a case officer needs most.

Nord-Gudbrandsdal's demo project (period 01.07.2019–30.06.2021) has one award letter, 1 400 000 kr
for 2019 (fm-innlandet), and six ledger rows on it: 3 × 66 000 + 3 × 67 500 = 400 500 kr spent,
999 500 kr unused per 31.12.2021.
"""

from __future__ import annotations

import pytest


from ..smtp_server import smtp_sender

NBSP = "\u00a0"
NG = "smart-velferdsregion-nord-gudbrandsdal"


@pytest.fixture
def send(scratch_config, tmp_path, monkeypatch):
    return smtp_sender(scratch_config, tmp_path, monkeypatch, "--override-reason", "kjent differanse")


def _governor_body(mails, version: int) -> str:
    (mail,) = [m for m in mails if f"erstatter versjon {version - 1}" in str(m["Subject"])
               and "nord-gudbrandsdal" not in str(m["To"]).casefold()]
    return mail.get_body(("plain",)).get_content().replace(NBSP, " ").replace("\r\n", "\n")


def test_a_new_overspending_and_a_changed_status_are_in_the_change_list(scratch_config, send):
    usage = ("usage", "--council", "nord-gudbrandsdal", "--year", "2021", "--as-of", "2022-01-25")
    assert send(*usage)                                    # v1: 03–07 not delivered (no final report)
    # the final report dated 20.01.2022, before the usage report's 25.01.2022: milestone 07
    # (final_report: true) goes with it
    assert send("final", NG, "--as-of", "2022-01-20")
    mails = send(*usage)
    body = _governor_body(mails, 2)
    assert ("- Status, Smart velferdsregion Nord-Gudbrandsdal: Avsluttet: Milepælene 03, 04, 05, 06 og 07 er "
            "ikke levert. → Avsluttet: Milepælene 03, 04, 05 og 06 er ikke levert; milepæl 07 ble levert med "
            "sluttrapporten 20. januar 2022.\n") in body, body
    # one more row on the grant: 999 500 + 18 469 kr, so the grant is overspent by 18 469 kr
    ledger = scratch_config / "data" / NG / "regnskap.csv"
    with ledger.open("a", encoding="utf-8") as fh:
        fh.write("15.06.2021;2021;Prosjektleder og prosessadministrasjon;Lønn prosjektleder;1 017 969;fm-innlandet;\n")
    body = _governor_body(send(*usage), 3)
    assert "Endret fra versjon 2:\n\n" in body, body
    assert "- Brukt per 31.12: 400 500 kr → 1 418 469 kr\n" in body, body
    assert "- Ubrukt: 999 500 kr → 0 kr\n" in body, body
    assert "- Merforbruk: 0 kr → 18 469 kr\n" in body, body
