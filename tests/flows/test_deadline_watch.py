"""deadline_watch with fixed as-of dates: the due flows run exactly once; bad data reminds."""

from datetime import date
from email import message_from_bytes, policy

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions
from grantflow.delivery.ledger import SentLedger

from ..conftest import replace_in
from ..docx_text import all_text


def eml(tmp_path, documents_only=True):
    """The mails in the outbox; by default the documents only (not deadline reminders)."""
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))]
    return [m for m in mails if not (documents_only and m["Subject"].startswith("Frist "))]


def test_runs_due_items_once_and_is_idempotent(isolated, config_dir):
    opts = DeliveryOptions(config=str(config_dir))
    first = deadline_watch(as_of=date(2016, 10, 7), options=opts)
    assert first["due"] == ["status:haugaland-velferdsteknologi:2016-10-07"] and first["ran"] == first["due"]
    assert len(eml(isolated)) == 7
    second = deadline_watch(as_of=date(2016, 10, 7), options=opts)
    assert second["ran"] == [] and second["skipped"] == first["due"]
    assert len(eml(isolated)) == 7
    nothing = deadline_watch(as_of=date(2016, 7, 1), options=opts)
    assert nothing["due"] == []


def test_usage_report_is_due_per_council(isolated, config_dir):
    opts = DeliveryOptions(config=str(config_dir))
    result = deadline_watch(as_of=date(2020, 1, 6), options=opts)
    assert result["ran"] == ["usage:nord-gudbrandsdal:2020-01-15"]
    subjects = {m["Subject"] for m in eml(isolated)}
    # the secretariat's copy, and the county governor's with its case number (test_case_reference.py)
    assert subjects == {"Rapportering om bruk av skjønnsmidler: Regionrådet i Nord-Gudbrandsdal – 2019",
                        "Rapportering om bruk av skjønnsmidler: Regionrådet i Nord-Gudbrandsdal – 2019 – "
                        "Deres ref. 2019/1234 (eksempel)"}
    assert (isolated / "outputs/nord-gudbrandsdal/usage-2019.docx").exists()


def test_bad_data_in_one_project_does_not_stop_the_others(isolated, scratch_config):
    # Give Nord-Gudbrandsdal a meeting on the same day as Haugaland's (inside its period: the
    # calendar plans no report for a meeting before the start), then break its ledger.
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               "dates: [2019-09-05", "dates: [2016-10-14, 2019-09-05")
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               "period: {start: 2019-07-01,", "period: {start: 2016-01-01,")
    with (scratch_config / "data/smart-velferdsregion-nord-gudbrandsdal/regnskap.csv").open("a", encoding="utf-8") as f:
        f.write("01.04.2020;2020;Prosjektleder og prosessadministrasjon;Feil;-100;fm-innlandet;\n")
    opts = DeliveryOptions(config=str(scratch_config))
    result = deadline_watch(as_of=date(2016, 10, 7), options=opts)
    assert result["ran"] == ["status:haugaland-velferdsteknologi:2016-10-07"]
    (failed,) = result["failed"]
    assert failed[0] == "status:smart-velferdsregion-nord-gudbrandsdal:2016-10-07"
    assert "regnskap.csv:10: Beløp: negative amount" in failed[1]
    reminders = [m for m in eml(isolated) if m["Subject"].startswith("Påminnelse")]
    (reminder,) = reminders
    assert reminder["To"].addresses[0].addr_spec == "prosjektleder@nord-gudbrandsdal.example.no"
    assert "regnskap.csv:10" in reminder.get_body(("plain",)).get_content()
    count = len(eml(isolated))
    again = deadline_watch(as_of=date(2016, 10, 7), options=opts)       # same day: nothing new
    assert again["ran"] == [] and len(again["failed"]) == 1 and len(eml(isolated)) == count
    rows = {r["key"]: r for r in SentLedger(f"sqlite:///{isolated / 'sent.db'}").watch_rows()}
    assert rows["status:smart-velferdsregion-nord-gudbrandsdal:2016-10-07"]["status"] == "failed"
    assert rows["status:haugaland-velferdsteknologi:2016-10-07"]["status"] == "done"


def test_deadline_reminders_once_per_deadline_and_lead(isolated, config_dir):
    """10 and 3 working days before Haugaland's status report of 7.10.2016 (meeting 14.10)."""
    opts = DeliveryOptions(config=str(config_dir))
    def reminders():
        return [m for m in eml(isolated, documents_only=False) if m["Subject"].startswith("Frist om")]
    deadline_watch(as_of=date(2016, 9, 22), options=opts)        # 11 working days before: nothing yet
    assert not [m for m in reminders() if "Haugaland" in m["Subject"]]
    first = deadline_watch(as_of=date(2016, 9, 23), options=opts)   # 10 working days before
    mine = [m for m in reminders() if "Haugaland" in m["Subject"]]
    assert len(mine) == 1 and mine[0]["Subject"].startswith("Frist om 10 virkedager: Statusrapport")
    assert mine[0]["To"].addresses[0].addr_spec == "prosjektleder@haugalandvekst.example.no"
    assert any("status:haugaland-velferdsteknologi:2016-10-07 (10 d)" in r for r in first["reminders"])
    deadline_watch(as_of=date(2016, 9, 26), options=opts)        # same lead again: not again
    assert len([m for m in reminders() if "Haugaland" in m["Subject"]]) == 1
    deadline_watch(as_of=date(2016, 10, 4), options=opts)        # 3 working days before
    subjects = [m["Subject"] for m in reminders() if "Haugaland" in m["Subject"]]
    assert len(subjects) == 2 and subjects[1].startswith("Frist om 3 virkedager")


