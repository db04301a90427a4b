"""What a funder gets, tried as the secretariat does: `grantflow send` by hand to the outbox, a
second project of the council naming the same funder, `grantflow deadlines` and its calendar."""

from email import message_from_bytes, policy

from grantflow.cli import main

from ..conftest import replace_in

NG = "smart-velferdsregion-nord-gudbrandsdal"
HELSEDIR = "  - id: helsedir\n    name: Helsedirektoratet\n"
HELSEDIR_MAIL = "postmottak@helsedir.example.no"


def _helsedir_asks(config, *deadlines):
    lines = f"    email: {HELSEDIR_MAIL}\n    deadlines:\n" + "".join(f"      - {d}\n" for d in deadlines)
    replace_in(config / f"projects/{NG}.yaml", HELSEDIR, HELSEDIR + lines)


def _to(tmp_path) -> list[str]:
    return sorted(message_from_bytes(p.read_bytes(), policy=policy.default)["To"].addresses[0].addr_spec
                  for p in (tmp_path / "outputs" / "outbox").glob("*.eml"))


def _governor_elsewhere(config):
    """The county governor's mailbox is not the funder entry's address, so a funder's copy shows."""
    replace_in(config / "councils/nord-gudbrandsdal.yaml", "fminpost@fylkesmannen.example.no",
               "postmottak@statsforvalteren.example.no")


def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")


def test_a_status_report_sent_by_hand_on_the_funders_day_reaches_the_funder(scratch_config, tmp_path,
                                                                             monkeypatch, capsys):
    """Helsedirektoratet's interim report is due Monday 2 March 2020: the watch makes it a week
    before, dated 24 February. Sent by hand for that day it went to the steering group only (and a
    status cycle, which sends the same way, never reached the funder either); another day's report
    is not the funder's."""
    _helsedir_asks(scratch_config, "{kind: status, date: 2020-03-02, description: Midtveisrapport}")
    _env(monkeypatch, tmp_path)
    base = ["--config", str(scratch_config), "send", "status", NG, "--yes"]
    assert main(base + ["--as-of", "2020-02-24"]) == 0
    assert "v1 via outbox: 8 sent" in capsys.readouterr().out
    assert HELSEDIR_MAIL in _to(tmp_path)
    assert main(base + ["--as-of", "2020-04-16"]) == 0
    assert _to(tmp_path).count(HELSEDIR_MAIL) == 1


def test_the_usage_report_reaches_every_address_a_council_has_for_its_funder(scratch_config, tmp_path,
                                                                             monkeypatch, capsys):
    """Two projects of one council name the same funder with different case officers: the council's
    usage report went to the first project's address only. A project that ended before the year
    (an old address of the same funder) is not in the report, and its address gets nothing."""
    text = (scratch_config / f"projects/{NG}.yaml").read_text(encoding="utf-8")
    other = text.replace(f"id: {NG}\n", "id: ng-andre\n", 1).replace(
        "email: fminpost@fylkesmannen.example.no", "email: saksbehandler@statsforvalteren.example.no", 1)
    assert other.count("ng-andre") == 1 and "saksbehandler@" in other
    (scratch_config / "projects/ng-andre.yaml").write_text(other, encoding="utf-8")
    ended = text.replace(f"id: {NG}\n", "id: ng-gammel\n", 1).replace(
        "email: fminpost@fylkesmannen.example.no", "email: fmoppost@fylkesmannen.example.no", 1).replace(
        "period: {start: 2019-07-01, end: 2021-06-30}", "period: {start: 2015-01-01, end: 2017-12-31}").replace(
        f"  hours: data/{NG}/timer.csv\n", "")      # its own-effort hours of 2019 lie outside 2015–2017: an error
    assert "fmoppost@" in ended and "end: 2017-12-31" in ended and "timer.csv" not in ended
    (scratch_config / "projects/ng-gammel.yaml").write_text(ended, encoding="utf-8")   # ended before 2019
    _governor_elsewhere(scratch_config)
    _env(monkeypatch, tmp_path)
    assert main(["--config", str(scratch_config), "send", "usage", "--council", "nord-gudbrandsdal",
                 "--year", "2019", "--yes"]) == 0, capsys.readouterr().err
    to = _to(tmp_path)
    assert "saksbehandler@statsforvalteren.example.no" in to and "fminpost@fylkesmannen.example.no" in to
    assert "fmoppost@fylkesmannen.example.no" not in to


def test_funder_named_by_hand_adds_to_those_whose_deadlines_ask(scratch_config, tmp_path, monkeypatch, capsys):
    """`--funder helsedir` (twice) for the final report: Helsedirektoratet once, and Statsforvalteren,
    whose final-report deadline names it, still (an id typed by hand never takes a recipient away)."""
    replace_in(scratch_config / f"projects/{NG}.yaml", HELSEDIR, HELSEDIR + f"    email: {HELSEDIR_MAIL}\n")
    _governor_elsewhere(scratch_config)
    _env(monkeypatch, tmp_path)
    assert main(["--config", str(scratch_config), "send", "final", NG, "--yes",
                 "--funder", "helsedir", "--funder", "helsedir"]) == 0, capsys.readouterr().err
    to = _to(tmp_path)
    assert to.count(HELSEDIR_MAIL) == 1 and "fminpost@fylkesmannen.example.no" in to


