import os

import pytest

from grantflow.cli import main

from ..conftest import CONFIG, ROOT


def test_send_to_outbox_then_nothing_then_ledger(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    args = ["--config", str(CONFIG), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16"]
    assert main(args) == 0
    assert "v1 via outbox: 7 sent" in capsys.readouterr().out
    assert len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) == 7
    assert main(args) == 0
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
    assert main(["--config", str(CONFIG), "sent", "smart-velferdsregion-nord-gudbrandsdal"]) == 0
    out = capsys.readouterr().out
    assert out.count("radmann@") == 6 and "prosjektleder@nord-gudbrandsdal.example.no" in out


def governor_named(config) -> None:
    """The county governor named in config for the ERP project's skjønnsmidler documents: the
    project has none (by the default rule the county governor gets nothing about it), and it is
    these tests' project with clean data."""
    with open(config / "projects" / "kongsbergregionen-erp.yaml", "a", encoding="utf-8") as fh:
        fh.write("recipients:\n"
                 "  application: {to: [county_governor], cc: [steering_group_leader]}\n"
                 "  final: {to: [county_governor], cc: [steering_group_leader]}\n")


def test_external_send_needs_approval(scratch_config, tmp_path, monkeypatch, capsys):
    governor_named(scratch_config)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert main(["--config", str(scratch_config), "send", "application", "kongsbergregionen-erp",
                 "--transport", "smtp"]) == 1
    captured = capsys.readouterr()
    assert "Mottakere: Fylkesmannen i Buskerud <fmbupost@fylkesmannen.example.no> (to)" in captured.out
    assert "needs approval" in captured.err and "--yes" in captured.err


def test_errors_in_the_data_block_external_sending_without_a_reason(scratch_config, tmp_path, monkeypatch,
                                                                     capsys):
    """A risk factor that disagrees with S x K is an error finding."""
    from grantflow.delivery.ledger import SentLedger

    from ..conftest import replace_in

    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               "probability: 2, consequence: 5, rf: 10", "probability: 2, consequence: 5, rf: 11")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    args = ["--config", str(scratch_config), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16", "--transport", "smtp", "--yes"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "rf: RF 11" in err and "--override-reason" in err
    assert SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").rows() == []


def test_the_same_send_from_two_folders_reaches_each_recipient_once(scratch_config, tmp_path):
    """The outputs folder (and with it the outbox and the sent ledger) was taken from wherever the
    command ran: the same send from two folders made two ledgers and mailed everyone twice. A
    relative `outputs:` is now the installation's (beside the config folder)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("GRANTFLOW_OUTPUTS", "GRANTFLOW_LEDGER_URL")}
    env["PYTHONPATH"] = str(ROOT)
    runs = []
    for name in ("one", "two"):
        cwd = tmp_path / name
        cwd.mkdir()
        runs.append(subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(scratch_config), "send",
                                    "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07"],
                                   capture_output=True, text=True, cwd=cwd, env=env))
    assert runs[0].returncode == 0, runs[0].stderr
    assert "7 sent" in runs[0].stdout and "nothing to send: all 7 recipient(s) already have" in runs[1].stdout
    outbox = scratch_config.parent / "outputs" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 7
    assert not list((tmp_path / "one").rglob("*.eml")) and not list((tmp_path / "two").rglob("*.eml"))


def test_the_demo_then_smtp_reaches_everyone(scratch_config, tmp_path, monkeypatch, capsys):
    """`grantflow demo` (or any send with the default transport) writes the mails to the local
    outbox. Sending the same report over SMTP afterwards must deliver it, not answer "nothing to
    send: all 7 recipient(s) already have" while nobody got a mail."""
    from ..conftest import replace_in
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    replace_in(scratch_config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(scratch_config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "not-used-without-auth")
    args = ["--config", str(scratch_config), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16"]
    assert main(args) == 0
    assert "v1 via outbox: 7 sent" in capsys.readouterr().out
    smtp = ["--transport", "smtp", "--override-reason", "RF i kilden", "--yes"]   # the seed's own RF error
    with SmtpServer(port=port) as server:
        assert main(args + smtp) == 0
        assert "v1 via smtp: 7 sent" in capsys.readouterr().out
        assert len(server.recorder.recipients()) == 7
        assert main(args + smtp) == 0
        assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
        assert main(args) == 0          # delivered: no second copy in the outbox either
        assert "nothing to send" in capsys.readouterr().out
        assert len(server.recorder.arrived) == 7
    assert len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) == 7
    assert main(["--config", str(scratch_config), "sent", "smart-velferdsregion-nord-gudbrandsdal"]) == 0
    out = capsys.readouterr().out
    assert out.count(" smtp ") == 7 and " outbox " not in out


HELSEDIR = ("  - id: helsedir\n    name: Helsedirektoratet\n")


def _helsedir_asks(config, email="postmottak@helsedir.example.no", deadlines=(
        "{kind: final, date: 2022-03-01, description: Sluttrapport til Helsedirektoratet}",)):
    """Give Nord-Gudbrandsdal's second funder an address and deadlines of its own."""
    from ..conftest import replace_in

    lines = (f"    email: {email}\n" if email else "") + "    deadlines:\n" + "".join(
        f"      - {d}\n" for d in deadlines)
    replace_in(config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", HELSEDIR, HELSEDIR + lines)


def _outbox(tmp_path):
    from email import message_from_bytes, policy

    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))]


