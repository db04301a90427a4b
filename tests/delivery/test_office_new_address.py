"""The county governor's new mailbox gets an application it had at its old one, with word that
it was sent before (an outside tester: "1 sent, 1 already had version 1", and the new mailbox got
it as if new: the case officer would register a new, late application)."""

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

OLD, NEW = "fmropost@fylkesmannen.example.no", "sfropost@statsforvalteren.example.no"


def _smtp_send(config, tmp_path, monkeypatch, kind: str, day: str) -> tuple[int, list[str]]:
    """A port for a local SMTP server the config sends to, outputs and ledger in ``tmp_path``, and
    the `send` arguments for Haugaland's ``kind`` as of ``day``."""
    port = free_port()
    use_smtp(config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return port, ["--config", str(config), "send", kind, "haugaland-velferdsteknologi", "--as-of", day, "--yes",
                  "--override-reason", "kjent differanse", "--transport", "smtp"]


def test_the_new_address_is_told_when_and_where_the_application_went_first(scratch_config, tmp_path,
                                                                            monkeypatch, capsys):
    port, send = _smtp_send(scratch_config, tmp_path, monkeypatch, "application", "2015-01-15")
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        first = server.recorder.messages()
        assert OLD in [m["To"].addresses[0].addr_spec for m in first]
        replace_in(scratch_config / "councils/haugaland-vekst.yaml", f"email: {OLD}", f"email: {NEW}")
        capsys.readouterr()
        assert main(send) == 0
        out = capsys.readouterr().out
        (mail,) = server.recorder.messages()[len(first):]
    assert mail["To"].addresses[0].addr_spec == NEW
    body = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"ble sendt første gang" in body and f"til {OLD} (tidligere adresse)" in body, body
    assert "Dette er ikke en ny innsending" in body, body
    line = [x for x in out.splitlines() if "via smtp" in x]
    assert line and f"1 sent ({NEW}: first sent " in line[0] and f"to {OLD}, the earlier address)" in line[0], out
    assert "1 already had version 1" in line[0], out


def test_a_funder_new_to_a_status_report_is_not_told_of_a_members_old_address(scratch_config, tmp_path,
                                                                               monkeypatch, capsys):
    """The ledger keeps addresses, not whose they are: a funder getting a status report for the
    first time was told "Statusrapport ble sendt første gang … til radmann@karmoy.example.no
    (tidligere adresse)", a replaced steering-group member's address (found by a reviewer)."""
    port, send = _smtp_send(scratch_config, tmp_path, monkeypatch, "status", "2016-10-07")
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        first = len(server.recorder.messages())
        replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "radmann@karmoy.example.no",
                   "nyradmann@karmoy.example.no")
        capsys.readouterr()
        assert main([*send, "--funder", "fm-rogaland"]) == 0
        out = capsys.readouterr().out
        later = server.recorder.messages()[first:]
    to_funder = [m for m in later if m["To"].addresses[0].addr_spec == OLD]
    assert to_funder, [m["To"] for m in later]
    for mail in later:
        body = mail.get_body(("plain",)).get_content()
        assert "radmann@karmoy.example.no" not in body and "tidligere adresse" not in body, body
    assert "the earlier address" not in out, out


def test_a_corrected_application_at_the_offices_new_address_says_it_replaces_the_earlier_one(
        scratch_config, tmp_path, monkeypatch, capsys):
    """Version 1 (400 000 kr) went to the old mailbox; the amount corrected to 450 000 kr and the
    office's address changed: the copy said "(versjon 2, erstatter versjon 1)" with the change, but
    the case officer, who registered 400 000 kr, got a plain first copy (found by a reviewer)."""
    port, send = _smtp_send(scratch_config, tmp_path, monkeypatch, "application", "2015-01-15")
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        first = len(server.recorder.messages())
        replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
                   "applied_for: true, amounts: {2015: 400000}", "applied_for: true, amounts: {2015: 450000}")
        replace_in(scratch_config / "councils/haugaland-vekst.yaml", f"email: {OLD}", f"email: {NEW}")
        assert main(send) == 0
        (mail,) = [m for m in server.recorder.messages()[first:] if m["To"].addresses[0].addr_spec == NEW]
    assert str(mail["Subject"]).endswith("(versjon 2, erstatter versjon 1)"), mail["Subject"]
    body = mail.get_body(("plain",)).get_content().replace("\r\n", "\n").replace("\xa0", " ")
    assert f"til {OLD} (tidligere adresse), som versjon 1" in body, body
    assert "Endret fra versjon 1:" in body and "400 000" in body and "450 000" in body, body
