"""The cost split reaches the municipalities that pay it (found by the county governor's case
officer): it went to the steering group and the project leader only, so in Haugaland 7 of the 10
paying municipalities never got the basis of their invoice, while partners that pay nothing did.
Now each member municipality may have a `contact:` in its council's file, and the cost split goes
to the contact of every municipality with a share in it, never to one without a share; a payer
without a contact is said (validate, and the send's summary), and the send still goes out.

The test's own config: the demo's Kongsbergregionen, its ERP project split between Notodden, Tinn,
Hjartdal and Kongsberg (project file: ``municipalities:``; by population alone, every one has
inhabitants, so each pays), Nore og Uvdal, Rollag and Flesberg not taking part ("Deltar ikke")."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"
COUNCIL = "councils/kongsbergregionen.yaml"
# the steering group (the four rådmenn) and the project leader (cc), as the project file names them
STEERING = ["radmann@kongsberg.example.no", "radmann@notodden.example.no", "radmann@tinn.example.no",
            "radmann@hjartdal.example.no"]
LEADER = "erp@kongsbergregionen.example.no"
CONTACTS = {   # municipality -> its contact in the test's council file (Hjartdal has none)
    "Notodden": "postmottak@notodden.example.no",
    "Tinn": "radmann@tinn.example.no",              # the rådmann's own address: one mail, not two
    "Kongsberg": "Okonomi@Kongsberg.example.no",
    "Rollag": "postmottak@rollag.example.no",       # takes no part: pays nothing, gets nothing
    "Flesberg": "postmottak@flesberg.example.no",   # likewise
}
PAYING_CONTACTS = ["postmottak@notodden.example.no", "okonomi@kongsberg.example.no"]   # beside STEERING


def with_contacts(config: Path) -> Path:
    council = config / COUNCIL
    for name, email in CONTACTS.items():
        text = council.read_text(encoding="utf-8")
        start = text.index(f"  - {{name: {name}, ")
        end = text.index("}}", start) + 1
        council.write_text(text[:end] + f", contact: {email}" + text[end:], encoding="utf-8")
    return config


def test_each_paying_municipality_gets_the_cost_split_once_and_the_one_without_a_contact_is_named(
        scratch_config, tmp_path, monkeypatch, capsys):
    config = with_contacts(scratch_config)
    port = free_port()
    use_smtp(config, port)
    ledger_url = f"sqlite:///{tmp_path / 'sent.db'}"
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", ledger_url)
    with SmtpServer(port=port) as server:
        code = main(["--config", str(config), "send", "costsplit", ERP, "--as-of", "2014-02-21"])
        said = capsys.readouterr()
        assert code == 0, said              # a payer without a contact does not stop the send
        again = main(["--config", str(config), "send", "costsplit", ERP, "--as-of", "2014-02-21"])
        assert again == 0, capsys.readouterr()
    arrived = Counter(r.casefold() for r in server.recorder.recipients())
    # was: the four rådmenn and the leader only; the municipalities' contacts got nothing
    assert arrived == Counter({e: 1 for e in STEERING + [LEADER] + PAYING_CONTACTS}), arrived
    assert "postmottak@rollag.example.no" not in arrived and "postmottak@flesberg.example.no" not in arrived
    # the summary names the paying municipality the document did not reach, and why
    assert "not sent to Hjartdal (pays a share): no contact address in its council's file" in said.out, said.out
    # every mail is recorded in the ledger, one row per recipient
    ledger = SentLedger(ledger_url)
    try:
        rows = ledger.rows(project=ERP)
    finally:
        ledger.close()
    assert sorted(r.recipient.casefold() for r in rows) == sorted(STEERING + [LEADER] + PAYING_CONTACTS)
    assert {r.status for r in rows} == {"sent"}
    # the municipality is addressed as an office, and gets the document its invoice rests on
    (notodden,) = [m for m in server.recorder.messages() if m["To"].addresses[0].addr_spec == CONTACTS["Notodden"]]
    assert notodden["To"].addresses[0].display_name == "Notodden kommune"
    assert notodden.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith(
        "Til Notodden kommune\n\nVedlagt følger kostnadsfordeling for ERP-prosjektet for 4 kommuner (2013\u20132014).")
    (attachment,) = notodden.iter_attachments()
    docx = tmp_path / "sent.docx"
    docx.write_bytes(attachment.get_content())
    text = all_text(docx)
    assert "Rollag" in text and "Deltar ikke" in text      # the split it got shows who takes no part


def test_two_senders_at_once_give_each_paying_municipality_one_copy(scratch_config, tmp_path):
    from .test_concurrent_send import GRANTFLOW, SlowRecorder

    config = with_contacts(scratch_config)
    port = free_port()
    use_smtp(config, port, retry={"attempts": 4, "backoff_seconds": [0.2, 0.2, 0.2]})
    env = dict(os.environ, GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"),
               GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp_path / 'sent.db'}")
    base = [str(GRANTFLOW), "--config", str(config)]
    where = ["costsplit", ERP, "--as-of", "2014-02-21"]
    made = subprocess.run(base + ["render", *where], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    server = SmtpServer(port=port)
    server.recorder = SlowRecorder()
    server.controller.handler = server.recorder
    with server:
        procs = [subprocess.Popen(base + ["send", *where], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    arrived = Counter(r.casefold() for r in server.recorder.recipients())
    assert arrived == Counter({e: 1 for e in STEERING + [LEADER] + PAYING_CONTACTS}), arrived


def test_validate_names_the_paying_municipality_without_a_contact(scratch_config, capsys):
    config = with_contacts(scratch_config)
    assert main(["--config", str(config), "validate", str(config / "projects" / f"{ERP}.yaml")]) == 0
    out = capsys.readouterr().out
    found = [line for line in out.splitlines() if "contact address" in line or ".contact:" in line]
    lines = (config / COUNCIL).read_text(encoding="utf-8").splitlines()
    hjartdal = next(n for n, line in enumerate(lines, 1) if "{name: Hjartdal," in line)
    assert len(found) == 1 and found[0].startswith("WARNING "), found
    assert found[0].endswith(
        f"{COUNCIL}:{hjartdal} municipalities[6].contact: Hjartdal pays a share of the cost split of "
        "ERP-prosjektet for 4 kommuner but has no contact address: the cost split is not sent to Hjartdal "
        "(add contact: with the municipality's e-mail address)"), found


def test_validate_says_once_when_no_paying_municipality_has_a_contact(config_dir, capsys):
    """The demo as shipped gives no contacts: one line for the project, not one per municipality
    (named in the council's order, as the cost split lists them)."""
    main(["--config", str(config_dir), "validate", str(config_dir / "projects" / f"{ERP}.yaml")])
    out = capsys.readouterr().out
    found = [line for line in out.splitlines() if "contact address" in line or ".contact:" in line]
    assert len(found) == 1 and found[0].startswith("WARNING ") and f"{COUNCIL}:" in found[0], found
    assert found[0].endswith("municipalities: none of the 4 municipalities that pay a share of the cost split of "
                             "ERP-prosjektet for 4 kommuner (Tinn, Notodden, Kongsberg, Hjartdal) has a contact "
                             "address: the cost split goes to none of them (add contact: with each municipality's "
                             "e-mail address)"), found


def test_a_contact_that_is_no_address_is_an_error_naming_its_line(scratch_config, capsys):
    council = scratch_config / COUNCIL
    replace_in(council, "{name: Tinn, population: {2013: 5962}}",
               "{name: Tinn, population: {2013: 5962}, contact: \"Tinn <postmottak@tinn.example.no>\\nBcc: x@y.no\"}")
    assert main(["--config", str(scratch_config), "validate"]) == 1
    lines = council.read_text(encoding="utf-8").splitlines()
    tinn = next(n for n, line in enumerate(lines, 1) if "{name: Tinn," in line)
    found = [line for line in capsys.readouterr().out.splitlines() if ".contact:" in line]
    assert len(found) == 1 and found[0].startswith("ERROR") and f"{COUNCIL}:{tinn} municipalities[0].contact:" \
        in found[0], found
