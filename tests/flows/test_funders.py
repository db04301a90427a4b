"""A document run with a funder in its options, as the deadline watch starts it on a server."""

from datetime import date
from email import message_from_bytes, policy

from flows.documents import DeliveryOptions, status_report

NG = "smart-velferdsregion-nord-gudbrandsdal"


def test_a_run_for_a_funder_removed_from_config_since_still_reaches_the_others(isolated, scratch_config):
    """The watch triggered the report with `funders: [helsedir]`; the secretariat then removed the
    funder from the project. The run failed on the unknown funder (after approval, for a kind that
    needs it) and the steering group got nothing; now the others get it and the run says why the
    funder did not."""
    options = DeliveryOptions(config=str(scratch_config), funders=["helsedir-gammel"])
    result = status_report(project=NG, as_of=date(2020, 4, 16), options=options)     # the flow the watch starts
    assert not result["failed"], result
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (isolated / "outputs" / "outbox").glob("*.eml")]
    assert len(mails) == 7 and len(result["sent"]) == 7
    assert "prosjektleder@nord-gudbrandsdal.example.no" in {m["To"].addresses[0].addr_spec for m in mails}


def test_no_status_report_for_a_funders_deadline_after_the_project_end(isolated, scratch_config):
    """Nord-Gudbrandsdal ended 30 June 2021; a funder's status deadline in March 2022 made a status
    report dated eight months after the end (plan to date, forecast) for the steering group and the
    funder. As for meetings and application rounds after the end, nothing is made: the final report
    is what the funder gets."""
    from flows.deadline_watch import deadline_watch

    from ..conftest import replace_in

    helsedir = "  - id: helsedir\n    name: Helsedirektoratet\n"
    replace_in(scratch_config / f"projects/{NG}.yaml", helsedir, helsedir +
               "    email: postmottak@helsedir.example.no\n    deadlines:\n"
               "      - {kind: status, date: 2022-03-01, description: Delrapport}\n")
    result = deadline_watch(as_of=date(2022, 2, 22), options=DeliveryOptions(config=str(scratch_config)))
    assert result["ran"] == [] and result["due"] == [], result
    assert not list((isolated / "outputs").rglob("status-*.docx"))
