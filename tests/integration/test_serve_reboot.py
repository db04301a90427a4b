"""A reboot in the middle of the deadline watch: `grantflow serve`, the run's process and the Prefect
server all killed at once, then started again. The watch runs on its schedule again.

Prefect keeps a deployment's concurrency-slot lease in the server's memory. The watch (concurrency
1) was Running when everything died; after the restart the slot was still counted as taken in the
database and no lease was left to expire, so every new watch run waited for a slot for good (seen
330 s after the restart, past the lease's 300 s): the watch never ran again. Serve now ends a run
left without a process (Crashed), which gives the slot back."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from ..conftest import ROOT
from .conftest import BIN, api_get, stop
from .test_schedules import delete_deployment, scheduled_runs, wait_for_completed_scheduled_run

pytestmark = pytest.mark.integration

WATCH = "deadline_watch/deadline-watch"


def test_the_watch_runs_again_after_a_reboot_in_the_middle_of_a_watch_run(server):
    log = server["work"] / "serve.log"
    command = [str(BIN / "grantflow"), "serve", "--watch-interval", "10"]

    def serve() -> subprocess.Popen:
        # its own process group: the serve, its fork server and its runs' processes die together
        with open(log, "ab") as out:
            return subprocess.Popen(command, env=server["env"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    proc = serve()
    try:
        wait_for_completed_scheduled_run(server, WATCH, proc, log)
        for attempt in range(5):
            deadline = time.monotonic() + 120
            while not (going := [r for r in scheduled_runs(server["api"], WATCH) if r["state_type"] == "RUNNING"]):
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
            os.killpg(proc.pid, signal.SIGKILL)             # the power goes, in the middle of a watch run
            proc.wait(timeout=30)
            (orphan,) = [r["id"] for r in going]
            if api_get(server["api"], f"/flow_runs/{orphan}")["state_type"] == "RUNNING":
                break
            proc = serve()                                  # it had just finished: once more
        else:
            pytest.fail("no watch run was still going when serve was killed, in 5 tries")
        server["kill_and_restart"]()

        restarted_at = time.time()
        proc = serve()
        wait_for_completed_scheduled_run(server, WATCH, proc, log, after=restarted_at)
        left = api_get(server["api"], f"/flow_runs/{orphan}")
        assert left["state_type"] == "CRASHED", left["state"]
        assert f"flow run {orphan} was left without a process by a serve that stopped: ended as Crashed" in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        stop(proc)
        delete_deployment(server["api"], WATCH)