def test_a_funder_whose_deadline_asks_for_the_final_report_gets_it(scratch_config, tmp_path, monkeypatch, capsys):
    """Helsedirektoratet's address and its final-report deadline were read and never used: the final
    report went to the county governor and the steering-group leader only."""
    _helsedir_asks(scratch_config)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    args = ["--config", str(scratch_config), "send", "final", "smart-velferdsregion-nord-gudbrandsdal", "--yes"]
    assert main(args) == 0
    mails = _outbox(tmp_path)
    to = sorted(m["To"].addresses[0].addr_spec for m in mails)
    assert to == ["fminpost@fylkesmannen.example.no", "postmottak@helsedir.example.no", "radmann@sel.example.no"]
    (funder,) = [m for m in mails if m["To"].addresses[0].addr_spec == "postmottak@helsedir.example.no"]
    assert funder["To"].addresses[0].display_name == "Helsedirektoratet"
    assert funder["Subject"].startswith("Sluttrapport: Smart velferdsregion Nord-Gudbrandsdal")
    assert [p.get_filename() for p in funder.iter_attachments()] == [
        p.get_filename() for p in mails[0].iter_attachments()]
    capsys.readouterr()
    assert main(args) == 0                                          # once: the ledger knows the funder has it
    assert "nothing to send: all 3 recipient(s) already have" in capsys.readouterr().out