def test_broken_template_goes_to_the_secretariat(isolated, config_dir, monkeypatch):
    import flows.deadline_watch as watch
    import grantflow.documents.lint as lint

    monkeypatch.setattr(lint, "check_templates",
                        lambda folder=None: ["templates/statusrapport.docx: undeclared variable 'x'"])
    result = deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config=str(config_dir)))
    assert result["ran"] == [] and "malen har feil" in result["failed"][0][1]
    mails = eml(isolated, documents_only=False)
    to_secretariat = [m for m in mails if m["Subject"] == "grantflow: dokumentmaler har feil"]
    assert {m["To"].addresses[0].addr_spec for m in to_secretariat} >= {"post@haugalandvekst.example.no"}
    assert not [m for m in mails if m["Subject"].startswith("Påminnelse")]   # no data reminder to leaders
    assert "statusrapport.docx" in to_secretariat[0].get_body(("plain",)).get_content()
    assert watch is not None


def test_no_status_report_after_its_meeting_or_after_the_project_end(isolated, scratch_config):
    """Catch-up after downtime ends with the meeting: a status report 'før styringsgruppemøtet
    14.10.2016' mailed on 17.10 is news from the past. A project that ended (here: stopped early
    on 30.09.2016) gets no status reports for the meetings still listed after its end."""
    opts = DeliveryOptions(config=str(scratch_config))
    late = deadline_watch(as_of=date(2016, 10, 17), options=opts)       # watch down 7.10-14.10
    assert "status:haugaland-velferdsteknologi:2016-10-07" not in late["due"], late
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
               "period: {start: 2015-09-21, end: 2017-09-20}", "period: {start: 2015-09-21, end: 2016-09-30}")
    ended = deadline_watch(as_of=date(2016, 10, 7), options=opts)
    assert ended["due"] == [] and ended["ran"] == [], ended
    assert eml(isolated) == []


def test_a_usage_report_that_cannot_be_made_reminds_the_secretariat(isolated, scratch_config):
    """The usage report is the council's: when a project's data stops it, the secretariat is told
    (it was counted as a reminder sent, 'no project leader for a council-wide item', and nobody was)."""
    with (scratch_config / "data/smart-velferdsregion-nord-gudbrandsdal/regnskap.csv").open("a", encoding="utf-8") as f:
        f.write("01.04.2020;2020;Prosjektleder og prosessadministrasjon;Feil;-100;fm-innlandet;\n")
    result = deadline_watch(as_of=date(2020, 1, 6), options=DeliveryOptions(config=str(scratch_config)))
    assert [key for key, _ in result["failed"]] == ["usage:nord-gudbrandsdal:2020-01-15"]
    (reminder,) = [m for m in eml(isolated) if m["Subject"].startswith("Påminnelse")]
    assert reminder["To"].addresses[0].addr_spec == "post@nord-gudbrandsdal.example.no"
    assert "regnskap.csv:10" in reminder.get_body(("plain",)).get_content()


def test_a_late_first_reminder_says_the_days_actually_left(isolated, config_dir):
    """The watch's first morning before Haugaland's status report of 7.10.2016 is 28.9 (7 working
    days left, the 10-day lead has passed): the subject said 'Frist om 10 virkedager'."""
    deadline_watch(as_of=date(2016, 9, 28), options=DeliveryOptions(config=str(config_dir)))
    subjects = [m["Subject"] for m in eml(isolated, documents_only=False) if m["Subject"].startswith("Frist ")]
    assert subjects == ["Frist om 7 virkedager: Statusrapport – Velferdsteknologi Haugaland"]


def test_nothing_on_a_public_holiday_the_next_working_day_catches_up(isolated, tmp_path):
    """The schedule runs Monday to Friday; 1 January 2027 is a Friday. The usage report per 31.12.2026
    (deadline 15.1.2027, made from 14 days before: 1.1.) went to the county governor on New Year's Day."""
    from ..year_config import make_year_config

    opts = DeliveryOptions(config=str(make_year_config(tmp_path)))
    holiday = deadline_watch(as_of=date(2027, 1, 1), options=opts)
    assert holiday["due"] == [] and holiday["ran"] == [] and holiday["reminders"] == []
    assert eml(isolated, documents_only=False) == []
    monday = deadline_watch(as_of=date(2027, 1, 4), options=opts)   # (the status report of 31.12 catches up too)
    assert "usage:haugaland-vekst:2027-01-15" in monday["ran"], monday
    assert "Rapportering om bruk av skjønnsmidler: Haugaland Vekst – 2026" in {m["Subject"] for m in eml(isolated)}


def test_a_deadline_without_a_document_is_reminded_not_made(isolated, tmp_path):
    """An 'other' deadline (here 17.5.2027, moved to Friday 14.5) made and mailed a cost split to the
    steering group from 7.5 (on a server: 'KeyError: other' every morning). It is reminded of, by
    its name, 10 and 3 working days before; nothing is made."""
    from ..year_config import make_year_config

    opts = DeliveryOptions(config=str(make_year_config(tmp_path)))
    for day in (date(2027, 4, 29), date(2027, 5, 7), date(2027, 5, 11)):
        result = deadline_watch(as_of=day, options=opts)
        assert result["ran"] == [] and result["failed"] == [], (day, result)
    assert eml(isolated) == []
    mails = sorted((m for m in eml(isolated, documents_only=False) if "other 17.05.2027" in m["Subject"]),
                   key=lambda m: " om 3 " in m["Subject"])
    assert [m["Subject"] for m in mails] == [
        "Frist om 10 virkedager: other 17.05.2027 – Velferdsteknologi Haugaland",
        "Frist om 3 virkedager: other 17.05.2027 – Velferdsteknologi Haugaland"]
    body = mails[1].get_body(("plain",)).get_content()
    assert "17. mai 2027 er andre pinsedag og grunnlovsdag; den er flyttet til 14. mai 2027" in body


