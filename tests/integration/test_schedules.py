"""Schedules fire: against a real `prefect server start`, a served deployment and a deployment on a
process work pool with a worker each get runs *created by the scheduler* and one of them runs to
Completed with nobody triggering it.

This is the test that fails when the scheduler cannot run (Prefect 3.8 with SQLAlchemy 2.1: the
scheduler service raises "Can't evaluate bulk DML statement" on every loop and creates nothing).
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import ROOT
from .conftest import BIN, api_get, api_post, prefect, stop

pytestmark = pytest.mark.integration


def scheduled_runs(api: str, deployment: str) -> list[dict]:
    """The flow runs of ``flow/deployment`` that the scheduler created."""
    dep = api_get(api, f"/deployments/name/{deployment}")
    runs = api_post(api, "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}},
                                               "limit": 200})
    return [r for r in runs if r["auto_scheduled"]]


def wait_for_completed_scheduled_run(server, deployment: str, proc, log, timeout: float = 240,
                                     after: float | None = None) -> list[dict]:
    """Until a run the scheduler made completes (one started after ``after``, epoch seconds, when
    given), ``proc`` (the serve or worker) alive all the while; the deployment's scheduled runs."""
    deadline = time.monotonic() + timeout
    runs: list[dict] = []
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited {proc.returncode}:\n{log.read_text()[-3000:]}"
        try:
            runs = scheduled_runs(server["api"], deployment)
        except OSError:          # the deployment is not registered yet
            runs = []
        if any(r["state_type"] == "COMPLETED" and (after is None or r["start_time"] and _epoch(r["start_time"]) > after)
               for r in runs):
            return runs
        time.sleep(2)
    server_log = server["log"].read_text()[-3000:]
    pytest.fail(f"no scheduled run of {deployment} completed in {timeout:.0f} s; scheduled runs: "
                f"{[(r['name'], r['state_type']) for r in runs]}\n--- server log ---\n{server_log}"
                f"\n--- process log ---\n{log.read_text()[-3000:]}")


def delete_deployment(api: str, deployment: str) -> None:
    """Stop the scheduler making runs for a test deployment (they would load the server)."""
    try:
        dep = api_get(api, f"/deployments/name/{deployment}")
        urllib.request.urlopen(urllib.request.Request(f"{api}/deployments/{dep['id']}", method="DELETE"),
                               timeout=30).close()
    except OSError:
        pass


