"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1) and the outbox."""

import threading
from datetime import date
from email import message_from_bytes, policy

import pytest
from pydantic import ValidationError

from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.message import Document, Sender, compose
from grantflow.delivery.service import deliver, document_from, make_transport, plan
from grantflow.delivery.transports import SmtpTransport
from grantflow.documents.service import produce
from grantflow.errors import UserError
from grantflow.models import RecipientRule
from grantflow.register import open_register
from grantflow.settings import RetrySettings, Settings, SmtpSettings

from ..conftest import CONFIG
from ..smtp_server import SmtpServer, free_port, self_signed

TODAY = date(2026, 11, 24)
FAST = RetrySettings(attempts=6, backoff_seconds=[0.3, 0.6, 1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


@pytest.fixture
def status_doc(register, tmp_path):
    produced = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                       out=tmp_path / "outputs", today=TODAY)
    return document_from(produced, register)


def smtp_settings(tmp_path, port, **smtp) -> Settings:
    base = {"host": "127.0.0.1", "port": port, "security": "none", "allow_insecure_localhost": True}
    base.update(smtp)
    return Settings.model_validate({
        "outputs": str(tmp_path / "outputs"),
        "delivery": {"transport": "smtp", "from_address": "grantflow@haugalandvekst.example.no",
                     "ledger_url": f"sqlite:///{tmp_path / 'sent.db'}", "smtp": base}})


def send(register, document, settings, resend=False, retry=FAST, password=None, transport=None):
    project = register.project("haugaland-velferdsteknologi")
    council = register.council_of(project)
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger, resend=resend, transport=transport)
        return the_plan, deliver(the_plan, make_transport(settings, transport, password=password), ledger, retry,
                                 resend=resend)
    finally:
        ledger.close()


def test_status_report_reaches_every_member_once(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port())
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings)
        project = register.project("haugaland-velferdsteknologi")
        expected = {p.email for p in project.steering_group} | {project.leader.email}
        assert sorted(server.recorder.recipients()) == sorted(expected)
        assert set(report.sent) == expected and not report.failed
        docx_bytes = status_doc.docx.read_bytes()
        ids = set()
        for msg in server.recorder.messages():
            assert msg["Subject"] == "Statusrapport: Velferdsteknologi Haugaland – 7. oktober 2016"
            assert msg["Reply-To"].addresses[0].addr_spec == "post@haugalandvekst.example.no"
            assert msg["To"].addresses[0].addr_spec in expected
            plain = msg.get_body(("plain",)).get_content()
            html = msg.get_body(("html",)).get_content()
            assert "Vedlagt følger statusrapport for Velferdsteknologi Haugaland" in plain
            assert "Vedlagt følger statusrapport for Velferdsteknologi Haugaland" in html
            assert "Samlet status: Gul" in plain and "Samlet status: Gul" in html
            (attachment,) = list(msg.iter_attachments())
            assert attachment.get_filename() == "statusrapport-haugaland-velferdsteknologi-2016-10-07.docx"
            assert attachment.get_content() == docx_bytes
            ids.add(msg["Message-ID"])
        assert len(ids) == len(expected)
        # a re-run sends nothing and says so
        again_plan, again = send(register, status_doc, settings)
        assert not again_plan.messages and again.sent == [] and set(again.skipped) == expected
        assert len(server.recorder.arrived) == len(expected)
    rows = SentLedger(settings.ledger_url()).rows()
    assert len(rows) == len(expected) and {r.status for r in rows} == {"sent"}
    assert all(r.document == "haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07" for r in rows)


def test_a_copy_in_the_outbox_does_not_count_as_delivered(register, status_doc, tmp_path):
    """The demo (or a preview) writes the report to the local outbox; sending it over SMTP
    afterwards must reach everyone, not say that they "already have" it."""
    settings = smtp_settings(tmp_path, free_port())
    project = register.project("haugaland-velferdsteknologi")
    expected = {p.email for p in project.steering_group} | {project.leader.email}
    _, local = send(register, status_doc, settings, transport="outbox")
    assert set(local.sent) == expected
    assert len(list(settings.outbox_dir().glob("*.eml"))) == len(expected)
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        the_plan, report = send(register, status_doc, settings, transport="smtp")
        assert not the_plan.already and set(report.sent) == expected and not report.skipped
        assert sorted(server.recorder.recipients()) == sorted(expected)
        # delivered now: neither SMTP nor the outbox sends it again
        again_plan, again = send(register, status_doc, settings, transport="smtp")
        assert not again_plan.messages and set(again.skipped) == expected
        _, local_again = send(register, status_doc, settings, transport="outbox")
        assert local_again.sent == [] and set(local_again.skipped) == expected
        assert len(server.recorder.arrived) == len(expected)
    assert len(list(settings.outbox_dir().glob("*.eml"))) == len(expected)
    rows = SentLedger(settings.ledger_url()).rows()
    assert len(rows) == len(expected)
    assert {(r.transport, r.status) for r in rows} == {("smtp", "sent")}


