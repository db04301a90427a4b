"""The mail of a corrected version says what differs from the version the reader has (an outside
tester: "(versjon 2, erstatter versjon 1)" and "Bruk versjon 2 og se bort fra den forrige", and a
member had to diff by eye to find 'Regnskap til nå' 125 000 → 137 400 kr)."""

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

NBSP = "\u00a0"


@pytest.fixture
def sent_twice(scratch_config, tmp_path, monkeypatch):
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")

    def run(project: str, as_of: str, change) -> list:
        send = ["--config", str(scratch_config), "send", "status", project, "--as-of", as_of, "--yes",
                "--override-reason", "kjent differanse", "--transport", "smtp"]
        with SmtpServer(port=port) as server:
            assert main(send) == 0
            first = len(server.recorder.messages())
            change()
            assert main(send) == 0
            return server.recorder.messages()[first:]
    return run


def _bodies(mails) -> list[str]:
    return [m.get_body(("plain",)).get_content().replace(NBSP, " ").replace("\r\n", "\n") for m in mails]


def test_a_changed_ledger_row_is_named_with_its_figure_before_and_now(scratch_config, sent_twice):
    # 13.11.2015: the September and October salaries are booked, 62 500 kr each = 125 000 kr;
    # October corrected to 74 900 kr: 137 400 kr
    ledger = scratch_config / "data/haugaland-velferdsteknologi/regnskap.csv"
    mails = sent_twice("haugaland-velferdsteknologi", "2015-11-13", lambda: replace_in(
        ledger, "Lønn prosjektleder oktober;62 500,00", "Lønn prosjektleder oktober;74 900,00"))
    assert mails
    for mail, body in zip(mails, _bodies(mails)):
        if "erstatter versjon 1" not in str(mail["Subject"]):
            continue
        assert "Endret fra versjon 1:\n\n- Regnskap til nå: 125 000 kr → 137 400 kr\n" in body, body
        assert "Nøkkeltallene og milepælenes status er de samme" not in body


def test_a_milestone_status_change_is_named_and_a_text_correction_says_so(scratch_config, sent_twice):
    milestones = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"
    mails = sent_twice("kongsbergregionen-erp", "2014-08-29", lambda: replace_in(
        milestones, "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle"))
    bodies = [b for m, b in zip(mails, _bodies(mails)) if "erstatter versjon 1" in str(m["Subject"])]
    assert len(bodies) == 5 and all("- Milepæl 03: I rute → Ferdig\n" in b for b in bodies), bodies[0]
    mails = sent_twice("kongsbergregionen-erp", "2014-08-29", lambda: replace_in(
        milestones, "Lønn i drift i alle", "Lønn i drift i alle fire kommuner"))
    bodies = [b for m, b in zip(mails, _bodies(mails)) if "erstatter versjon 2" in str(m["Subject"])]
    # only what is compared is said to be unchanged ("Ingen tall er endret" was said beside a changed
    # forecast in the text: found by a reviewer)
    assert len(bodies) == 5 and all("Nøkkeltallene og milepælenes status er de samme som i den forrige versjonen; "
                                    "endringene er i teksten eller i andre tall i dokumentet." in b
                                    for b in bodies), bodies[:1]
    assert not any("Endret fra versjon" in b for b in bodies)


def test_a_later_version_for_a_meeting_held_already_is_warned_of(scratch_config, tmp_path, monkeypatch, capsys):
    """A version 3 for the meeting of 4 September 2014 went out in 2026 without a word."""
    from datetime import date

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    send = ["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]
    assert main(send) == 0
    assert "warning" not in capsys.readouterr().err          # version 1: nothing to warn of
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv", "Lønn i drift i tre av fire kommuner",
               "Lønn i drift i tre av fire kommuner (Tinn i september)")
    assert main(send) == 0
    days = (date.today() - date(2014, 9, 4)).days
    err = capsys.readouterr().err
    assert (f"warning: version 2 of kongsbergregionen/kongsbergregionen-erp/status-2014-08-29 is for the "
            f"steering-group meeting of 4. september 2014, {days} days ago") in err, err


def test_a_figure_whose_label_carries_its_day_is_compared_with_the_earlier_days(config_dir, tmp_path):
    """Two drafts of Haugaland's usage report for 2016, made 31.01 and 29.02.2016: 'Brukt per
    31.01.2016' then 'Brukt per 29.02.2016' were two figures, and the change list named only
    'Ubrukt' (found by a reviewer)."""
    from datetime import date

    from grantflow.documents.service import produce, version_changes
    from grantflow.register import open_register

    from grantflow.documents.service import mark_delivered

    register = open_register(config_dir)
    made = []
    for day in (date(2016, 1, 31), date(2016, 2, 29)):
        made.append(produce(register, "usage", council_id="haugaland-vekst", period="2016", out=tmp_path, today=day))
        mark_delivered(made[-1].docx, made[-1].version)          # it went out: the next is version 2
    assert made[1].version == 2
    first, second = (m.key_figures for m in made)
    changes = dict(version_changes(made[1].docx, 2)[1])
    assert changes["Brukt per 29.02.2016"] == f"{first['Brukt per 31.01.2016']} → {second['Brukt per 29.02.2016']}"
