"""A real `prefect server start` on 127.0.0.1, `prefect deploy --all`, a process worker, and
triggered deployments that produce documents. Stops everything it started."""

from __future__ import annotations

import subprocess
import time
from email import message_from_bytes, policy

import pytest

from ..conftest import ROOT
from .conftest import BIN, api_get, api_post, healthy, prefect  # noqa: F401 - healthy: test_postgres_workers

pytestmark = pytest.mark.integration


def test_deploy_all_worker_runs_deployments(server):
    created = prefect(server, "work-pool", "create", "grantflow", "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect(server, "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    for name in ("deadline_watch/deadline-watch", "status_report/status-report", "cost_split/cost-split",
                 "grant_usage_report/grant-usage-report", "application/application", "final_report/final-report",
                 "batch/batch"):
        assert f"'{name}'" in deployed.stdout
    watch = prefect(server, "deployment", "inspect", "deadline_watch/deadline-watch")
    assert "0 7 * * 1-5" in watch.stdout and "Europe/Oslo" in watch.stdout

    worker_log = open(server["work"] / "worker.log", "wb")
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "grantflow"],
                              env=server["env"], cwd=server["work"], stdout=worker_log, stderr=subprocess.STDOUT)
    server["started"].append(worker)

    run = prefect(server, "deployment", "run", "cost_split/cost-split", "--watch", "--watch-timeout", "240")
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
    outputs = server["work"] / "outputs"
    assert (outputs / "haugaland-vekst/haugaland-velferdsteknologi/costsplit-2015-2016.docx").exists()

    run = prefect(server, "deployment", "run", "deadline_watch/deadline-watch", "--param", "as_of=2016-10-07",
                  "--watch", "--watch-timeout", "240")
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
    # the watch triggered the status report's deployment and moved on; that run completes on its own
    dep = api_get(server["api"], "/deployments/name/status_report/status-report")
    deadline = time.monotonic() + 240
    while True:
        runs = api_post(server["api"], "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}}})
        if runs and all(r["state_type"] == "COMPLETED" for r in runs):
            break
        assert time.monotonic() < deadline, [(r["name"], r["state_type"]) for r in runs]
        time.sleep(2)
    assert len(runs) == 1
    assert (outputs / "haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07.docx").exists()
    documents = [p for p in (outputs / "outbox").glob("*.eml")
                 if not message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"].startswith("Frist ")]
    assert len(documents) == 7 + 7       # cost split + status report

    # `grantflow run` goes through the server when PREFECT_API_URL is set
    cli = subprocess.run([str(BIN / "grantflow"), "run", "costsplit", "kongsbergregionen-erp", "--year", "2014"],
                         env=server["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0 and "Completed" in cli.stdout, cli.stdout + cli.stderr
    assert (outputs / "kongsbergregionen/kongsbergregionen-erp/costsplit-2014.docx").exists()
