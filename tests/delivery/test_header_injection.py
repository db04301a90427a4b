"""Hostile names cannot add headers: every header that carries user text refuses line breaks,
also those hidden in an RFC 2047 encoded word (which Python 3.11's email package would decode into
a real `Bcc:` line)."""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from grantflow.delivery.message import Document, Sender, compose, compose_reminder, header_problem
from grantflow.errors import UserError

EVIL = "=?utf-8?q?Velferd=0D=0ABcc:_evil@attacker.example?="
BREAKS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]


@pytest.fixture
def doc(tmp_path) -> Document:
    docx = tmp_path / "status.docx"
    docx.write_bytes(b"PK\x03\x04 not really a docx")
    return Document("haugaland-vekst/p/status-2016-10-07", "status", "Statusrapport", "Velferdsteknologi",
                    "7. oktober 2016", 1, docx)


SENDER = Sender("grantflow@regionrad.example.no", "Haugaland Vekst", "post@haugalandvekst.example.no",
                "Sekretariatet", "Haugaland Vekst IKS")


def build(doc, *, project="Velferdsteknologi", recipient="Rådmann Karmøy", sender_name="Haugaland Vekst",
          secretariat="Sekretariatet", reference="2015/4711"):
    sender = replace(SENDER, name=sender_name, reply_to_name=secretariat)
    # the recipient's case number goes into the subject ("– Deres ref. 2015/4711"), checked as the rest
    return compose(replace(doc, subject_name=project), recipient, "radmann@karmoy.example.no", [], sender,
                   refs=((reference, ""),))


@pytest.mark.parametrize("field", ["project", "recipient", "sender_name", "secretariat", "reference"])
@pytest.mark.parametrize("value", [EVIL, *(f"Velferd{b}Bcc: evil@attacker.example" for b in BREAKS)],
                         ids=["encoded-word", "CR", "LF", "CRLF", "LS", "PS", "NEL", "VT", "FF"])
def test_each_user_text_header_refuses_hostile_names(doc, field, value):
    with pytest.raises(UserError) as caught:
        build(doc, **{field: value})
    assert "not allowed in e-mail headers" in str(caught.value)


@pytest.mark.parametrize("field", ["subject_text", "to_name"])
def test_reminders_refuse_hostile_names(field):
    args = dict(subject_text="Påminnelse: Statusrapport for Velferd", to_name="Kari Nordmann")
    args[field] = EVIL
    with pytest.raises(UserError, match="encoded word"):
        compose_reminder("k", "2026-11-26", args["subject_text"], ["x"], args["to_name"],
                         "kari@example.no", SENDER)


def test_ordinary_norwegian_names_pass_and_no_header_is_added(doc):
    msg = build(doc, project="Smart Velferdsregion Nord-Gudbrandsdal – fase 2 (æøå)",
                recipient="Kari Ødegård-Ås", secretariat="Sekretær\tTab")
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert parsed["To"].addresses[0].display_name == "Kari Ødegård-Ås"
    assert "æøå" in parsed["Subject"]


def test_header_problem_names_the_problem():
    assert header_problem("Velferd") is None
    assert "encoded word" in header_problem(EVIL)
    assert "LINE SEPARATOR" in header_problem("a\u2028b")
    assert "control character" in header_problem("a\x00b")
    assert header_problem(Path("x").name) is None