def test_no_reminder_to_update_data_for_a_document_already_sent(isolated, tmp_path):
    """The application due on Easter Sunday 28.3.2027 (moved to 24.3) is made on 10.3. The leader was
    reminded on 10.3 and 19.3 -- the second time nine days after it had gone to the county governor,
    'sørg for at dataene er oppdatert' for a document already sent. Now: 10 and 3 working days
    before 10.3, saying when it is made and when the deadline is."""
    from ..year_config import make_year_config

    opts = DeliveryOptions(config=str(make_year_config(tmp_path)))
    for day in (date(2027, 2, 24), date(2027, 3, 5), date(2027, 3, 19)):
        deadline_watch(as_of=day, options=opts)
    mails = sorted((m for m in eml(isolated, documents_only=False) if "Søknad om skjønnsmidler –" in m["Subject"]),
                   key=lambda m: " om 3 " in m["Subject"])
    assert [m["Subject"] for m in mails] == [
        "Frist for data om 10 virkedager: Søknad om skjønnsmidler – Velferdsteknologi Haugaland",
        "Frist for data om 3 virkedager: Søknad om skjønnsmidler – Velferdsteknologi Haugaland"]
    body = mails[1].get_body(("plain",)).get_content()
    assert "Fristen 28. mars 2027 er første påskedag; den er flyttet til 24. mars 2027." in body
    assert "grantflow lager og sender dokumentet 10. mars 2027 (om 3 virkedager)" in body


def test_the_cost_split_goes_out_once_before_the_invoicing_date(isolated, tmp_path):
    """The council invoices its municipalities on 15 February every year (invoicing.each_year), the
    award letter names 1.3.2027 too: the 2027 cost split goes to the steering group once, 7 days
    before the earlier (Monday 8.2.2027), dated that day (it was dated the day the flow ran, as a
    usage report the watch makes is not); an invoicing date after the project's last year makes none."""
    from ..year_config import make_year_config

    opts = DeliveryOptions(config=str(make_year_config(tmp_path)))
    first = deadline_watch(as_of=date(2027, 2, 8), options=opts)
    assert first["ran"] == ["costsplit:haugaland-velferdsteknologi:2027-02-15"], first
    for day in (date(2027, 2, 9), date(2027, 2, 22)):
        again = deadline_watch(as_of=day, options=opts)
        assert again["ran"] == [], again
    mails = eml(isolated)
    # the county governor's copy carries its case number (h24-mailref), the others not
    assert {m["Subject"] for m in mails} == {"Kostnadsfordeling: Velferdsteknologi Haugaland – 2027",
                                             "Kostnadsfordeling: Velferdsteknologi Haugaland – 2027 – Deres ref. "
                                             "2015/4711 (eksempel)"}
    assert "radmann@haugesund.example.no" in {m["To"].addresses[0].addr_spec for m in mails}
    assert len(mails) == len({m["To"].addresses[0].addr_spec for m in mails})      # each recipient once
    (docx,) = (p for p in (isolated / "outputs").rglob("costsplit-2027.docx") if ".versjoner" not in p.parts)
    assert "Dato\n8. februar 2027\n" in all_text(docx).replace("\xa0", " ")
    late = deadline_watch(as_of=date(2028, 2, 23), options=opts)
    assert late["due"] == [], late


def test_a_funders_deadline_sends_its_document_to_that_funder(isolated, scratch_config):
    """Helsedirektoratet asks for an interim report by 1.9.2020 and the final report by 1.3.2022;
    its address was read and never used: the watch made the status report for the steering group
    only, and the final report went to the county governor. Now each goes to the funder too, once
    (the final report is made once, for the earlier of the two funders' dates)."""
    from ..conftest import replace_in

    helsedir = "  - id: helsedir\n    name: Helsedirektoratet\n"
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", helsedir, helsedir +
               "    email: postmottak@helsedir.example.no\n    deadlines:\n"
               "      - {kind: status, date: 2020-09-01, description: Delrapport}\n"
               "      - {kind: final, date: 2022-03-01, description: Sluttrapport til Helsedirektoratet}\n")
    opts = DeliveryOptions(config=str(scratch_config))
    interim = deadline_watch(as_of=date(2020, 8, 25), options=opts)
    assert interim["ran"] == ["status:smart-velferdsregion-nord-gudbrandsdal:2020-09-01"], interim
    to_funder = [m for m in eml(isolated) if m["To"].addresses[0].addr_spec == "postmottak@helsedir.example.no"]
    assert [m["Subject"] for m in to_funder] == [
        "Statusrapport: Smart velferdsregion Nord-Gudbrandsdal – 25. august 2020 – Deres ref. 19/0815 (eksempel)"]
    final = deadline_watch(as_of=date(2022, 1, 18), options=opts)
    assert final["ran"] == ["final:smart-velferdsregion-nord-gudbrandsdal:2022-02-01"], final
    for day in (date(2022, 2, 15), date(2022, 2, 28)):
        assert deadline_watch(as_of=day, options=opts)["ran"] == []
    finals = [m for m in eml(isolated) if m["Subject"].startswith("Sluttrapport")]
    assert sorted(m["To"].addresses[0].addr_spec for m in finals) == [
        "fminpost@fylkesmannen.example.no", "postmottak@helsedir.example.no", "radmann@sel.example.no"]


