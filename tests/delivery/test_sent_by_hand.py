"""What the deadline watch makes of a status report already sent by hand (``sent_by_hand``), from a
real ledger written by `grantflow send` over SMTP: whether the meeting's report counts as delivered
(no cycle, nothing sent) and the line the secretariat reads. Found by a reviewer: a report sent with
--recipient to one person was "til alle 1 mottakere" and the rest never got it; a funder's interim
deadline hid the report sent for the meeting; the day was UTC's, not Oslo's."""

import sqlite3

from flows.deadline_watch import sent_by_hand, sent_line
from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"
HV = "haugaland-velferdsteknologi"
FUNDER = "fmropost@fylkesmannen.example.no"


def _env(config, monkeypatch, tmp_path) -> int:
    port = free_port()
    use_smtp(config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return port


def _for(config, document: str) -> dict:
    """Status item key -> verdict, for the report ``document`` (``<council>/<project>/status-<date>``)."""
    return {k: v for k, v in sent_by_hand(str(config)).items() if v.document.endswith(document)}


def test_a_report_sent_by_hand_to_one_recipient_is_completed_to_the_rest(scratch_config, tmp_path,
                                                                          monkeypatch, capsys):
    port = _env(scratch_config, monkeypatch, tmp_path)
    send = ["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-08-29", "--transport",
            "smtp", "--yes"]
    with SmtpServer(port=port) as server:
        assert main(send + ["--recipient", "radmann@kongsberg.example.no"]) == 0
        assert server.recorder.recipients() == ["radmann@kongsberg.example.no"]
        (verdict,) = _for(scratch_config, f"{ERP}/status-2014-08-29").values()
        partial = sent_line(verdict)
        assert main(send) == 0                     # the rest, as the watch's completion sends it
        everyone = {r.casefold() for r in server.recorder.recipients()}
    total = len(everyone)                          # what a plain `grantflow send` reaches: 5
    assert total == 5, everyone
    assert not verdict.complete
    assert {m.casefold() for m in verdict.missing} == everyone - {"radmann@kongsberg.example.no"}
    assert f"versjon 1, til 1 av {total} mottakere; resten sendes nå" in partial, partial
    (after,) = _for(scratch_config, f"{ERP}/status-2014-08-29").values()
    assert after.complete and f"versjon 1, til alle {total} mottakere" in sent_line(after)


def test_a_funders_interim_deadline_keeps_the_report_sent_for_the_meeting(scratch_config, tmp_path,
                                                                          monkeypatch, capsys):
    """Fylkesmannen's interim report is due 14.06.2016 (made 07.06), between the report for the
    meeting of 10.06 (dated 03.06) and the meeting. The 03.06 report sent by hand is the meeting's;
    the funder never got it, so its item is not done."""
    final = "      - {kind: final, date: 2018-02-01, description: Sluttrapport}\n"
    replace_in(scratch_config / f"projects/{HV}.yaml", final,
               final + "      - {kind: status, date: 2016-06-14, description: Delrapport til Fylkesmannen}\n")
    port = _env(scratch_config, monkeypatch, tmp_path)
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), "send", "status", HV, "--as-of", "2016-06-03",
                     "--transport", "smtp", "--yes", "--override-reason", "kjent"]) == 0
        got = {r.casefold() for r in server.recorder.recipients()}
    assert FUNDER not in got
    verdicts = _for(scratch_config, f"{HV}/status-2016-06-03")
    meeting = [v for k, v in verdicts.items() if k.endswith(":2016-06-03")]
    funder = [v for k, v in verdicts.items() if k.endswith(":2016-06-14")]
    assert meeting and meeting[0].complete, verdicts
    assert f"til alle {len(got)} mottakere" in sent_line(meeting[0])
    assert funder and not funder[0].complete and list(funder[0].missing) == [FUNDER], verdicts
    assert f"til {len(got)} av {len(got) + 1} mottakere; resten sendes nå" in sent_line(funder[0])


def test_the_day_sent_by_hand_is_oslos(scratch_config, tmp_path, monkeypatch, capsys):
    """Sent at 23:58 UTC on 28 November 2026, 00:58 on the 29th in Oslo: the mail says the 29th."""
    port = _env(scratch_config, monkeypatch, tmp_path)
    with SmtpServer(port=port):
        assert main(["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-08-29",
                     "--transport", "smtp", "--yes"]) == 0
    with sqlite3.connect(tmp_path / "sent.db") as db:     # as SQLite keeps it: naive UTC
        db.execute("update deliveries set delivered_at = '2026-11-28 23:58:00.000000', "
                   "updated_at = '2026-11-28 23:58:00.000000'")
    (verdict,) = _for(scratch_config, f"{ERP}/status-2014-08-29").values()
    assert sent_line(verdict).startswith("sendt for hånd 29. november 2026:"), sent_line(verdict)
