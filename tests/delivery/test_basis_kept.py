"""A status report that went out keeps the report it was compared with ("forrige rapport") when
reports dated earlier are sent after it (found by an outside tester acting as the IT operator)."""

from __future__ import annotations

import json

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port
from .test_prompt_record import RECIPIENTS

ERP = ["send", "status", "kongsbergregionen-erp", "--transport", "smtp", "--as-of"]


def _smtp_config(config, port: int) -> None:
    """The real SMTP server on 127.0.0.1; status reports go without asking (as configured)."""
    replace_in(config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")


def _text(path) -> str:
    return all_text(path).replace("\u00a0", " ")


def _sent_later_reports_dated_earlier(config, tmp_path, monkeypatch, capsys, server, unrecorded=False):
    """The tester's steps 1-2: status 2014-05-02, then 2014-08-29 (each to the five), then
    reports dated earlier than 2014-08-29 (2014-06-30, 2014-07-31) sent after it. ``unrecorded``:
    the record of 2014-08-29 is as grantflow wrote it before it kept the report it compared with."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    base = ["--config", str(config)]
    docx = tmp_path / "outputs/kongsbergregionen/kongsbergregionen-erp/status-2014-08-29.docx"
    for day in ("2014-05-02", "2014-08-29"):
        assert main([*base, *ERP, day]) == 0
    assert len(server.recorder.messages()) == 10
    v1 = _text(docx)
    # compared with the report of 2 May 2014, the one its readers had (seed data, by hand)
    assert "3. mai 2014 – 29. august 2014" in v1
    assert "Samlet status: gul → grønn" in v1 and "Prognose endret fra 4 535 668 kr" in v1
    if unrecorded:
        record = json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))
        for entry in record["versions"]:
            del entry["previous"]
        docx.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    for day in ("2014-06-30", "2014-07-31"):
        assert main([*base, *ERP, day]) == 0
    assert len(server.recorder.messages()) == 20
    capsys.readouterr()
    return base, docx, v1


@pytest.mark.parametrize("unrecorded", [False, True], ids=["recorded", "record-from-before"])
def test_a_delivered_report_typed_again_after_earlier_dated_ones_sends_nothing(scratch_config, tmp_path,
                                                                                monkeypatch, capsys, unrecorded):
    """The same `send status … --as-of 2014-08-29` typed again to check nothing goes twice sent
    "v2 via smtp: 5 sent", "(versjon 2, erstatter versjon 1)" to all five: the report had been
    made again compared with the report of 31 July sent after it ("1. august 2014 – 29. august
    2014", "Prognose endret fra 5 306 340 kr"). Now nothing is sent, and the document is version 1
    as it went; also where version 1's record entry is from before the report it was compared with
    was kept (an installation updated after sending it)."""
    port = free_port()
    _smtp_config(scratch_config, port)
    with SmtpServer(port=port) as server:
        base, docx, v1 = _sent_later_reports_dated_earlier(scratch_config, tmp_path, monkeypatch, capsys, server,
                                                           unrecorded)
        assert main([*base, *ERP, "2014-08-29"]) == 0
        out = capsys.readouterr().out
        assert len(server.recorder.messages()) == 20, [m["Subject"] for m in server.recorder.messages()[20:]]
    (line,) = [x for x in out.splitlines() if "status-2014-08-29" in x or "nothing to send" in x]
    assert "nothing to send: all 5 recipient(s) already have" in line, out
    assert "v2" not in out and "version 2" not in out, out
    assert _text(docx) == v1
    record = json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))
    assert [v["version"] for v in record["versions"]] == [1]


def test_a_data_change_after_it_went_out_is_version_2_with_the_same_basis(scratch_config, tmp_path,
                                                                          monkeypatch, capsys):
    """A real change in the data (milestone 3 done) after reports dated earlier were sent: version 2
    goes to the five, and it is compared with what they had when version 1 went out (the report of
    2 May), as version 1 was: the period and the changes listed stay, the milestone is new."""
    port = free_port()
    _smtp_config(scratch_config, port)
    with SmtpServer(port=port) as server:
        base, docx, v1 = _sent_later_reports_dated_earlier(scratch_config, tmp_path, monkeypatch, capsys, server)
        replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
                   "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
        assert main([*base, *ERP, "2014-08-29"]) == 0
        out = capsys.readouterr().out
        later = server.recorder.messages()[20:]
    assert len(later) == 5 and all("(versjon 2, erstatter versjon 1)" in m["Subject"] for m in later), out
    v2 = _text(docx)
    assert "3. mai 2014 – 29. august 2014" in v2 and "1. august 2014" not in v2
    assert "Samlet status: gul → grønn" in v2 and "Prognose endret fra 4 535 668 kr" in v2
    assert "Lønn i drift i alle" in v2 and "Lønn i drift i alle" not in v1


def test_a_new_basis_asked_for_is_version_2_and_kept(scratch_config, tmp_path, monkeypatch, capsys):
    """Asked for explicitly (`render --new-basis`), the report is compared with the latest report
    delivered now (31 July): the send after it (without the option) gives version 2 to the five,
    its period from 1 August; typed again, that basis stays and nothing is sent."""
    port = free_port()
    _smtp_config(scratch_config, port)
    with SmtpServer(port=port) as server:
        base, docx, v1 = _sent_later_reports_dated_earlier(scratch_config, tmp_path, monkeypatch, capsys, server)
        assert main([*base, "render", *ERP[1:3], "--as-of", "2014-08-29", "--new-basis"]) == 0
        assert "(version 2, written)" in capsys.readouterr().out
        assert main([*base, *ERP, "2014-08-29"]) == 0
        later = server.recorder.messages()[20:]
        assert len(later) == 5 and all("(versjon 2, erstatter versjon 1)" in m["Subject"] for m in later)
        assert sorted(r for _, rcpts, _ in server.recorder.arrived[20:] for r in rcpts) == sorted(RECIPIENTS)
        v2 = _text(docx)
        assert "1. august 2014 – 29. august 2014" in v2 and "3. mai 2014" not in v2
        capsys.readouterr()
        assert main([*base, *ERP, "2014-08-29"]) == 0
        out = capsys.readouterr().out
        assert len(server.recorder.messages()) == 25
    assert "nothing to send: all 5 recipient(s) already have" in out, out
    assert _text(docx) == v2