def report_recipients(server) -> list[str]:
    """The recipients of what arrived, but for the watch's notice to the secretariat."""
    from email import message_from_bytes, policy

    return [r for _, rcpts, content in server.recorder.arrived
            if not str(message_from_bytes(content, policy=policy.default)["Subject"]).startswith("Fristvakten")
            for r in rcpts]


def test_a_delivery_that_failed_for_one_recipient_is_run_again_until_everyone_has_it(isolated, scratch_config):
    """Sending once must not mean losing one: the watch's status report reached six of seven over
    SMTP (the seventh's server refused it); the next morning's watch reaches the seventh, and
    nobody gets it twice. The watch recorded such a run as done and never tried again (no test
    saw it: every watch test sent to the local outbox, which does not fail)."""
    from collections import Counter

    from ..delivery.test_concurrent_send import smtp_config
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    smtp_config(scratch_config, port)
    # approved in advance (over SMTP a report waits for approval; Haugaland's data have an error finding)
    opts = DeliveryOptions(config=str(scratch_config), transport="smtp", approved=True,
                           override_reason="finansieringsavviket er kjent")
    refused = "radmann@karmoy.example.no"
    with SmtpServer(port=port, refuse=[refused]) as server:
        first = deadline_watch(as_of=date(2016, 10, 7), options=opts)
        arrived = Counter(r.casefold() for r in report_recipients(server))
        (told,) = [m for m in server.recorder.messages() if str(m["Subject"]).startswith("Fristvakten")]
    assert refused in told.get_body(("plain",)).get_content()      # the secretariat hears of it
    assert first["ran"] == [] and [key for key, _ in first["failed"]] == first["due"], first
    assert len(arrived) == 6 and refused not in arrived and set(arrived.values()) == {1}, arrived
    with SmtpServer(port=port) as server:
        second = deadline_watch(as_of=date(2016, 10, 10), options=opts)      # Monday: before the meeting
        again = Counter(r.casefold() for r in server.recorder.recipients())   # (no alert: it went out)
    assert second["ran"] == first["due"], second
    assert again == Counter({refused: 1}), again                           # only the one who lacked it
    with SmtpServer(port=port) as server:
        third = deadline_watch(as_of=date(2016, 10, 11), options=opts)
        assert server.recorder.recipients() == []
    assert third["ran"] == [] and third["skipped"] == first["due"], third


def test_an_unwritable_outbox_fails_the_item_without_a_reminder_and_the_watch_goes_on(isolated, config_dir):
    """The outbox folder a file: the due item fails naming the folder; the leader is not reminded
    to fix data that are fine (the reminder would meet the same folder and stop the whole watch)."""
    (isolated / "outputs").mkdir()
    (isolated / "outputs" / "outbox").write_text("not a folder", encoding="utf-8")
    result = deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config=str(config_dir)))
    ((key, why),) = [f for f in result["failed"] if f[0].startswith("status:")]
    assert key == "status:haugaland-velferdsteknologi:2016-10-07" and result["ran"] == []
    assert why.startswith("delivery.outbox: cannot write to the outbox folder") and "it is a file" in why, why
    assert not [r for r in result["reminders"] if "haugaland" in r]


def test_a_document_that_does_not_go_out_is_told_to_the_secretariat_once_a_day(isolated, scratch_config):
    """The status report of 7.10.2016 reaches all but one steering-group member: the mail server
    refuses Karmøy's address. That is nobody's data to fix, so the project leader is not reminded;
    the watch used to note it in its Prefect artifact only, and the deadline went by in silence.
    Now the council's secretariat gets one mail a day naming the document and why."""
    import yaml

    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    settings_file = scratch_config / "grantflow.yaml"
    settings = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    settings["delivery"].update(transport="smtp", smtp={"host": "127.0.0.1", "port": port, "security": "none",
                                                        "allow_insecure_localhost": True},
                                retry={"attempts": 1, "backoff_seconds": [0]})
    settings_file.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    # the seed's data errors need an approval to go out over SMTP: given beforehand, as --yes does
    opts = DeliveryOptions(config=str(scratch_config), approved=True, override_reason="test")
    secretariat = "post@haugalandvekst.example.no"

    def told():
        return [m for m in server.recorder.messages() if str(m["Subject"]).startswith("Fristvakten")]

    with SmtpServer(port=port, refuse=["radmann@karmoy.example.no"]) as server:
        first = deadline_watch(as_of=date(2016, 10, 7), options=opts)
        assert [key for key, _ in first["failed"]] == ["status:haugaland-velferdsteknologi:2016-10-07"]
        (mail,) = told()
        assert [a.addr_spec for a in mail["To"].addresses] == [secretariat]
        assert "Haugaland Vekst" in str(mail["Subject"])
        body = mail.get_body(("plain",)).get_content()
        assert "status:haugaland-velferdsteknologi:2016-10-07" in body and "radmann@karmoy.example.no" in body
        assert not [m for m in server.recorder.messages() if str(m["Subject"]).startswith("Påminnelse")]

        deadline_watch(as_of=date(2016, 10, 7), options=opts)         # the same morning again: not again
        assert len(told()) == 1
        deadline_watch(as_of=date(2016, 10, 10), options=opts)        # still failing the next working day
        assert len(told()) == 2