def test_a_resend_is_a_new_message_that_mail_servers_do_not_drop_as_a_duplicate(register, status_doc, tmp_path):
    """`--resend` is used when someone lost or never saw the mail. With the first send's
    Message-ID, their mail server or client drops it as a copy it already has."""
    settings = smtp_settings(tmp_path, free_port())
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, first = send(register, status_doc, settings)
        _, again = send(register, status_doc, settings, resend=True)
        assert set(again.sent) == set(first.sent) and len(first.sent) > 1
        ids: dict[str, list[str]] = {}
        for msg in server.recorder.messages():
            ids.setdefault(msg["To"].addresses[0].addr_spec, []).append(msg["Message-ID"])
    assert set(ids) == set(first.sent)
    assert all(len(pair) == 2 and pair[0] != pair[1] for pair in ids.values()), ids
    ledger = {r.recipient: r.message_id for r in SentLedger(settings.ledger_url()).rows()}
    assert all(ledger[email] == pair[1] for email, pair in ids.items())


def test_one_of_three_refused_then_rerun_sends_only_the_missing(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port())
    three = ["a@kommune.example.no", "b@kommune.example.no", "c@kommune.example.no"]
    settings.delivery.recipients["status"] = RecipientRule(to=three)
    with SmtpServer(port=settings.delivery.smtp.port, refuse=["b@kommune.example.no"]) as server:
        _, report = send(register, status_doc, settings)
        assert sorted(report.sent) == ["a@kommune.example.no", "c@kommune.example.no"]
        (failed,) = report.failed
        assert failed[0] == "b@kommune.example.no" and "550" in failed[1]
        assert sorted(server.recorder.recipients()) == ["a@kommune.example.no", "c@kommune.example.no"]
    rows = {r.recipient: r for r in SentLedger(settings.ledger_url()).rows()}
    assert rows["b@kommune.example.no"].status == "failed" and rows["b@kommune.example.no"].attempts == 1
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings)
        assert report.sent == ["b@kommune.example.no"]
        assert server.recorder.recipients() == ["b@kommune.example.no"]
    assert {r.status for r in SentLedger(settings.ledger_url()).rows()} == {"sent"}


def test_server_down_then_up_is_retried_one_copy_each(register, status_doc, tmp_path):
    port = free_port()
    settings = smtp_settings(tmp_path, port)
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no", "b@kommune.example.no"])
    server = SmtpServer(port=port)
    timer = threading.Timer(1.0, server.start)
    timer.start()
    try:
        _, report = send(register, status_doc, settings)
    finally:
        timer.join()
        arrived = list(server.recorder.recipients())
        server.stop()
    assert sorted(report.sent) == ["a@kommune.example.no", "b@kommune.example.no"]
    assert sorted(arrived) == ["a@kommune.example.no", "b@kommune.example.no"]
    first = {r.recipient: r for r in SentLedger(settings.ledger_url()).rows()}["a@kommune.example.no"]
    assert first.attempts > 1


def test_server_never_up_gives_up_after_retries(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no"])
    _, report = send(register, status_doc, settings, retry=RetrySettings(attempts=2, backoff_seconds=[0.05]))
    assert report.failed and "temporary failure" in report.failed[0][1]
    (row,) = SentLedger(settings.ledger_url()).rows()
    assert row.status == "failed" and row.attempts == 2


def test_wrong_password_is_one_clear_message(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port(), username="sekretariat")
    with SmtpServer(port=settings.delivery.smtp.port, auth=("sekretariat", "riktig")) as server:
        with pytest.raises(UserError) as info:
            send(register, status_doc, settings, password="feil")
        assert "SMTP login failed for 'sekretariat'" in str(info.value)
        assert "\n" not in str(info.value)
        _, report = send(register, status_doc, settings, password="riktig")
        assert len(report.sent) == 7 and len(server.recorder.arrived) == 7


def test_missing_password_and_plain_text_to_remote_are_refused(tmp_path):
    with pytest.raises(UserError, match="no SMTP password"):
        make_transport(smtp_settings(tmp_path, 25, username="u", password_env="GRANTFLOW_TEST_NO_SUCH_VAR"))
    # refused when the settings are read (validate names the line), before any run gets to a send
    with pytest.raises(ValidationError, match="only allowed to a relay on this machine"):
        smtp_settings(tmp_path, 25, host="smtp.example.no")
    with pytest.raises(ValidationError, match="refused unless allow_insecure_localhost"):
        smtp_settings(tmp_path, 25, allow_insecure_localhost=False)
    # and by the transport, should settings ever be built around the check
    remote = SmtpSettings.model_construct(host="smtp.example.no", security="none", allow_insecure_localhost=True)
    with pytest.raises(UserError, match="only allowed to localhost"):
        SmtpTransport(remote, None, "grantflow@example.no")
    assert SmtpSettings().security == "starttls"       # TLS on by default


def test_outbox_files_are_valid_email(register, status_doc, tmp_path):
    settings = Settings.model_validate({"outputs": str(tmp_path / "outputs"),
                                        "delivery": {"ledger_url": f"sqlite:///{tmp_path / 'sent.db'}"}})
    _, report = send(register, status_doc, settings)
    files = sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))
    assert len(files) == len(report.sent) == 7
    for path in files:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["Message-ID"] and msg["Date"] and msg["From"].addresses[0].addr_spec
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        (att,) = list(msg.iter_attachments())
        assert att.get_content() == status_doc.docx.read_bytes()
    _, again = send(register, status_doc, settings)
    assert again.sent == [] and len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) == 7


