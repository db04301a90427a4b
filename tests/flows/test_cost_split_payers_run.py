"""A cost split run through Prefect (`grantflow run costsplit`, as the deadline watch starts it on
invoicing day) reaches the paying municipalities as `grantflow send` does, and the run says which
paying municipality it could not reach (see tests/delivery/test_cost_split_payers.py)."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy

from grantflow.cli import main

from ..delivery.test_cost_split_payers import ERP, LEADER, PAYING_CONTACTS, STEERING, with_contacts


def test_a_cost_split_run_reaches_each_paying_municipality_once_and_names_the_one_without_a_contact(
        isolated, scratch_config, capsys):
    config = with_contacts(scratch_config)
    argv = ["--config", str(config), "run", "costsplit", ERP, "--year", "2014", "--as-of", "21.02.2014", "--yes"]
    assert main(argv) == 0
    said = capsys.readouterr()
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (isolated / "outputs" / "outbox").glob("*.eml")]
    to = Counter(m["To"].addresses[0].addr_spec.casefold() for m in mails)
    # was: the four rådmenn and the project leader only
    assert to == Counter({e: 1 for e in STEERING + [LEADER] + PAYING_CONTACTS}), to
    assert "not sent to Hjartdal (pays a share): no contact address in its council's file" in said.err, said
