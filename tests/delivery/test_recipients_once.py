"""One person, one copy: an address written in two cases or named in two roles gets the document
once, as 'to', on a real SMTP server (aiosmtpd on 127.0.0.1).

Every delivery test used addresses that were distinct as written: the suite stayed green with the
recipients compared case-sensitively (two copies to the same mailbox), with 'cc' overriding 'to',
and with the sent ledger's "already has it" compared case-sensitively (an address re-typed with a
capital letter between two sends got the report again).
"""

from __future__ import annotations

from collections import Counter

from grantflow.delivery.ledger import SentLedger
from grantflow.models import RecipientRule

from ..smtp_server import SmtpServer, free_port
from .test_delivery import register, send, smtp_settings, status_doc  # noqa: F401 - fixtures


def arrived(server) -> Counter:
    return Counter(r.casefold() for r in server.recorder.recipients())


def test_an_address_in_two_cases_and_two_roles_gets_one_copy_as_to(register, status_doc, tmp_path):  # noqa: F811
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(
        to=["kari@kommune.example.no", "Ola@Kommune.example.no"],
        cc=["KARI@kommune.example.no", "ola@kommune.example.no", "per@kommune.example.no"])
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings)
        got = arrived(server)
        to_headers = {m["To"].addresses[0].addr_spec.casefold() for m in server.recorder.messages()
                      if m["To"] and not m["Cc"]}
    assert got == Counter({"kari@kommune.example.no": 1, "ola@kommune.example.no": 1, "per@kommune.example.no": 1})
    roles = {r.recipient.casefold(): r.role for r in SentLedger(settings.ledger_url()).rows()}
    assert roles == {"kari@kommune.example.no": "to", "ola@kommune.example.no": "to", "per@kommune.example.no": "cc"}
    assert {"kari@kommune.example.no", "ola@kommune.example.no"} <= to_headers
    assert len(report.sent) == 3


def test_an_address_retyped_in_other_case_between_two_sends_is_not_sent_again(register, status_doc,  # noqa: F811
                                                                                tmp_path):
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(to=["Kari@Kommune.example.no"])
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, first = send(register, status_doc, settings)
        settings.delivery.recipients["status"] = RecipientRule(to=["kari@kommune.example.no"])
        plan, again = send(register, status_doc, settings)
        got = arrived(server)
    assert first.sent == ["Kari@Kommune.example.no"]
    assert got == Counter({"kari@kommune.example.no": 1}), got
    assert again.sent == [] and not plan.messages