def test_a_project_file_that_cannot_be_read_leaves_out_that_project_only_and_is_told(isolated, scratch_config):
    """A bracket left open in Kongsbergregionen's project file stopped the whole watch: Haugaland's
    status report of 7.10.2016 did not go out, the run failed in Prefect and nobody was mailed.
    Now Haugaland's report goes out, and the secretariats hear which file and line is wrong."""
    replace_in(scratch_config / "projects/kongsbergregionen-erp.yaml", "lead_days: 5", "lead_days: [5")
    result = deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config=str(scratch_config)))
    assert result["ran"] == ["status:haugaland-velferdsteknologi:2016-10-07"]
    assert len([m for m in eml(isolated) if m["Subject"].startswith("Statusrapport")]) == 7
    told = [m for m in eml(isolated) if m["Subject"].startswith("Fristvakten")]
    assert sorted(m["To"].addresses[0].addr_spec for m in told) == [     # the file does not say whose it is
        "post@haugalandvekst.example.no", "post@kongsbergregionen.example.no", "post@nord-gudbrandsdal.example.no"]
    body = told[0].get_body(("plain",)).get_content()
    assert "kongsbergregionen-erp.yaml:" in body and "utelatt fra fristvakten" in body
    again = deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config=str(scratch_config)))
    assert again["ran"] == [] and len([m for m in eml(isolated) if m["Subject"].startswith("Fristvakten")]) == 3


def test_a_served_run_that_failed_on_another_senders_content_does_not_remind_the_leader():
    """On a server the watch reads why a triggered run failed from its state message: the
    project leader is reminded of their data only, as for an item the watch runs itself; a
    content conflict and an outbox that cannot be written go to the secretariat's notice."""
    from flows.deadline_watch import leaders_problem

    failed = "Flow run encountered an exception: "
    assert leaders_problem(failed + "UserError: config/data/x/milepaeler.csv:4: Dato: cannot read date") == \
        "config/data/x/milepaeler.csv:4: Dato: cannot read date"
    assert leaders_problem(failed + "ContentConflict: outputs/x/status-2016-10-07.docx: version 1 was sent "
                                    "with other content") is None
    assert leaders_problem(failed + "UserError: delivery.outbox: cannot write to the outbox folder") is None
    assert leaders_problem(failed + "KeyError: 'x'") is None


def test_a_status_report_whose_meeting_passed_while_the_watch_was_down_is_told_once(isolated, config_dir):
    """Serve stopped after the watch of Thursday 6.10.2016; Haugaland's status report was to go to
    the steering group on Friday 7.10, before the meeting on Friday 14.10. Serve back on Monday 17.10:
    the report was no longer due and nobody heard that the steering group never got it. Now the
    council's secretariat gets one mail naming the report, the meeting and the command that sends it
    now; nothing goes to the steering group after the meeting, and the next morning nothing new."""
    opts = DeliveryOptions(config=str(config_dir))
    before = deadline_watch(as_of=date(2016, 10, 6), options=opts)      # the last morning before the stop
    assert before["due"] == []
    back = deadline_watch(as_of=date(2016, 10, 17), options=opts)
    key = "status:haugaland-velferdsteknologi:2016-10-07"
    assert key not in back["due"] and back["ran"] == [], back
    mails = eml(isolated, documents_only=False)
    (notice,) = [m for m in mails if "styringsgruppemøtet 14.10.2016" in m["Subject"]]
    assert [a.addr_spec for a in notice["To"].addresses] == ["post@haugalandvekst.example.no"]
    assert notice["Subject"].startswith("Ikke sendt: Statusrapport")
    body = notice.get_body(("plain",)).get_content()
    assert "14. oktober 2016" in body and "7. oktober 2016" in body
    assert "grantflow send status haugaland-velferdsteknologi --as-of 2016-10-07" in body
    assert not notice.get_payload() or not [p for p in notice.iter_attachments()]
    recipients = {a.addr_spec for m in mails for a in m["To"].addresses}
    assert not recipients & {"radmann@haugesund.example.no", "radmann@karmoy.example.no"}   # steering group
    assert [k for k in back["missed"]] == [key]
    rows = {r["key"]: r for r in SentLedger(f"sqlite:///{isolated / 'sent.db'}").watch_rows()}
    assert rows[key]["status"] == "missed"
    count = len(mails)
    again = deadline_watch(as_of=date(2016, 10, 18), options=opts)      # once, not every morning
    assert again["missed"] == [] and len(eml(isolated, documents_only=False)) == count


def test_a_watch_killed_in_the_middle_of_a_send_then_run_again_reaches_everyone_once(isolated, scratch_config):
    """The morning watch of 7.10.2016 is killed (-9: out of memory, a reboot) while it mails the status
    report over SMTP, after two steering-group members got it. The next watch must send to the five
    who lack it only, never twice to the two: the ledger's claim of the dead process is taken over.
    (`grantflow send` killed the same way: tests/delivery/test_smtp_faults.py.)"""
    import os
    import signal
    import subprocess
    import sys
    from collections import Counter

    from ..conftest import ROOT
    from ..delivery.test_concurrent_send import smtp_config
    from ..delivery.test_smtp_faults import BlocksOnThirdRecipient, serve
    from ..smtp_server import free_port

    port = free_port()
    smtp_config(scratch_config, port)
    key = "status:haugaland-velferdsteknologi:2016-10-07"
    script = ("from datetime import date\nfrom flows.deadline_watch import deadline_watch\n"
              "from flows.documents import DeliveryOptions\n"
              f"deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config={str(scratch_config)!r}, "
              "transport='smtp', approved=True, override_reason='test'))\n")
    handler = BlocksOnThirdRecipient()
    with serve(handler, port), (isolated / "watch.err").open("w") as err:
        # its own process group: the watch starts Prefect's ephemeral server as its child, which a
        # kill of the watch alone would leave running after the tests (as a reboot or systemd's
        # stop would not); the group goes down together
        watch = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                 stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            assert handler.third.wait(120), (isolated / "watch.err").read_text()[-3000:]
        finally:
            os.killpg(watch.pid, signal.SIGKILL)
            watch.wait()
            handler.release.set()
        first = handler.recipients()
        assert len(first) == 2
        ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
        try:
            assert [r.status for r in ledger.rows()].count("sending") == 1
            assert key not in ledger.watch_done()
        finally:
            ledger.close()
        again = deadline_watch(as_of=date(2016, 10, 7),
                               options=DeliveryOptions(config=str(scratch_config), transport="smtp",
                                                       approved=True, override_reason="test"))
    assert again["ran"] == [key] and again["failed"] == [], again
    arrived = Counter(r.casefold() for r in handler.recipients())
    assert len(arrived) == 7 and set(arrived.values()) == {1}, arrived
    rows = SentLedger(f"sqlite:///{isolated / 'sent.db'}").rows()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 7
    assert any(f"taken over from process {watch.pid}" in (r.detail or "") for r in rows)