def test_a_funder_is_asked_only_for_what_its_deadlines_name(scratch_config, tmp_path, monkeypatch, capsys):
    """The application of 2019 is Statsforvalteren's round, not Helsedirektoratet's (whose deadline
    names the final report only); an unknown funder named by hand is one line."""
    _helsedir_asks(scratch_config)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    base = ["--config", str(scratch_config), "send"]
    assert main(base + ["application", "smart-velferdsregion-nord-gudbrandsdal", "--year", "2019", "--yes"]) == 0
    assert sorted(m["To"].addresses[0].addr_spec for m in _outbox(tmp_path)) == [
        "fminpost@fylkesmannen.example.no", "radmann@sel.example.no"]
    capsys.readouterr()
    assert main(base + ["final", "smart-velferdsregion-nord-gudbrandsdal", "--yes", "--funder", "helsedirektoratet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown funder 'helsedirektoratet'" in err and "helsedir" in err


def test_a_funder_without_an_address_gets_nothing_by_mail_and_stops_nothing(scratch_config, tmp_path, monkeypatch):
    """A funder that takes reports in its portal has no address: the others get the report."""
    _helsedir_asks(scratch_config, email=None)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    assert main(["--config", str(scratch_config), "send", "final", "smart-velferdsregion-nord-gudbrandsdal",
                 "--yes"]) == 0
    assert sorted(m["To"].addresses[0].addr_spec for m in _outbox(tmp_path)) == [
        "fminpost@fylkesmannen.example.no", "radmann@sel.example.no"]


def test_a_funder_address_with_a_line_break_is_refused_at_load(scratch_config, tmp_path, monkeypatch, capsys):
    _helsedir_asks(scratch_config, email='"post@helsedir.example.no\\nBcc: all@example.org"')
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(scratch_config), "send", "final", "smart-velferdsregion-nord-gudbrandsdal",
                 "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "smart-velferdsregion-nord-gudbrandsdal.yaml" in err and "email" in err
    assert not (tmp_path / "outputs" / "outbox").exists()


def test_a_status_report_to_a_funder_is_approved_first(scratch_config, tmp_path, monkeypatch, capsys):
    """Status reports go to the steering group without approval; one that also goes to a funder
    (an interim report to Helsedirektoratet) leaves the council, so a person approves it first."""
    from ..conftest import replace_in

    _helsedir_asks(scratch_config, deadlines=("{kind: status, date: 2020-04-20, description: Delrapport}",))
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",   # the demo's RF error
               "probability: 3, consequence: 5, rf: 12", "probability: 3, consequence: 5, rf: 15")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    args = ["--config", str(scratch_config), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16", "--transport", "smtp"]
    from ..smtp_server import SmtpServer
    from .test_concurrent_send import smtp_config

    server = SmtpServer()
    smtp_config(scratch_config, server.port)
    with server:
        assert main(args + ["--funder", "helsedir"]) == 1
        captured = capsys.readouterr()
        assert "Helsedirektoratet <postmottak@helsedir.example.no> (to)" in captured.out
        assert "needs approval" in captured.err
        assert server.recorder.arrived == []
        assert main(args) == 0                                  # the steering group's copy: no approval needed
        to = {a for _, rcpt, _ in server.recorder.arrived for a in rcpt}
        assert len(to) == 7 and "postmottak@helsedir.example.no" not in to


def test_an_approval_setting_for_one_kind_keeps_the_county_governors_approval(scratch_config, tmp_path,
                                                                              monkeypatch, capsys):
    """`approval: {status: true}` (ask for status reports too) replaced the whole default: the
    application went to the county governor over SMTP without anyone approving it. A kind not
    named keeps its default; a misspelt kind (`aplication: true`) is one line at load."""
    from ..conftest import replace_in
    from ..smtp_server import SmtpServer

    governor_named(scratch_config)
    from .test_concurrent_send import smtp_config

    settings = scratch_config / "grantflow.yaml"
    replace_in(settings, "approval: {application: true, final: true, usage: true, status: false, costsplit: false}",
               "approval: {status: true}")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    server = SmtpServer()
    smtp_config(scratch_config, server.port)
    with server:
        code = main(["--config", str(scratch_config), "send", "application", "kongsbergregionen-erp",
                     "--transport", "smtp"])
        assert "needs approval" in capsys.readouterr().err
        assert code == 1 and server.recorder.arrived == []
    replace_in(settings, "approval: {status: true}", "approval: {aplication: true}")
    code = main(["--config", str(scratch_config), "send", "application", "kongsbergregionen-erp",
                 "--transport", "smtp"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert "grantflow.yaml:23: delivery.approval: unknown document kind 'aplication'" in err[0]


def test_a_new_version_after_sending_says_what_it_replaces(scratch_config, tmp_path, monkeypatch, capsys):
    """A report corrected after it was sent went out as 'versjon 2' with the same attachment name
    as version 1 and no word that it replaces it: saved beside the first, it overwrote it, and a
    reader could not tell which figures count. Config changed in between: a member left, one joined."""
    from email import message_from_bytes, policy

    from grantflow.delivery.ledger import SentLedger

    from ..conftest import replace_in
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    replace_in(scratch_config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(scratch_config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    project = scratch_config / "projects/kongsbergregionen-erp.yaml"
    args = ["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29",
            "--transport", "smtp"]
    with SmtpServer(port=port) as server:
        assert main(args) == 0
        assert "v1 via smtp: 5 sent" in capsys.readouterr().out
        first = {m["To"].addresses[0].addr_spec: m for m in server.recorder.messages()}
        (v1_name,) = {a.get_filename() for m in first.values() for a in m.iter_attachments()}
        # the figures change (milestone 3 done), a member leaves and another joins
        replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
                   "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
        replace_in(project, "  - {name: Rådmannen i Hjartdal, role: medlem, organisation: Hjartdal kommune, "
                            "email: radmann@hjartdal.example.no}\n",
                   "  - {name: Rådmannen i Flesberg, role: medlem, organisation: Flesberg kommune, "
                   "email: radmann@flesberg.example.no}\n")
        assert main(args) == 0
        assert "v2 via smtp: 5 sent" in capsys.readouterr().out
        second = [m for m in server.recorder.messages()[5:]]
    got = {m["To"].addresses[0].addr_spec: m for m in second}
    assert "radmann@hjartdal.example.no" not in got and "radmann@flesberg.example.no" in got
    for email, mail in got.items():
        body = mail.get_body(("plain",)).get_content()
        (name,) = [a.get_filename() for a in mail.iter_attachments()]
        if email in first:        # had version 1: told that this one replaces it
            assert name != v1_name and name.endswith("-versjon-2.docx"), name
            assert str(mail["Subject"]).endswith("(versjon 2, erstatter versjon 1)"), mail["Subject"]
            assert "Denne versjonen erstatter versjon 1, som ble sendt deg" in body, body
        else:                     # never had it: nothing to replace, no version named (their first copy)
            assert name == v1_name and "versjon" not in str(mail["Subject"]) + body, (name, mail["Subject"])
    rows = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").rows("kongsbergregionen-erp")
    assert sorted((r.version, r.recipient) for r in rows if r.status == "sent") == sorted(
        [(1, e) for e in first] + [(2, e) for e in got])


def test_yes_does_not_send_what_an_approver_rejected(scratch_config, tmp_path, monkeypatch, capsys):
    """The approver rejected the final report in the form ('Tallene må sjekkes'); a scripted
    `grantflow send … --yes` then sent that same content to the county governor, and the ledger
    said it was approved -- the rejection was overwritten and gone from `grantflow sent`."""
    import json

    from grantflow.delivery.ledger import SentLedger

    from ..conftest import replace_in
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    replace_in(scratch_config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(scratch_config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    url = f"sqlite:///{tmp_path / 'sent.db'}"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    assert main(["--config", str(scratch_config), "render", "final", "kongsbergregionen-erp"]) == 0
    (record,) = (tmp_path / "outputs").rglob("final-*.json")
    digest = json.loads(record.read_text(encoding="utf-8"))["content_hash"]
    key = "kongsbergregionen/kongsbergregionen-erp/" + record.stem
    ledger = SentLedger(url)                      # as the approval form records a "no"
    ledger.approval_requested(key, 1, "0b8c61d2-6c8e-4bb4-a0a6-5a4c1e0c1e55", "post@kongsbergregionen.example.no",
                              digest)
    ledger.approval_decided(key, 1, False, "Per Hansen", "Tallene må sjekkes", "", digest)
    capsys.readouterr()
    args = ["--config", str(scratch_config), "send", "final", "kongsbergregionen-erp", "--transport", "smtp"]
    with SmtpServer(port=port) as server:
        assert main(args + ["--yes"]) == 1
        err = capsys.readouterr().err
        assert not server.recorder.arrived
    assert "rejected by Per Hansen" in err and "Tallene må sjekkes" in err and len(err.strip().splitlines()) == 1
    (decision,) = ledger.approvals()
    assert decision["status"] == "rejected" and decision["decided_by"] == "Per Hansen"
    assert not ledger.rows()


@pytest.fixture
def erp_status(scratch_config, tmp_path, monkeypatch):
    """The ERP project's status report of 2014-08-29, rendered by ``render()`` into a scratch
    outputs folder with its own sent ledger: (settings, render)."""
    from datetime import date

    from grantflow.documents.service import produce
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    settings = load_settings(str(scratch_config))

    def render():
        return produce(open_register(str(scratch_config)), "status", project_id="kongsbergregionen-erp",
                       as_of=date(2014, 8, 29), out=settings.outputs_dir())

    return settings, render


def test_a_document_rendered_again_while_it_was_being_sent_is_not_sent_as_the_old_version(scratch_config, tmp_path,
                                                                                          erp_status):
    """A run rendered version 1 (and had it checked or approved); before its delivery step, the
    secretariat rendered the same report again with changed figures in the same file. The run then
    mailed the new file labelled, recorded and approved as the old content. Version 1 had not gone
    out, so the new content keeps its number: the send of the old content is refused all the same,
    and nothing of it reaches the ledger (which would tie number 1 to the old content)."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import ContentConflict, send_produced
    from grantflow.register import open_register

    from ..conftest import replace_in

    settings, render = erp_status
    first = render()
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
               "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
    second = render()
    assert (first.version, second.version, first.docx) == (1, 1, second.docx)
    with pytest.raises(ContentConflict, match=r"rendered again with other content \(still version 1"):
        send_produced(first, open_register(str(scratch_config)), settings, "outbox")
    assert not list((tmp_path / "outputs" / "outbox").glob("*.eml"))
    assert SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").rows() == []
    report = send_produced(second, open_register(str(scratch_config)), settings, "outbox")
    assert len(report.sent) == 5 and report.version == 1
    # sent: content rendered after this is version 2, and version 1's send is refused as before
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
               "3;ferdig;25.08.2014;Lønn i drift i alle", "3;ferdig;26.08.2014;Lønn i drift i alle")
    third = render()
    assert third.version == 2
    with pytest.raises(ContentConflict, match="rendered again as version 2"):
        send_produced(second, open_register(str(scratch_config)), settings, "smtp")


def test_a_plan_made_before_a_render_of_a_draft_sends_nothing(scratch_config, tmp_path, erp_status):
    """The race the kept number opens: a send planned (its messages made from the file) while no
    version had gone out; then a render gives version 1 to new content; then the planned delivery
    runs. It must refuse (under the document's lock) before the ledger records version 1 with the
    old content -- otherwise the next send of version 1 is refused as "other content"."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import (ContentConflict, deliver, document_from, make_transport, plan,
                                            send_produced)
    from grantflow.register import open_register

    from ..conftest import replace_in

    settings, render = erp_status
    first = render()
    register = open_register(str(scratch_config))
    ledger = SentLedger(settings.ledger_url())
    project = register.project("kongsbergregionen-erp")
    planned = plan(document_from(first, register), project, register.council(project.council), settings, ledger)
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
               "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
    assert render().version == 1
    with pytest.raises(ContentConflict, match="rendered again with other content"):
        deliver(planned, make_transport(settings, "outbox"), ledger, settings.delivery.retry)
    assert ledger.rows() == [] and not list((tmp_path / "outputs" / "outbox").glob("*.eml"))
    report = send_produced(render(), open_register(str(scratch_config)), settings, "outbox")
    assert len(report.sent) == 5 and report.version == 1


def test_sending_despite_data_errors_says_that_is_what_needs_approval(tmp_path, monkeypatch, capsys):
    """The status report needs no approval, but the data's error does, also with the reason given:
    the line said 'sending this kind needs approval' (found by an outside tester)."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert main(["--config", str(CONFIG), "send", "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07",
                 "--transport", "smtp", "--override-reason", "kjent avvik"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == ("error: --yes: sending despite the data's 1 error(s) needs approval (the reason is given): "
                    "run interactively or add --yes"), line


def test_a_pdf_asked_for_without_libreoffice_sends_nothing(tmp_path, monkeypatch, capsys):
    """`send --pdf` on a machine without LibreOffice mailed the .docx alone, exit 0 with a warning."""
    from grantflow.documents import render as render_module

    monkeypatch.setattr(render_module, "soffice", lambda: None)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    args = ["--config", str(CONFIG), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]
    assert main([*args, "--pdf"]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("error: ") and "status-2014-08-29.docx: pdf: not sent: a PDF was asked for and " \
        "LibreOffice (soffice) is not installed" in line, line
    assert not (tmp_path / "outputs" / "outbox").exists() or not list((tmp_path / "outputs" / "outbox").iterdir())
    assert main(args) == 0                                   # without --pdf: the .docx goes
    assert len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) > 0


def test_content_that_changed_back_is_not_sent_again_as_a_new_version(tmp_path, monkeypatch, capsys):
    """Sent as version 1, rendered for another date (not sent), rendered back (version 1's
    content): the county governor got "versjon 3, erstatter versjon 1" with version 1's content
    (found by an outside tester). It is version 1 again now, which everyone has. Who has had a
    version sent since (version 2) gets version 3 for version 1's content."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    base = ["--config", str(CONFIG)]
    what = ["application", "haugaland-velferdsteknologi"]
    outbox = tmp_path / "outputs" / "outbox"

    def mails():
        return sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)

    assert main([*base, "send", *what]) == 0 and len(mails()) == 2
    assert main([*base, "render", *what, "--as-of", "2016-01-01"]) == 0
    assert main([*base, "render", *what]) == 0
    capsys.readouterr()
    assert main([*base, "send", *what]) == 0
    out = capsys.readouterr().out
    assert "nothing to send: all 2 recipient(s) already have" in out and "version 1" in out, out
    assert len(mails()) == 2
    assert main([*base, "send", *what, "--as-of", "2016-01-01"]) == 0 and len(mails()) == 4    # version 2
    assert main([*base, "send", *what]) == 0 and len(mails()) == 6                             # version 3
    from email import message_from_bytes, policy

    subjects = [str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]) for p in mails()[2:]]
    assert sum("(versjon 2)" in s or "(versjon 2, erstatter versjon 1)" in s for s in subjects) == 2, subjects
    assert sum("(versjon 3, erstatter versjon 2)" in s for s in subjects) == 2, subjects


def test_a_relative_sqlite_ledger_in_the_environment_is_refused(tmp_path, monkeypatch, capsys):
    """'sqlite:///tmp/x/sent.db' (three slashes) made tmp/x/sent.db under the working folder: `sent`
    said the ledger was empty, and a send would have sent everything again (found by an outside tester)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", "sqlite:///tmp/x/sent.db")
    assert main(["--config", str(CONFIG), "sent"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == ("error: $GRANTFLOW_LEDGER_URL: the SQLite file 'tmp/x/sent.db' is relative (to the folder "
                    "grantflow is run from); write the whole path with four slashes, sqlite:////tmp/x/sent.db for "
                    "/tmp/x/sent.db"), line
    assert not list(tmp_path.rglob("*.db"))


def test_sent_by_council_lists_its_usage_report(tmp_path, monkeypatch, capsys):
    """The usage report is the council's, no project's: 'grantflow sent nord-gudbrandsdal' said
    "unknown project" and there was no way to list it alone. A council's id lists its documents."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "usage", "--council", "nord-gudbrandsdal", "--year", "2019"]) == 0
    assert main(["--config", str(CONFIG), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]) == 0
    capsys.readouterr()
    assert main(["--config", str(CONFIG), "sent", "nord-gudbrandsdal"]) == 0
    captured = capsys.readouterr()
    assert "nord-gudbrandsdal/-/usage-2019" in captured.out and "kongsberg" not in captured.out, captured
    assert main(["--config", str(CONFIG), "sent", "kongsbergregionen"]) == 0
    out = capsys.readouterr().out
    assert "kongsbergregionen-erp/status-2014-08-29" in out and "usage" not in out
    assert main(["--config", str(CONFIG), "sent", "nord-gudbrandsdalen"]) == 1      # a misspelt id still says so
    assert "unknown project 'nord-gudbrandsdalen'" in capsys.readouterr().err


def test_a_send_approved_at_the_prompt_after_a_new_render_sends_nothing(scratch_config, tmp_path, monkeypatch,
                                                                        capsys):
    """`grantflow send` showed version 2 and waited at 'Send? [j/N]'; meanwhile the secretariat
    rendered the report again with new figures. Answered 'j', it mailed what the preview showed to
    the steering group as the current version, without a word (found by an outside tester). It
    sends nothing now and says so in one line; the next send sends the new figures as version 2
    (the number had not gone out), replacing version 1."""
    from email import message_from_bytes, policy

    from grantflow.delivery.ledger import SentLedger

    from ..conftest import replace_in
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    replace_in(scratch_config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(scratch_config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    replace_in(scratch_config / "grantflow.yaml", "status: false", "status: true")     # asked at the prompt
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    milestones = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"
    args = ["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29",
            "--transport", "smtp"]
    render = ["--config", str(scratch_config), "render", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "j")
    with SmtpServer(port=port) as server:
        assert main([*args, "--yes"]) == 0                                    # version 1 goes out
        replace_in(milestones, "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift")

        def answer(prompt):
            replace_in(milestones, "3;ferdig;25.08.2014;Lønn i drift", "3;ferdig;26.08.2014;Lønn i drift")
            assert main(render) == 0
            return "j"

        monkeypatch.setattr("builtins.input", answer)
        capsys.readouterr()
        assert main(args) == 1
        captured = capsys.readouterr()
        # the preview showed version 2; the render gave the new content that number (it had not gone out)
        assert "versjon 2\n" in captured.out and captured.out.count("(version 2, written)") == 1
        (line,) = [x for x in captured.err.strip().splitlines() if not x.startswith(("note: ", "warning: "))]
        assert "rendered again with other content (still version 2: that number had not gone out) while version 2 " \
            "was being sent: nothing sent" in line, line
        assert len(server.recorder.messages()) == 5
        monkeypatch.setattr("builtins.input", lambda prompt: "j")
        assert main(args) == 0
        later = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in server.recorder.messages()[5:]]
    assert len(later) == 5 and all(str(m["Subject"]).endswith("(versjon 2, erstatter versjon 1)") for m in later)
    rows = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").rows("kongsbergregionen-erp")
    assert sorted({(r.version, r.status) for r in rows}) == [(1, "sent"), (2, "sent")]
    hashes = {r.version: r.document_hash for r in rows}
    import json
    (record,) = [p for p in (tmp_path / "outputs").rglob("status-2014-08-29.json") if ".locks" not in p.parts]
    assert hashes[2] == json.loads(record.read_text(encoding="utf-8"))["content_hash"]
