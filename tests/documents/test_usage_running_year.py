"""The usage report as an outside tester (a project leader, session 19) read it: a report for the
year still running went to the county governor dated 31.12 and counting forward to then, with no
word; results reported in one note were said not reported when a later note left them out; a note
dated after today was quoted; the report was dated by its figures' day, not the day it was made;
a postponed milestone was only "forsinket", and two award letters were one sum with no word.

The config is written by ``fosen.write``; every expected figure is counted here from what it writes.
"""

from __future__ import annotations

from datetime import date, timedelta

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, find_table, paragraphs, tables
from . import fosen

NB = "\u00a0"
TODAY = date(2026, 11, 28)


def _n(amount: int) -> str:
    """A whole amount as the documents group it ('50 000'), once no-break spaces are plain."""
    return f"{amount:,}".replace(",", " ")


def _plain(text: str) -> str:
    return text.replace(NB, " ")


def _usage(config, out, year: int, today: date = TODAY):
    return produce(open_register(config), "usage", council_id=fosen.COUNCIL, period=str(year), out=out, today=today)


def _row(docx) -> list[str]:
    (row,) = [[_plain(c) for c in r] for r in find_table(docx, "Prosjekt")[1:] if r[0] != "Sum"]
    return row


def _dato(docx) -> str:
    (row,) = [r for t in tables(docx) for r in t if r and r[0] == "Dato"]
    return _plain(row[1])


def test_the_running_year_is_a_draft_counted_to_today_and_an_error_finding(tmp_path):
    config = fosen.write(tmp_path, 2026, last_month=10)
    made = _usage(config, tmp_path / "out", 2026)
    text = _plain(all_text(made.docx))
    assert "UTKAST – året er ikke avsluttet; tall per 28. november 2026." in text, text
    assert _dato(made.docx) == "28. november 2026"
    # spent to date: 4 salaries the year before, 10 this year (all before 28.11); granted 300 000 + 650 000
    spent = 4 * fosen.FIRST_YEAR_SALARY + 10 * fosen.SALARY
    row = _row(made.docx)
    assert row[2:5] == ["950 000", f"{spent:,}".replace(",", " "), f"{950_000 - spent:,}".replace(",", " ")], row
    # not yet unused: no request to carry it over, said as open
    assert row[5] == "Avgjøres etter årsskiftet" and "søkes overført til 2027, da prosjektet" not in text, text
    # nor says the fixed sentence that unused money is asked carried over (found by a reviewer)
    assert "Hva som søkes overført eller tilbakebetales, avgjøres når året er avsluttet." in text \
        and "For prosjekter som fortsetter etter årsskiftet søkes" not in text, text
    assert (f"{fosen.NAME}: ubrukt per 28. november 2026 er {_n(950_000 - spent)} kr; hva som søkes overført til "
            "2027, avgjøres når året er avsluttet.") in text, text
    # delays counted to today, not to 31.12: 03 planned 30.04.2026, 04 30.06.2026, 06 31.10.2026
    days = {n: (TODAY - d).days for n, d in ((3, date(2026, 4, 30)), (4, date(2026, 6, 30)), (6, date(2026, 10, 31)))}
    assert days == {3: 212, 4: 151, 6: 28}
    assert f"milepæl 03 ble utsatt og er {days[3]} dager forsinket" in row[6].lower(), row[6]
    assert f"04 ({days[4]} dager) og 06 ({days[6]} dager) er forsinket" in row[6], row[6]
    assert made.key_figures.get("Brukt per 28.11.2026") == f"{spent:,} kr".replace(",", NB).replace(" kr", f"{NB}kr")
    (error,) = [f for f in made.findings if f.severity == "error"]
    assert "2026 has not ended" in error.message and "28.11.2026" in error.message \
        and "--override-reason" in error.message, error


def test_an_ended_year_is_dated_the_day_it_is_made_and_reported_per_31_12(tmp_path):
    config = fosen.write(tmp_path, 2025)
    made = _usage(config, tmp_path / "out", 2025)
    text = _plain(all_text(made.docx))
    assert _dato(made.docx) == "28. november 2026"
    assert "Rapport per\n31. desember 2025" in text and "UTKAST" not in text, text
    assert not [f for f in made.findings if f.severity == "error"], made.findings


def test_an_old_ledger_export_is_said(tmp_path):
    config = fosen.write(tmp_path, 2026, last_month=8)          # last row 31.08.2026
    made = _usage(config, tmp_path / "out", 2026)
    days = (TODAY - date(2026, 8, 31)).days
    assert days == 89
    (warning,) = [f for f in made.findings if f.field == "Dato"]
    assert f"last row is dated 31.08.2026, {days} days before" in warning.message, warning
    text = _plain(all_text(made.docx))
    assert (f"{fosen.NAME}: regnskapet har siste postering 31. august 2026, {days} dager før 28. november 2026"
            in text), text


def test_results_come_from_the_latest_note_of_the_year_that_has_them(tmp_path):
    notes = [{"as_of": date(2026, 11, 20), "summary": "Piloten er forsinket.", "results": "Kartlegging levert.",
              "explanation": "Leverandøren har ikke levert plattformen."},
             {"as_of": date(2026, 11, 25), "summary": "Fortsatt forsinket.",
              "explanation": "Leverandøren har fortsatt ikke levert."}]
    config = fosen.write(tmp_path, 2026, notes=notes)
    made = _usage(config, tmp_path / "out", 2026)
    row = _row(made.docx)
    assert row[7] == "Kartlegging levert. (Fra statusnotatet 20. november 2026.)", row[7]
    assert "«Leverandøren har fortsatt ikke levert»" in row[6], row[6]
    assert not [f for f in made.findings if f.field == "status.results"], made.findings