def test_a_status_report_whose_template_stays_broken_until_its_meeting_is_told_once(isolated, config_dir,
                                                                                  monkeypatch):
    """The status template broke before Haugaland's report of 7.10.2016 (meeting 14.10) and was fixed
    only after the meeting. Every morning the secretariat got "dokumentmaler har feil", but once the
    meeting had passed nobody heard that the steering group never got the report: the item was never
    recorded as failed, so it was not "missed" either. Now it is told once, as any report that could
    not be made before its meeting."""
    import grantflow.documents.lint as lint

    broken = ["templates/statusrapport.docx: undeclared variable 'x'"]
    monkeypatch.setattr(lint, "check_templates", lambda folder=None: list(broken))
    opts = DeliveryOptions(config=str(config_dir))
    key = "status:haugaland-velferdsteknologi:2016-10-07"
    for day in (7, 10, 14):                       # the send day, a day between, the meeting day
        result = deadline_watch(as_of=date(2016, 10, day), options=opts)
        assert result["ran"] == [] and result["missed"] == []
    broken.clear()                                # fixed after the meeting
    after = deadline_watch(as_of=date(2016, 10, 17), options=opts)
    assert after["missed"] == [key] and after["ran"] == []
    mails = eml(isolated, documents_only=False)
    (notice,) = [m for m in mails if m["Subject"].startswith("Ikke sendt: ")]
    assert "styringsgruppemøtet 14.10.2016" in notice["Subject"]
    assert [a.addr_spec for a in notice["To"].addresses] == ["post@haugalandvekst.example.no"]
    body = notice.get_body(("plain",)).get_content()
    assert "malen har feil" in body
    assert "grantflow send status haugaland-velferdsteknologi --as-of 2016-10-07" in body
    recipients = {a.addr_spec for m in mails for a in m["To"].addresses}
    assert "radmann@haugesund.example.no" not in recipients      # nothing to the steering group after it
    rows = {r["key"]: r for r in SentLedger(f"sqlite:///{isolated / 'sent.db'}").watch_rows()}
    assert rows[key]["status"] == "missed"
    count = len(mails)
    again = deadline_watch(as_of=date(2016, 10, 18), options=opts)
    assert again["missed"] == [] and len(eml(isolated, documents_only=False)) == count


def test_a_reminder_for_one_document_several_funders_ask_for_names_each_funders_requirement(isolated,
                                                                                          scratch_config):
    """Statsforvalteren and Helsedirektoratet both want Nord-Gudbrandsdal's final report by 1.2.2022,
    each in its own words. The two deadlines are one document, made 18.1.2022; the project leader's
    reminder 10 working days before quoted only the first funder's words ("Sluttrapport"), so what
    Helsedirektoratet asks for never reached the one who must prepare the data."""
    helsedir = "  - id: helsedir\n    name: Helsedirektoratet\n"
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", helsedir, helsedir +
               "    email: postmottak@helsedir.example.no\n    deadlines:\n"
               "      - {kind: final, date: 2022-02-01, description: Sluttrapport med gevinstrealiseringsplan}\n")
    opts = DeliveryOptions(config=str(scratch_config))
    result = deadline_watch(as_of=date(2022, 1, 4), options=opts)
    assert any(r.startswith("final:smart-velferdsregion-nord-gudbrandsdal:2022-02-01 (10 d)")
               for r in result["reminders"]), result
    (mail,) = [m for m in eml(isolated, documents_only=False) if m["Subject"].startswith("Frist for data om 10")]
    assert mail["Subject"] == "Frist for data om 10 virkedager: Sluttrapport – Smart velferdsregion Nord-Gudbrandsdal"
    assert [a.addr_spec for a in mail["To"].addresses] == ["prosjektleder@nord-gudbrandsdal.example.no"]
    body = mail.get_body(("plain",)).get_content()
    # configured as Fylkesmannen; the council has a county: named as on the deadline's day
    assert "- Statsforvalteren i Innlandet (skjønnsmidler), frist 1. februar 2022: Sluttrapport\n" in body
    assert "- Helsedirektoratet, frist 1. februar 2022: Sluttrapport med gevinstrealiseringsplan" in body
    assert "18. januar 2022" in body


