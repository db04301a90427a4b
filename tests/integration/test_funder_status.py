"""A funder's interim status report on a real Prefect server (`grantflow serve`): the deadline watch
starts the status cycle for it, the leader gets the same days as for a steering-group meeting, the
approver is asked (the report leaves the council), and after approval the funder and the steering
group each get it once on the SMTP server."""

from __future__ import annotations

import time

import pytest

from ..conftest import replace_in
from .conftest import api_get, serving_over_smtp
from .test_status_cycle import APPROVE, cycle_runs, mails, resume, run_watch, wait_for, waiting_for

pytestmark = pytest.mark.integration
HAUG = "haugaland-velferdsteknologi"
FUND = "fond@haugalandvekst.example.no"


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    with serving_over_smtp(server, tmp_path_factory, "funder", "deadline_watch/deadline-watch") as served:
        deadline = time.monotonic() + 120
        while True:                                    # the watch starts cycles: that deployment too
            try:
                api_get(served["api"], "/deployments/name/status_cycle/status-cycle")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(1)
        # The council's fund asks for an interim report by Monday 5 September 2016: made a week before
        # (Monday 29 August), a status cycle of its own.
        fund = "  - id: hv-fond\n    name: Haugaland Vekst Regionråds fond\n"
        replace_in(served["config"] / f"projects/{HAUG}.yaml", fund, fund + f"    email: {FUND}\n    deadlines:\n"
                   "      - {kind: status, date: 2016-09-05, description: Delrapport til fondet}\n")
        yield served


def test_the_watch_runs_a_funders_status_cycle_and_the_funder_gets_the_report(served):
    # The cycle starts start_days (5) working days before the report is made (29 August), as for a
    # meeting — it started 5 working days before the funder's due date, the day the report was made,
    # and the next morning went on with "ikke rapportert": the leader had no time to answer.
    run_watch(served, "2016-08-19")
    assert cycle_runs(served, "2016-08-29") == []
    run_watch(served, "2016-08-22")
    (run,) = cycle_runs(served, "2016-08-29")
    assert run["parameters"]["options"]["funders"] == ["hv-fond"]
    waiting_for(served, run["id"], "leader")

    run_watch(served, "2016-08-29")                    # no answer by the day it is made: it goes on
    waiting_for(served, run["id"], "approval")
    (approval,) = [m for m in mails(served, "Til godkjenning") if "Statusrapport" in str(m["Subject"])]
    assert FUND in approval.get_body(("plain",)).get_content()      # the approver sees the funder among the recipients
    assert not mails(served, "Statusrapport: Velferdsteknologi")
    resume(served, run["id"], APPROVE)
    wait_for(served, run["id"], "COMPLETED")

    run_watch(served, "2016-08-30")                    # the watch sees the cycle done: nothing more
    reports = mails(served, "Statusrapport: Velferdsteknologi")
    to = [m["To"].addresses[0].addr_spec for m in reports]
    assert FUND in to and len(to) == len(set(to)) == 8, to          # steering group (7) and the fund, once each
    assert len(cycle_runs(served, "2016-08-29")) == 1