def test_header_injection_is_rejected(status_doc):
    sender = Sender("a@b.example.no", "grantflow", "c@d.example.no", "Sekretariat", "Rådet")
    with pytest.raises(UserError, match="line break"):
        compose(status_doc, "Ola\nBcc: evil@x.example", "ola@x.example.no", [], sender)
    evil = Document(status_doc.key, "status", "Statusrapport", "Prosjekt\r\nBcc: evil@x.example", "p", 1,
                    status_doc.docx)
    with pytest.raises(UserError, match="line break"):
        compose(evil, "Ola", "ola@x.example.no", [], sender)


def test_message_id_is_deterministic(status_doc):
    sender = Sender("a@b.example.no", "grantflow", "c@d.example.no", "Sekretariat", "Rådet")
    one = compose(status_doc, "Ola", "ola@x.example.no", [], sender)
    two = compose(status_doc, "Ola", "OLA@x.example.no", [], sender)
    other = compose(status_doc, "Kari", "kari@x.example.no", [], sender)
    assert one["Message-ID"] == two["Message-ID"] != other["Message-ID"]
    assert one["Message-ID"].endswith("@b.example.no>")


def test_starttls_with_login(register, status_doc, tmp_path):
    cert, key = self_signed(tmp_path)
    settings = smtp_settings(tmp_path, free_port(), security="starttls", allow_insecure_localhost=False,
                             username="sekretariat", ca_file=str(cert))
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no"])
    with SmtpServer(port=settings.delivery.smtp.port, auth=("sekretariat", "hemmelig"), tls=(cert, key)) as server:
        _, report = send(register, status_doc, settings, password="hemmelig")
        assert report.sent == ["a@kommune.example.no"] and server.recorder.recipients() == report.sent


def test_the_county_governor_is_greeted_by_the_name_the_document_uses(register, tmp_path):
    """The register holds the office's old name (Fylkesmannen i Rogaland, from the seed); the
    application made today is addressed to Statsforvalteren i Rogaland, and so is the mail."""
    assert register.councils["haugaland-vekst"].county_governor.name == "Fylkesmannen i Rogaland"
    produced = produce(register, "application", "haugaland-velferdsteknologi", out=tmp_path / "outputs")
    from ..docx_text import all_text
    assert "Statsforvalteren i Rogaland" in all_text(produced.docx)
    settings = Settings.model_validate({"outputs": str(tmp_path / "outputs"),
                                        "delivery": {"ledger_url": f"sqlite:///{tmp_path / 'sent.db'}"}})
    send(register, document_from(produced, register), settings)
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "outputs" / "outbox").glob("*.eml")]
    (governor,) = [m for m in mails if "fmropost@" in str(m["To"])]
    assert str(governor["To"]).startswith("Statsforvalteren i Rogaland <")
    assert governor.get_body(("plain",)).get_content().startswith("Til Statsforvalteren i Rogaland\n")


def test_the_next_status_report_counts_from_the_last_one_delivered_not_from_a_draft(register, tmp_path):
    """The steering group got the report of 7 October 2016. A draft of 15 January 2017 was made
    and never sent. The report of 3 February 2017 must cover 8 October 2016 – 3 February 2017
    and compare with 7 October, the report its readers have; not start on 16 January and say
    "no changes since the previous report (15 January 2017)"."""
    from ..docx_text import all_text, find_table

    out = tmp_path / "outputs"
    settings = smtp_settings(tmp_path, free_port())

    def status(day):
        return produce(register, "status", "haugaland-velferdsteknologi", as_of=day, out=out, today=TODAY)

    sent = document_from(status(date(2016, 10, 7)), register)
    with SmtpServer(port=settings.delivery.smtp.port) as server:
        _, report = send(register, sent, settings, transport="smtp")
        assert report.sent and len(server.recorder.arrived) == len(report.sent)
    status(date(2017, 1, 15))                                   # a draft, never sent
    latest = status(date(2017, 2, 3)).docx
    rows = dict((r[0], r[1]) for r in find_table(latest, "Til"))
    assert rows["Rapportperiode"] == "8.\u00a0oktober\u00a02016 – 3.\u00a0februar\u00a02017"
    text = all_text(latest)
    assert "forrige rapport (7.\u00a0oktober\u00a02016)" in text and "15.\u00a0januar\u00a02017" not in text.replace(" ", "\u00a0")