def test_a_usage_report_still_waiting_for_approval_after_its_catch_up_is_told_once_and_its_run_ended(
        isolated, config_dir):
    """On a server the watch triggered Nord-Gudbrandsdal's usage report to the county governor
    (deadline 15.1.2020, caught up until 29.1.2020); it goes to a funder, so its run waits for the
    approver. Nobody answers. Only a status report's waiting run was ended after its day: this one
    kept waiting, the approver kept being reminded, a "godkjenn" weeks later would have sent it
    after the deadline, and the secretariat heard nothing. Now, the morning after the last day, the
    run is Cancelled, the request withdrawn, the secretariat told once with the send command; the
    county governor gets nothing."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Suspended

    @flow(name="grant_usage_report")
    def waiting():  # pragma: no cover - never run: stands for the triggered run waiting for the approver
        pass

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(waiting, state=Suspended(timeout_seconds=86400))
        assert client.read_flow_run(run.id).state.type.value == "PAUSED"
    key, document = "usage:nord-gudbrandsdal:2020-01-15", "nord-gudbrandsdal/-/usage-2019"
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    try:
        ledger.watch_record(key, "triggered", str(run.id))
        ledger.approval_requested(document, 1, str(run.id), "daglig.leder@example.no", "abc")
    finally:
        ledger.close()
    opts = DeliveryOptions(config=str(config_dir))
    after = deadline_watch(as_of=date(2020, 1, 30), options=opts)
    assert after["missed"] == [key], after
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run.id).state.type.value == "CANCELLED"
    mails = eml(isolated, documents_only=False)
    (notice,) = [m for m in mails if m["Subject"].startswith("Ikke sendt: ")]
    assert notice["Subject"].startswith("Ikke sendt: Rapportering om bruk av skjønnsmidler per 31.12.2019")
    assert [a.addr_spec for a in notice["To"].addresses] == ["post@nord-gudbrandsdal.example.no"]
    body = notice.get_body(("plain",)).get_content()
    assert "ventet fortsatt på godkjenning" in body and "29. januar 2020" in body, body
    # dated the day the watch was to make it: Thursday 2.1.2020, the first working day of its window
    assert "grantflow send usage --council nord-gudbrandsdal --year 2019 --as-of 2020-01-02 --transport outbox" \
        in body, body
    recipients = {a.addr_spec for m in mails for a in m["To"].addresses}
    assert "fminpost@fylkesmannen.example.no" not in recipients, recipients      # nothing to the county governor
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    try:
        rows = {r["key"]: r for r in ledger.watch_rows()}
        request = ledger.approval(document, 1)
    finally:
        ledger.close()
    assert rows[key]["status"] == "missed" and request["status"] == "withdrawn", (rows[key], request)
    again = deadline_watch(as_of=date(2020, 1, 31), options=opts)
    assert again["missed"] == [] and len(eml(isolated, documents_only=False)) == len(mails)


def test_a_final_report_a_batch_held_is_withdrawn_after_its_last_day_and_no_later_approval_sends_it(
        isolated, scratch_config):
    """A batch held Nord-Gudbrandsdal's final report for approval (it goes to the county governor;
    deadline 1.2.2022, caught up until 15.2.2022). No run waits for that answer, so the watch never
    looked at it: after the last day the approver was still reminded, the secretariat heard nothing,
    and an approval given weeks later let the next batch send it to the funder, late, without the
    secretariat deciding. Now the watch on 16.2.2022 withdraws the request and tells the secretariat
    once ('Ikke sendt', as for a waiting run); a later approval and two batches (one approved in
    advance) send nothing; the secretariat's 'grantflow send' from the mail still sends it."""
    from datetime import timedelta

    from grantflow.cli import main
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    from flows.approval import remind_pending
    from flows.batch import make_batch

    from ..smtp_server import SmtpServer, free_port
    from .test_batch import CLEAN, _one_clean_one_broken, _smtp_config

    port = free_port()
    _smtp_config(scratch_config, port)
    _one_clean_one_broken(scratch_config)
    options = DeliveryOptions(config=str(scratch_config), send=True)
    funder = "fminpost@fylkesmannen.example.no"
    with SmtpServer(port=port) as server:
        (held,) = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)["held"]
        assert funder not in server.recorder.recipients()
    key = f"final:{CLEAN}:2022-02-01"
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    (request,) = ledger.approvals()
    assert request["status"] == "requested" and request["flow_run_id"] is None, request

    with SmtpServer(port=port) as server:
        after = deadline_watch(as_of=date(2022, 2, 16), options=DeliveryOptions(config=str(scratch_config)))
        assert after["missed"] == [key], after
        mails = server.recorder.messages()
        (notice,) = [m for m in mails if m["Subject"].startswith("Ikke sendt: ")]
        assert funder not in server.recorder.recipients()
    assert notice["Subject"].startswith("Ikke sendt: Sluttrapport – Smart velferdsregion Nord-Gudbrandsdal")
    assert [a.addr_spec for a in notice["To"].addresses] == ["post@nord-gudbrandsdal.example.no"]
    body = notice.get_body(("plain",)).get_content()
    assert "ventet fortsatt på godkjenning" in body and "15. februar 2022" in body, body
    assert "Bunkekjøringen holdt den tilbake" in body, body
    # dated as the batch made it (the project's end, 30.6.2021), as the approver's mail said it
    command = f"grantflow send final {CLEAN} --as-of 2021-06-30 --transport smtp"
    assert command in [line.strip() for line in body.splitlines()], body
    request = ledger.approval(request["document"], request["version"])
    assert request["status"] == "withdrawn", request
    assert {r["key"]: r["status"] for r in ledger.watch_rows()}[key] == "missed"

    settings, register = load_settings(str(scratch_config)), open_register(str(scratch_config))
    with SmtpServer(port=port) as server:
        deadline_watch(as_of=date(2022, 2, 17), options=DeliveryOptions(config=str(scratch_config)))
        assert remind_pending(date.today() + timedelta(days=30), settings, register, "smtp") == []
        assert not [m for m in server.recorder.messages() if m["Subject"].startswith(("Ikke sendt", "Påminnelse"))]

    # the approver says yes after all (a form, a ledger entry): the nightly batch still does not send it
    ledger.approval_decided(request["document"], request["version"], True, "Per Hansen", "ok", "",
                            request["document_hash"])
    with SmtpServer(port=port) as server:
        again = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        ahead = make_batch(1, "threads")(kind="final", projects=[CLEAN],
                                         options=options.model_copy(update={"approved": True}))
        assert not server.recorder.arrived, server.recorder.recipients()
    for result in (again, ahead):
        (still,) = result["held"]
        assert "trukket tilbake" in still["held"], still
    assert ledger.approval(request["document"], request["version"])["status"] == "withdrawn"

    # the secretariat decides: the command from the mail sends it
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), "send", "final", CLEAN, "--transport", "smtp", "--yes"]) == 0
        assert funder in server.recorder.recipients()
    ledger.close()


