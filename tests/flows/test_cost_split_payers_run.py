"""A cost split run through Prefect (`grantflow run costsplit`, as the deadline watch starts it on
invoicing day) reaches the paying municipalities as `grantflow send` does, and the run says which
paying municipality it could not reach (see tests/delivery/test_cost_split_payers.py)."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy

from grantflow.cli import main
from grantflow.text import md_text

from ..delivery.test_cost_split_payers import ERP, LEADER, PAYING_CONTACTS, STEERING, with_contacts
from .test_document_flows import artifact

SAID = "not sent to Hjartdal (pays a share): no contact address in its council's file"


def _to(folder) -> Counter:
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (folder / "outbox").glob("*.eml")]
    return Counter(m["To"].addresses[0].addr_spec.casefold() for m in mails)


def test_a_cost_split_run_reaches_each_paying_municipality_once_and_names_the_one_without_a_contact(
        isolated, scratch_config, capsys):
    config = with_contacts(scratch_config)
    argv = ["--config", str(config), "run", "costsplit", ERP, "--year", "2014", "--as-of", "21.02.2014", "--yes"]
    assert main(argv) == 0
    said = capsys.readouterr()
    to = _to(isolated / "outputs")
    # was: the four rådmenn and the project leader only
    assert to == Counter({e: 1 for e in STEERING + [LEADER] + PAYING_CONTACTS}), to
    assert SAID in said.err, said
    # the run's summary in Prefect says it too (as literal Markdown text)
    assert any(md_text(SAID) in a.data for a in artifact(f"costsplit-{ERP}")), [a.data for a in artifact(f"costsplit-{ERP}")]


def test_a_batch_of_cost_splits_reaches_the_paying_municipalities_and_lists_the_one_without_a_contact(
        isolated, scratch_config):
    from datetime import date

    from flows.batch import make_batch
    from flows.documents import DeliveryOptions

    config = with_contacts(scratch_config)
    result = make_batch(1, "threads")(kind="costsplit", projects=[ERP], period="2014", as_of=date(2014, 2, 21),
                                      options=DeliveryOptions(config=str(config), send=True))
    assert not result["errors"] and not result["held"], result
    to = _to(isolated / "outputs")
    assert to == Counter({e: 1 for e in STEERING + [LEADER] + PAYING_CONTACTS}), to
    summaries = [a.data for a in artifact("batch-costsplit")]
    listed = f"## Ikke sendt til kommuner som betaler en andel (ingen kontaktadresse)\n\n- {ERP}: Hjartdal"
    assert any(listed in summary for summary in summaries), summaries