def test_results_only_from_an_earlier_year_are_said_as_such(tmp_path):
    notes = [{"as_of": date(2025, 12, 10), "summary": "I rute.", "results": "Prosjektleder tilsatt."},
             {"as_of": date(2026, 11, 25), "summary": "Forsinket.", "explanation": "Leverandøren har ikke levert."}]
    config = fosen.write(tmp_path, 2026, notes=notes)
    row = _row(_usage(config, tmp_path / "out", 2026).docx)
    assert row[7] == ("Ingen nye resultater meldt inn for 2026. Sist meldt (statusnotatet 10. desember 2025): "
                      "Prosjektleder tilsatt."), row[7]


def test_a_postponed_milestone_is_said_postponed_and_each_award_letter_is_named(tmp_path):
    config = fosen.write(tmp_path, 2025)
    made = _usage(config, tmp_path / "out", 2025)
    text = _plain("\n".join(paragraphs(made.docx)))
    (a, b) = fosen.grants(2025)
    # 03 postponed (utsatt) and planned 30.04.2025: late by 31.12.2025, said as the status report says it
    days = (date(2025, 12, 31) - date(2025, 4, 30)).days
    assert _row(made.docx)[6].startswith(f"Alvorlig avvik: Milepæl 03 ble utsatt og er {days} dager forsinket; "
                                         "milepælene 04 ("), _row(made.docx)[6]
    assert (f"{fosen.NAME}: tildelt {_n(a[1] + b[1])} kr er to tilsagn: {_n(a[1])} kr for {a[0]} (saksnr. {a[2]}) og "
            f"{_n(b[1])} kr for {b[0]} (saksnr. {b[2]}).") in text, text


def test_a_status_note_dated_after_today_is_refused_by_validate_and_the_report(tmp_path, capsys):
    year = max(date.today().year, 2026)
    ahead = date.today() + timedelta(days=20)
    notes = [{"as_of": date(year - 1, 11, 20), "summary": "Forsinket.", "results": "Kartlegging levert."},
             {"as_of": ahead, "summary": "FREMTIDIG NOTAT.", "explanation": "Fremtidig forklaring."}]
    config = fosen.write(tmp_path, year, last_month=0, notes=notes)
    notes_file = config / "data" / fosen.PROJECT / "notater.yaml"
    line = notes_file.read_text(encoding="utf-8").splitlines().index(f"- as_of: {ahead.isoformat()}") + 1
    assert main(["validate", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    (bad,) = [x for x in out.splitlines() if "status[1].as_of" in x]
    assert f"notater.yaml:{line} status[1].as_of: status note dated {ahead.isoformat()} is after today" in bad, bad
    assert main(["render", "usage", "--council", fosen.COUNCIL, "--year", str(year - 1),
                 "--config", str(config), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"notater.yaml:{line}: status[1].as_of" in err \
        and "Traceback" not in err, err


def test_sending_the_running_year_needs_an_override_reason(tmp_path, capsys, monkeypatch):
    from ..smtp_server import SmtpServer, free_port, use_smtp

    year = date.today().year
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    config = fosen.write(tmp_path, year, last_month=0,
                         notes=[{"as_of": date(year - 1, 11, 20), "summary": "I gang.", "results": "Tilsatt."}],
                         progress=f"Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;10.11.{year - 1};\n")
    args = ["--config", str(config), "send", "usage", "--council", fosen.COUNCIL, "--year", str(year),
            "--yes", "--transport", "smtp"]
    port = free_port()
    use_smtp(config, port)
    with SmtpServer(port=port) as server:
        assert main(args) == 1
        err = capsys.readouterr().err
        assert f"{year} has not ended" in err and "--override-reason" in err and "Traceback" not in err, err
        assert server.recorder.messages() == []
        assert main([*args, "--override-reason", "Foreløpige tall etter avtale med Statsforvalteren"]) == 0
        subjects = {m["Subject"] for m in server.recorder.messages()}
        # the subject says it is a draft: the body's "Brukt per …" alone did (found by a reviewer)
        made = date.today().strftime("%d.%m.%Y")
        # (the county governor's copy ends with its case numbers, "– Deres ref. …": test_case_reference.py)
        assert subjects and all(s.split(" – Deres ref. ")[0].endswith(f"– {year} (UTKAST per {made})")
                                for s in subjects), subjects


def test_a_note_taken_in_ahead_of_its_send_date_is_accepted(tmp_path, capsys):
    """The status cycle asks the project leader days before the send date and files the answer
    under that date (reported_at: when it came in): not a note from the future."""
    ahead = date.today() + timedelta(days=3)
    notes = [{"as_of": ahead, "summary": "I rute.", "reported_by": "Per Prosjektleder",
              "reported_at": f"{date.today().isoformat()}T09:00:00"}]
    config = fosen.write(tmp_path, 2026, notes=notes)
    main(["validate", "--config", str(config)])
    assert "status[0].as_of" not in capsys.readouterr().out