def test_a_missed_deadline_warning_the_mail_server_refused_is_sent_on_a_later_morning_once(
        isolated, scratch_config, capsys):
    """The operator's 29.08.2019, compressed: serve was down over Haugaland's status report of
    7.10.2016 (meeting 14.10); on Monday 17.10 the watch mails the secretariat "Ikke sendt: …", and
    the mail server answers that recipient 421 on every try. The watch recorded its run and the
    warning in no record of its own: from the next morning it looked back from 18.10 only, so the
    warning was never tried again; the summary said "Feilet: 0" and `grantflow sent haugaland-vekst`
    did not show it. Now the failed warning is counted and named that morning, listed for the
    council, and sent on the next morning the server takes it -- however late, exactly once."""
    from grantflow.cli import main

    from ..smtp_server import SmtpServer, free_port, use_smtp

    port = free_port()
    use_smtp(scratch_config, port, retry={"attempts": 3, "backoff_seconds": [0, 0]})
    opts = DeliveryOptions(config=str(scratch_config), approved=True, override_reason="test")
    secretariat = "post@haugalandvekst.example.no"
    key = "status:haugaland-velferdsteknologi:2016-10-07"

    def warnings(server):
        return [m for m in server.recorder.messages()
                if str(m["Subject"]).startswith("Ikke sendt: Statusrapport før styringsgruppemøtet 14.10.2016")]

    with SmtpServer(port=port, refuse=[secretariat], refusal="421 4.3.2 Service not available") as server:
        deadline_watch(as_of=date(2016, 10, 6), options=opts)        # the last morning before the stop
        refused = deadline_watch(as_of=date(2016, 10, 17), options=opts)
        assert warnings(server) == [] and refused["missed"] == []
        (why,) = [why for what, why in refused["failed"] if key in what]
        assert "421 4.3.2" in why and secretariat in why, refused["failed"]
        capsys.readouterr()
        assert main(["--config", str(scratch_config), "sent", "haugaland-vekst"]) == 0
        listed = capsys.readouterr().out
        assert "Varsel om frist som gikk ut" in listed and key in listed and "feilet" in listed, listed

        server.recorder.refuse = set()                               # the mail server is back
        later = deadline_watch(as_of=date(2016, 11, 14), options=opts)   # long after any catch-up
        (warning,) = warnings(server)
        assert [a.addr_spec for a in warning["To"].addresses] == [secretariat]
        assert "grantflow send status haugaland-velferdsteknologi --as-of 2016-10-07" in \
            warning.get_body(("plain",)).get_content()
        assert key in later["missed"] and not [what for what, _ in later["failed"] if key in what]
        rows = {r["key"]: r for r in SentLedger(f"sqlite:///{isolated / 'sent.db'}").watch_rows()}
        assert rows[key]["status"] == "missed"

        deadline_watch(as_of=date(2016, 11, 15), options=opts)       # told: never again
        assert len(warnings(server)) == 1


def test_a_mail_that_may_have_arrived_is_counted_apart_and_the_secretariat_told_to_ask_first(isolated,
                                                                                             scratch_config):
    """The mail server takes the whole status report to the project leader (the last recipient: a
    silent server stops the send to those after it) and closes the line without a reply: it may have
    arrived. The watch counted it under "Feilet" and told the secretariat "ikke levert til …", who
    resent it, and the reader had it twice. Now it is counted apart, and the secretariat reads that
    it may have arrived and to ask the recipient before --resend."""
    from ..delivery.test_concurrent_send import smtp_config
    from ..smtp_server import Recorder, SmtpServer, free_port

    unsure = "prosjektleder@haugalandvekst.example.no"

    class NoReplyToTheLeader(Recorder):
        async def handle_DATA(self, server, session, envelope):
            answer = await super().handle_DATA(server, session, envelope)
            if envelope.rcpt_tos == [unsure]:
                server.transport.close()
            return answer

    port = free_port()
    smtp_config(scratch_config, port)
    opts = DeliveryOptions(config=str(scratch_config), transport="smtp", approved=True,
                           override_reason="finansieringsavviket er kjent")
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = NoReplyToTheLeader()
    with server:
        result = deadline_watch(as_of=date(2016, 10, 7), options=opts)
        (told,) = [m for m in server.recorder.messages() if str(m["Subject"]).startswith("Fristvakten")]
    key = "status:haugaland-velferdsteknologi:2016-10-07"
    assert [k for k, _ in result.get("uncertain", [])] == [key], result
    assert not [k for k, _ in result["failed"] if k == key], result["failed"]       # it was counted "Feilet"
    body = " ".join(told.get_body(("plain",)).get_content().split())
    assert f"kan ha kommet fram til {unsure} (e-postserveren tok imot hele meldingen, men svarte aldri): " \
           "spør mottakeren før grantflow send --resend" in body, body
    assert f"ikke levert til {unsure}" not in body, body