def test_served_deployment_runs_on_its_schedule(server):
    """`grantflow serve` (serve() in one process): deadline_watch every 10 s instead of 07:00.

    Started twice at once (a service and a terminal), the second is refused with one line: both
    used to start, one on the other's Prefect server, and stopping that one left the other serving
    against nothing, alive to systemd, never running a schedule again. Killed with -9 (a crash), a
    new serve starts at once (no stale lock) and its schedule runs.

    A serve killed between accepting a run (Pending, the watch's one concurrency slot taken) and
    starting it left that run Pending, and the slot held for its 300 s lease: the restarted serve's
    watch runs all waited for a slot (seen in CI). A run whose process died with the serve (a
    reboot, the service manager stopping the service) stayed Running for ever, one being cancelled
    Cancelling for ever. The restart now ends them (Crashed, Cancelled); a run whose process
    outlived the serve and still works is left Running."""
    import fcntl
    import os
    import signal

    log = server["work"] / "serve.log"
    second_log = server["work"] / "serve-second.log"
    command = [str(BIN / "grantflow"), "serve", "--watch-interval", "10"]
    with open(log, "wb") as out, open(second_log, "wb") as second_out:
        proc = subprocess.Popen(command, env=server["env"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        second = subprocess.Popen(command, env=server["env"], cwd=ROOT, stdout=second_out,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and second.poll() is None:
            assert time.monotonic() < deadline, "both serves are running"
            time.sleep(0.5)
        # the first normally takes the lock and the second is refused (the other way round, should
        # the second be quicker)
        refused, kept, kept_log = (second, proc, log) if second.poll() is not None else (proc, second, second_log)
        assert refused.wait() == 1, (log.read_text(), second_log.read_text())
        if refused is second:
            (line,) = second_log.read_text().strip().splitlines()
            assert line.startswith("error: serve: another grantflow serve is already running for this "
                                   f"installation (pid {proc.pid}"), line
        runs = wait_for_completed_scheduled_run(server, "deadline_watch/deadline-watch", kept, kept_log)
        assert len(runs) >= 2, runs                     # the scheduler creates runs ahead of time
        assert "deadline_watch runs every 10 s" in kept_log.read_text()

        os.kill(kept.pid, signal.SIGKILL)               # a crash: no shutdown, the lock file left behind
        kept.wait(timeout=30)
        outputs = Path(server["env"]["GRANTFLOW_OUTPUTS"])
        orphan = left_behind(server["api"], "deadline_watch/deadline-watch", "PENDING", outputs=outputs)
        dead = left_behind(server["api"], "status_report/status-report", "PENDING", "RUNNING")
        working = left_behind(server["api"], "status_report/status-report", "PENDING", "RUNNING")
        stopping = left_behind(server["api"], "status_report/status-report", "PENDING", "RUNNING", "CANCELLING")
        locks = outputs / ".runs"
        locks.mkdir(parents=True, exist_ok=True)
        alive = open(locks / f"{working}.lock", "a+")       # as the run's own process holds it
        fcntl.flock(alive, fcntl.LOCK_EX | fcntl.LOCK_NB)
        restarted_at = time.time()
        with open(log, "ab") as out:
            proc = subprocess.Popen(command, env=server["env"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        wait_for_completed_scheduled_run(server, "deadline_watch/deadline-watch", proc, log, after=restarted_at)
        for run_id in orphan, dead:
            left = api_get(server["api"], f"/flow_runs/{run_id}")
            assert (left["state_type"], left["state_name"]) == ("CRASHED", "Crashed"), left["state"]
            assert f"flow run {run_id} was left without a process by a serve that stopped: ended as Crashed" in log.read_text()
        left = api_get(server["api"], f"/flow_runs/{stopping}")
        assert left["state_type"] == "CANCELLED", left["state"]
        assert api_get(server["api"], f"/flow_runs/{working}")["state_type"] == "RUNNING"
        alive.close()
        api_post(server["api"], f"/flow_runs/{working}/set_state", {"state": {"type": "CANCELLED"}, "force": True})
    finally:
        stop(proc, second)
        delete_deployment(server["api"], "deadline_watch/deadline-watch")


def left_behind(api: str, deployment: str, *states: str, outputs: Path | None = None) -> str:
    """What a serve killed during a run leaves: a run of the deployment moved through ``states``
    (PENDING: accepted by the runner, the deployment's concurrency slot taken; RUNNING: its process
    started) and no process any more. Its id. The run's parameters do not matter: no process will
    run it.

    A run the killed serve had started finishes by itself first (its process outlives the serve and
    holds its run lock in ``outputs``) and holds the slot until then. The kill can also land between
    the runner accepting a run and starting its process (seen in CI): that run stays Pending without
    a process, holding the slot for its 300 s lease. It is then itself what the test wants, and is
    taken instead of a made one, once its state has not moved for 30 s."""
    from flows.runtime import run_alive

    dep = api_get(api, f"/deployments/name/{deployment}")
    run = api_post(api, f"/deployments/{dep['id']}/create_flow_run", {"enforce_parameter_schema": False})
    deadline = time.monotonic() + 120
    seen: dict[str, tuple[str, float]] = {}          # run id -> (state id, first seen at)
    while True:
        answer = api_post(api, f"/flow_runs/{run['id']}/set_state", {"state": {"type": states[0]}})
        if answer["status"] == "ACCEPT":
            break
        assert time.monotonic() < deadline, answer          # the slot never came free
        api_post(api, f"/flow_runs/{run['id']}/set_state", {"state": {"type": "SCHEDULED"}, "force": True})
        if outputs is not None and states == ("PENDING",):
            holding = api_post(api, "/flow_runs/filter", {
                "flow_runs": {"deployment_id": {"any_": [dep["id"]]},
                              "state": {"type": {"any_": ["PENDING", "RUNNING"]}}}})
            for other in holding:
                first = seen.setdefault(other["id"], (other["state_id"], time.monotonic()))
                if first[0] != other["state_id"]:
                    seen[other["id"]] = (other["state_id"], time.monotonic())
                    continue
                if not run_alive(outputs, other["id"]) and time.monotonic() - first[1] >= 30:
                    urllib.request.urlopen(urllib.request.Request(f"{api}/flow_runs/{run['id']}",
                                                                  method="DELETE"), timeout=30).close()
                    return other["id"]
        time.sleep(2)
    for state in states[1:]:
        answer = api_post(api, f"/flow_runs/{run['id']}/set_state", {"state": {"type": state}})
        assert answer["status"] == "ACCEPT", answer
    return run["id"]


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_run_of_a_deployment_nobody_serves_any_more_is_one_line_not_a_hang(server):
    """After `grantflow serve` has stopped (the previous test) the server still answers and knows the
    deployments: `grantflow run` waited for ever for a run nobody would take, and the run, left
    Late, would start (and send) whenever serve came back. Now one line and the run withdrawn."""
    done = subprocess.run([str(BIN / "grantflow"), "run", "status", "haugaland-velferdsteknologi", "--as-of",
                           "2016-10-07", "--transport", "outbox"], env=server["env"], cwd=ROOT,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: PREFECT_API_URL: nobody serves status_report/status-report at {server['api']}")
    dep = api_get(server["api"], "/deployments/name/status_report/status-report")
    assert not api_post(server["api"], "/flow_runs/filter", {"deployments": {"id": {"any_": [dep["id"]]}},
                                                             "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})


def test_worker_runs_a_scheduled_deployment(server):
    """`prefect deploy` to a process work pool with an interval schedule; a worker picks it up."""
    created = prefect(server, "work-pool", "create", "scheduled", "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect(server, "deploy", "flows/deadline_watch.py:deadline_watch", "--name", "every-30s",
                       "--pool", "scheduled", "--interval", "30")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    log = server["work"] / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "scheduled", "--limit", "1"],
                                  env=server["env"], cwd=server["work"], stdout=out, stderr=subprocess.STDOUT)
    try:
        runs = wait_for_completed_scheduled_run(server, "deadline_watch/every-30s", worker, log)
    finally:
        stop(worker)
        delete_deployment(server["api"], "deadline_watch/every-30s")
    assert len(runs) >= 2, runs


def test_serve_started_after_the_watch_time_runs_the_missed_watch_once(server):
    """A graceful stop (systemd, a reboot) pauses the served deployments and Prefect deletes their
    scheduled runs, the late one too: serve stopped before 07:00 and started after it never ran
    that morning's watch. Now serve starts the missed watch once; a restart after it does not.
    The watch's schedule here is 1 January 00:00, always in the past and never again today. That
    first start is on a server the watch never ran on: it says so, not that the watch "missed its
    scheduled run at 01.01." (it was not there then). Then serve is down across a slot (the
    schedule moved to the minute after the restart's stop): that is a miss, and said as one."""
    import os
    import signal
    from datetime import datetime
    from zoneinfo import ZoneInfo

    env = dict(server["env"], GRANTFLOW_WATCH_CRON="0 0 1 1 *", GRANTFLOW_WATCH_CATCH_UP="1")
    log = server["work"] / "serve-catch-up.log"

    def watch_runs():
        try:
            dep = api_get(server["api"], "/deployments/name/deadline_watch/deadline-watch")
        except OSError:
            return []
        return api_post(server["api"], "/flow_runs/filter",
                        {"flow_runs": {"deployment_id": {"any_": [dep["id"]]}}, "limit": 200})

    slot = None
    expected = {1: 1, 2: 1, 3: 2}         # the watch runs started by serve itself, not by the schedule
    for attempt in (1, 2, 3):
        if attempt == 3:
            # down across a slot: the watch's time is the minute after the restart's stop
            now = datetime.now(ZoneInfo("Europe/Oslo"))
            time.sleep(61 - now.second)
            slot = datetime.now(ZoneInfo("Europe/Oslo")).replace(second=0, microsecond=0)
            env["GRANTFLOW_WATCH_CRON"] = f"{slot.minute} {slot.hour} {slot.day} {slot.month} *"
        with open(log, "ab") as out:
            proc = subprocess.Popen([str(BIN / "grantflow"), "serve"], env=env, cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                caught_up = [r for r in watch_runs() if not r["auto_scheduled"]]
                done = [r for r in caught_up if r["state_type"] == "COMPLETED"]
                if attempt in (1, 3) and len(done) == expected[attempt]:
                    break
                if attempt == 2 and log.read_text().count("Serving the grantflow deployments") == 2 \
                        and time.monotonic() > deadline - 200:      # 40 s after the restart began
                    break
                assert time.monotonic() < deadline, (caught_up, log.read_text()[-3000:])
                time.sleep(2)
        finally:
            os.kill(proc.pid, signal.SIGTERM)                         # as systemd stops it
            proc.wait(timeout=60)
        assert len(caught_up) == expected[attempt], caught_up
    text = log.read_text()
    assert "deadline_watch missed its scheduled run at 01.01." not in text, text[-3000:]
    assert text.count("deadline_watch has not run on this Prefect server before: first run, started now") == 1, \
        text[-3000:]
    assert text.count(f"deadline_watch missed its scheduled run at {slot:%d.%m.%Y %H:%M} Europe/Oslo") == 1, \
        text[-3000:]
    assert text.count("deadline_watch missed its scheduled run") == 1, text[-3000:]
    assert "deadline_watch runs on '0 0 1 1 *' Europe/Oslo" in text
    delete_deployment(server["api"], "deadline_watch/deadline-watch")


def test_serve_whose_own_prefect_server_dies_stops_with_one_line(tmp_path):
    """`grantflow serve` starts its own Prefect server (no PREFECT_API_URL). That server killed
    (out of memory, kill -9) left serve running against nothing: alive to systemd, so never
    restarted, and no scheduled run ever again. Now serve stops with one line and exit 1."""
    import os
    import signal

    from ..smtp_server import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"), GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp_path / 'sent.db'}",
               GRANTFLOW_WATCH_CATCH_UP="0", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(BIN / "grantflow"), "serve", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 240
        while True:                               # up once the watch's deployment is registered
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                api_get(api, "/deployments/name/deadline_watch/deadline-watch")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(1)
        children = [int(c) for t in os.listdir(f"/proc/{proc.pid}/task")
                    for c in open(f"/proc/{proc.pid}/task/{t}/children").read().split()]
        (server_pid,) = [c for c in children if "\0server\0start\0" in open(f"/proc/{c}/cmdline").read()]
        os.kill(server_pid, signal.SIGKILL)
        assert proc.wait(timeout=120) == 1, log.read_text()[-3000:]
    finally:
        stop(proc)
    lines = [line for line in log.read_text().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: the Prefect server this serve started has stopped"), lines