def test_deadlines_and_the_calendar_say_which_funders_get_the_document(scratch_config, tmp_path, capsys):
    """Two funders ask for the final report: it is one item under the earlier deadline's words
    (Helsedirektoratet's), and the secretariat did not see that Statsforvalteren gets it too; a
    funder without an address (a portal) is named as such."""
    _helsedir_asks(scratch_config, "{kind: final, date: 2021-12-01, description: Sluttrapport Helsedir}")
    replace_in(scratch_config / f"projects/{NG}.yaml", "    email: fminpost@fylkesmannen.example.no\n", "")
    ics = tmp_path / "frister.ics"
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2021-11-01", "--days", "200",
                 "--ics", str(ics)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    # configured as Fylkesmannen: named as on its deadline's day (2022), as the documents name it
    wanted = ("sendes til Helsedirektoratet; uten e-postadresse: Statsforvalteren i Innlandet (skjønnsmidler)")
    assert wanted in out
    from icalendar import Calendar

    (event,) = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert wanted in str(event["SUMMARY"])


def test_a_funder_address_with_an_encoded_line_break_is_one_line_at_validation(scratch_config, capsys):
    """`=?utf-8?q?a=0Ab?=@x.no` passed validation and stopped only when the mail was built."""
    replace_in(scratch_config / f"projects/{NG}.yaml", HELSEDIR, HELSEDIR + '    email: "=?utf-8?q?a=0Ab?=@x.no"\n')
    assert main(["validate", str(scratch_config)]) == 1
    (line,) = [l for l in capsys.readouterr().out.splitlines() if "email" in l]
    assert line.startswith("ERROR") and f"projects/{NG}.yaml:" in line and "funders[1].email" in line
    assert "RFC 2047" in line


def test_a_funders_status_deadline_on_a_meetings_send_date_keeps_the_meetings_report(scratch_config, tmp_path,
                                                                                     monkeypatch, capsys):
    """Helsedirektoratet's interim report is due 16 April 2020, the day the report for the meeting of
    23 April goes out. The funder's item replaced the meeting's: the steering group's report was made
    a week early (14 April, after Easter) and the meeting was gone from `grantflow deadlines`. Now the
    meeting's report, dated the send date, goes to the funder as well."""
    _helsedir_asks(scratch_config, "{kind: status, date: 2020-04-16, description: Delrapport}")
    _env(monkeypatch, tmp_path)
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2020-04-01", "--days", "30"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "16.04.2020 Status" in out and "styringsgruppemøtet 23.04.2020" in out
    assert "sendes til Helsedirektoratet" in out
    assert main(["--config", str(scratch_config), "send", "status", NG, "--as-of", "2020-04-16", "--yes"]) == 0
    assert "v1 via outbox: 8 sent" in capsys.readouterr().out
    assert HELSEDIR_MAIL in _to(tmp_path)


def test_the_approval_preview_says_it_is_the_funder_that_needs_approval(scratch_config, tmp_path, monkeypatch,
                                                                       capsys):
    """A status report needs no approval, but Helsedirektoratet's does; the line said 'sending this
    kind needs approval' and the preview did not say which recipient was the funder."""
    _helsedir_asks(scratch_config, "{kind: status, date: 2020-03-02, description: Midtveisrapport}")
    replace_in(scratch_config / f"projects/{NG}.yaml", "consequence: 5, rf: 12,", "consequence: 5,")  # clean data
    _env(monkeypatch, tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert main(["--config", str(scratch_config), "send", "status", NG, "--as-of", "2020-02-24",
                 "--transport", "smtp"]) == 1
    captured = capsys.readouterr()
    assert f"Til finansiør (godkjennes alltid): {HELSEDIR_MAIL}" in captured.out
    assert captured.err == f"error: --yes: sending to a funder ({HELSEDIR_MAIL}) needs approval: run interactively " \
                           "or add --yes\n"


def test_a_funder_named_by_hand_without_an_address_is_one_line_not_a_silent_send(scratch_config, tmp_path,
                                                                                monkeypatch, capsys):
    """`--funder helsedir` where Helsedirektoratet has no address: '2 sent', exit 0, as if it had got it."""
    _env(monkeypatch, tmp_path)
    assert main(["--config", str(scratch_config), "send", "final", NG, "--yes", "--funder", "helsedir"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "funder helsedir has no e-mail address" in err
    assert not (tmp_path / "outputs" / "outbox").exists()


def test_deadlines_and_the_calendar_name_each_funders_requirement(scratch_config, tmp_path, capsys):
    """Statsforvalteren ("Sluttrapport") and Helsedirektoratet ("Sluttrapport med
    gevinstrealiseringsplan") both want the final report by 1.2.2022. It is one line in `grantflow
    deadlines`, and it showed the first funder's words only: what Helsedirektoratet asks for was in
    neither the listing nor the calendar (the reminder mail names both since 4fcb0c5)."""
    _helsedir_asks(scratch_config, "{kind: final, date: 2022-02-01, description: Sluttrapport med gevinstrealiseringsplan}")
    ics = tmp_path / "frister.ics"
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2021-11-01", "--days", "200",
                 "--ics", str(ics)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    # the 80-column table folds the project column beside the first lines: each funder's part whole
    # configured as Fylkesmannen: named as on its deadline's day (2022), as the documents name it
    wanted = ("krav: Statsforvalteren i Innlandet (skjønnsmidler), frist 01.02.2022: Sluttrapport; "
              "Helsedirektoratet, frist 01.02.2022: Sluttrapport med gevinstrealiseringsplan; sendes til")
    assert wanted in out, out
    from icalendar import Calendar

    (event,) = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert "Sluttrapport – Smart velferdsregion Nord-Gudbrandsdal; " + wanted in str(event["SUMMARY"])
    assert ("- Statsforvalteren i Innlandet (skjønnsmidler), frist 1. februar 2022: Sluttrapport\n"
            "- Helsedirektoratet, frist 1. februar 2022: Sluttrapport med gevinstrealiseringsplan"
            ) in str(event["DESCRIPTION"]), str(event["DESCRIPTION"])
