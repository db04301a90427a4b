"""`grantflow run KIND P` against a real Prefect server and `grantflow serve`: the command creates a
run of the served deployment, waits for it, and the run has produced and delivered the document.

The effect is checked from outside the command: the run's state on the server, the .docx in the
outputs folder (opened, its text read), the mail on the SMTP server. No timings are asserted (the
latency is measured by `bench/run.py --parts run`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document

from ..conftest import ROOT
from .conftest import BIN, api_get, serving_over_smtp

pytestmark = pytest.mark.integration

PROJECT = "haugaland-velferdsteknologi"


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    # the watch is added last: once it is registered, every deployment is. Serve's processes import
    # deliberate_bug/sitecustomize.py: a run with out=…/deliberate-bug fails as a bug would
    bug = {"PYTHONPATH": str(Path(__file__).parent / "deliberate_bug")}
    with serving_over_smtp(server, tmp_path_factory, "run-cli", "deadline_watch/deadline-watch", bug) as served:
        yield served


def grantflow(served, *args, timeout=600):
    return subprocess.run([str(BIN / "grantflow"), *args], env=served["env"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_run_status_completes_a_served_run_with_the_document(served, tmp_path):
    # a served run writes only inside the installation's outputs folder (flows.runtime.deployment_run)
    out = Path(served["env"]["GRANTFLOW_OUTPUTS"]) / tmp_path.name
    # to the outbox: no approval needed (sending over SMTP waits for one; the next test)
    done = grantflow(served, "run", "status", PROJECT, "--as-of", "2016-10-07", "--out", str(out),
                     "--transport", "outbox")
    assert done.returncode == 0, done.stdout + done.stderr + served["log"].read_text()[-3000:]
    assert "Traceback" not in done.stderr
    match = re.fullmatch(r"flow run (\S+) \(([0-9a-f-]{36})\): Completed", done.stdout.strip().splitlines()[-1])
    assert match, done.stdout
    # the run is the served deployment's, and the server says it completed
    run = api_get(served["api"], f"/flow_runs/{match[2]}")
    deployment = api_get(served["api"], "/deployments/name/status_report/status-report")
    assert run["deployment_id"] == deployment["id"]
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["project"] == PROJECT and run["parameters"]["as_of"] == "2016-10-07"
    # the document the run wrote, as the reader gets it
    (docx,) = [p for p in Path(out).rglob("*.docx") if ".versjoner" not in p.parts]     # not the kept copy
    text = "\n".join(p.text for p in Document(docx).paragraphs)
    assert docx.name == "status-2016-10-07.docx" and PROJECT in docx.parts
    assert text.startswith("Statusrapport\nVelferdsteknologi Haugaland"), text[:300]
    # (a date in a document never breaks at a line end: "oktober" and "2016" are joined by U+00A0)
    assert "Milepæl 05 «Vurdere om prosjektet er i rute» – planlagt oktober\u00a02016" in text, text
    # and delivered it to the outbox, the document attached
    from email import message_from_bytes, policy

    outbox = Path(served["env"]["GRANTFLOW_OUTPUTS"]) / "outbox"
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    attached = [m for m in mails if any(a.get_filename() == f"statusrapport-{PROJECT}-2016-10-07.docx"
                                         for a in m.iter_attachments())]
    assert attached, [str(m["Subject"]) for m in mails]


def test_a_served_run_writes_nowhere_outside_the_outputs_folder(served, tmp_path):
    # the form (and `grantflow run` on a server) is shared: out=/tmp/elsewhere had the serving
    # process write the document there
    elsewhere = tmp_path / "elsewhere"
    done = grantflow(served, "run", "status", PROJECT, "--as-of", "2016-10-07", "--out", str(elsewhere),
                     "--transport", "outbox")
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "options.out" in line and "outside this installation's outputs folder" in line, line
    assert not elsewhere.exists()


def test_run_that_needs_approval_returns_with_the_link_and_the_run_waits(served):
    # external sending over SMTP needs a person's approval: the run suspends (its process exits) and
    # the command says where to answer instead of waiting days
    done = grantflow(served, "run", "application", "kongsbergregionen-erp", "--year", "2014")
    assert done.returncode == 0, done.stdout + done.stderr + served["log"].read_text()[-3000:]
    match = re.search(r"flow run \S+ \(([0-9a-f-]{36})\): Suspended", done.stdout)
    assert match, done.stdout
    assert f"/runs/flow-run/{match[1]}" in done.stdout and "waiting for approval" in done.stdout
    run = api_get(served["api"], f"/flow_runs/{match[1]}")
    assert run["state_type"] == "PAUSED" and run["state"]["name"] == "Suspended"


def test_run_with_an_unknown_project_is_one_clear_line(served):
    done = grantflow(served, "run", "status", "no-such-project", "--as-of", "2016-10-07", timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "no-such-project" in lines[0], done.stderr


def test_a_run_the_flow_refuses_says_why_in_one_line(served):
    # the server creates the run; the flow refuses the date (before the project starts): the user
    # reads why, not only "Failed"
    done = grantflow(served, "run", "status", PROJECT, "--as-of", "1990-01-01", "--transport", "outbox")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.fullmatch(r"flow run \S+ \([0-9a-f-]{36}\): Failed", done.stdout.strip()), done.stdout
    assert done.stderr.strip().splitlines() == [
        "error: --as-of: 1990-01-01 is before the project starts (2015-09-21): a status report needs a date "
        "in the project period"], done.stderr


def _ended_run(served, deployment: str, parameters: dict) -> dict:
    """A run of ``deployment`` (flow/deployment) created through the API, as the Prefect UI's custom
    run and the deadline watch create one; returned once it has ended."""
    import time

    from .conftest import api_post

    found = api_get(served["api"], f"/deployments/name/{deployment}")
    run = api_post(served["api"], f"/deployments/{found['id']}/create_flow_run", {"parameters": parameters})
    for _ in range(600):
        run = api_get(served["api"], f"/flow_runs/{run['id']}")
        if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run['id']} of {deployment} still {run['state_type']}: "
                         + served["log"].read_text()[-3000:])


def test_a_served_run_refused_before_it_starts_is_one_line_in_serves_log_and_a_bug_keeps_its_traceback(served, tmp_path):
    """A deployment run the flow refuses before it does anything (an option of the shared form, the
    config, the project) ended Failed with one clear state message, but serve's log -- what the
    operator watches -- showed Prefect's whole traceback for it ("Encountered exception during
    execution: Traceback ... grantflow.errors.UserError: …"): a user's mistake looked like a crash.
    Now it is one line there, naming the run and the field; a bug still shows its traceback."""
    outputs = Path(served["env"]["GRANTFLOW_OUTPUTS"])
    settings = served["config"] / "grantflow.yaml"
    status = {"project": PROJECT, "as_of": "2016-10-07"}
    refusals = [   # (deployment, parameters, the field the one line names)
        ("status_report/status-report", dict(status, options={"out": str(tmp_path), "transport": "outbox"}),
         "is outside this installation's outputs folder"),
        ("status_report/status-report", dict(status, options={"approval_timeout_seconds": 15}),
         "options.approval_timeout_seconds: is 15; give at least 3600"),
        ("final_report/final-report", {"project": PROJECT, "options": {"config": str(outputs)}},
         "options.config: "),
        ("status_cycle/status-cycle", {"project": "no-such-project", "as_of": "2016-10-07"}, "no-such-project"),
        ("batch/batch", {"kind": "status", "projects": [PROJECT], "options": {"approval_timeout_seconds": 20}},
         "options.approval_timeout_seconds: is 20; give at least 3600"),
        ("deadline_watch/deadline-watch", {"as_of": "2016-10-07", "options": {"approval_timeout_seconds": 30}},
         "options.approval_timeout_seconds: is 30; give at least 3600"),
        ("status_report/status-report", dict(status, options={"transport": "outbox"}), "grantflow.yaml:"),
    ]
    original = settings.read_bytes()
    start = len(served["log"].read_bytes())
    runs = []
    try:
        for deployment, parameters, said in refusals:
            if said == "grantflow.yaml:":      # a config error: a key grantflow does not know
                settings.write_bytes(original + b"leveranse: {}\n")
            runs.append(_ended_run(served, deployment, parameters))
    finally:
        settings.write_bytes(original)
    # a deliberate bug (deliberate_bug/sitecustomize.py) where the options are checked
    middle = len(served["log"].read_bytes())
    bug = _ended_run(served, "status_report/status-report",
                     dict(status, options={"out": str(outputs / "deliberate-bug"), "transport": "outbox"}))
    log = served["log"].read_bytes()
    refused, crashed = log[start:middle].decode(), log[middle:].decode()
    for run, (deployment, parameters, said) in zip(runs, refusals):
        assert (run["state_type"], run["state"]["name"]) == ("FAILED", "Failed"), (deployment, run["state"])
        assert said in run["state"]["message"] and "\n" not in run["state"]["message"], run["state"]["message"]
        lines = [line for line in refused.splitlines() if said in line]
        assert len(lines) == 1, (said, refused)
        assert f"Flow run {run['name']!r}" in lines[0], lines[0]
    assert "Traceback" not in refused, refused
    assert "grantflow.errors.UserError" not in refused + crashed, refused + crashed
    # the bug: its traceback, as before
    assert bug["state_type"] == "FAILED" and "ZeroDivisionError" in bug["state"]["message"], bug["state"]
    assert "Traceback (most recent call last)" in crashed and "ZeroDivisionError" in crashed, crashed


def test_the_watch_on_a_server_tells_the_leader_when_the_data_stops_a_due_report(served):
    # On a server the watch triggers the due report's deployment; the run fails on the data. The next
    # watch sees the failed run: the project leader is told what to fix (as without a server), not
    # only a red run in the UI that nobody reads.
    import time

    from .conftest import api_post

    ledger = served["config"] / "data/haugaland-velferdsteknologi/regnskap.csv"
    original = ledger.read_bytes()
    ledger.write_bytes(original + "01.10.2016;2016;Prosjektkostnader;Feil;-100;hv-fond;\n".encode())

    def watch():
        dep = api_get(served["api"], "/deployments/name/deadline_watch/deadline-watch")
        run = api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run",
                       {"parameters": {"as_of": "2016-10-07"}})
        for _ in range(200):
            state = api_get(served["api"], f"/flow_runs/{run['id']}")["state_type"]
            if state in ("COMPLETED", "FAILED", "CRASHED"):
                return state
            time.sleep(1.5)
        return state

    def failed_runs():
        return {r["id"] for r in api_post(
            served["api"], "/flow_runs/filter",
            {"flow_runs": {"name": {"any_": ["status_report-haugaland-velferdsteknologi-2016-10-07"]},
                           "state": {"type": {"any_": ["FAILED"]}}}})}

    # earlier tests' runs of the same report (one refused for its --out) failed too: wait for the
    # watch's own run, or the second watch races it and finds nothing to remind of yet
    earlier = failed_runs()
    try:
        assert watch() == "COMPLETED"
        for _ in range(200):     # the triggered status report fails on the ledger row
            runs = failed_runs() - earlier
            if runs:
                break
            time.sleep(1.5)
        assert runs, "the triggered status report did not fail"
        assert watch() == "COMPLETED"
        reminders = [m for m in served["smtp"].recorder.messages()
                     if str(m["Subject"]).startswith("Påminnelse: Statusrapport")]
        assert [m["To"].addresses[0].addr_spec for m in reminders] == ["prosjektleder@haugalandvekst.example.no"]
        assert "regnskap.csv:20" in reminders[0].get_body(("plain",)).get_content()
    finally:
        ledger.write_bytes(original)


def test_a_served_run_that_left_a_recipient_without_the_document_fails_and_the_next_reaches_only_them(served):
    """On a server the run's state is what the deadline watch (and `grantflow run`) go by. A run
    whose mail server refused one steering-group member ended Completed: the watch recorded the
    report as done and that member never got it. Now the run fails naming who lacks it, and running
    it again (as the watch does with a failed run) reaches that member only, nobody twice."""
    from collections import Counter

    erp = "kongsbergregionen-erp"          # clean data: --yes alone clears sending over SMTP
    recorder = served["smtp"].recorder
    args = ("run", "status", erp, "--as-of", "2014-06-02", "--transport", "smtp", "--yes")
    start = len(recorder.arrived)
    refused = "radmann@kongsberg.example.no"
    recorder.refuse = {refused}
    try:
        first = grantflow(served, *args)
    finally:
        recorder.refuse = set()
    got = Counter(r.casefold() for _, rcpts, _ in recorder.arrived[start:] for r in rcpts)
    assert refused not in got and got and set(got.values()) == {1}, got
    assert first.returncode == 1, first.stdout + first.stderr + served["log"].read_text()[-3000:]
    assert re.fullmatch(r"flow run \S+ \([0-9a-f-]{36}\): Failed", first.stdout.strip()), first.stdout
    (line,) = first.stderr.strip().splitlines()
    assert line.startswith("error:") and refused in line and "550" in line, first.stderr
    start = len(recorder.arrived)
    second = grantflow(served, *args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.strip().endswith(": Completed"), second.stdout
    again = Counter(r.casefold() for _, rcpts, _ in recorder.arrived[start:] for r in rcpts)
    assert again == Counter({refused: 1}), again


def test_run_without_a_server_is_one_clear_line(served, tmp_path):
    from ..smtp_server import free_port

    env = dict(served["env"], PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api")
    done = subprocess.run([str(BIN / "grantflow"), "run", "status", PROJECT, "--as-of", "2016-10-07"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert done.stderr.startswith("error:") and "no Prefect server answers" in done.stderr, done.stderr


def test_a_served_run_with_yes_records_who_approved_and_why(served):
    """`grantflow run … --yes` through the server recorded "grantflow run --yes" as the approver,
    nobody. The name given with --approved-by and the --comment reach the served run and are
    listed by `grantflow sent --detail` as the approval's Av and Kommentar."""
    done = grantflow(served, "run", "final", "kongsbergregionen-erp", "--transport", "smtp", "--yes",
                     "--approved-by", "Kari Nordmann", "--comment", "Sjekket mot regnskapet")
    assert done.returncode == 0, done.stdout + done.stderr + served["log"].read_text()[-3000:]
    assert done.stdout.strip().endswith(": Completed"), done.stdout
    listed = subprocess.run([str(BIN / "grantflow"), "sent", "kongsbergregionen-erp", "--detail"],
                            env=dict(served["env"], COLUMNS="250"), cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    (line,) = [x for x in listed.stdout.splitlines() if "final-" in x and "│ godkjent " in x]
    assert "│ Kari Nordmann " in line and "grantflow run --yes: Sjekket mot regnskapet" in line, listed.stdout
