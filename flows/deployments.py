"""The deployments ``grantflow serve`` runs; ``prefect.yaml`` declares the same for workers.

A test keeps the two in step (names, entrypoints, schedule).
"""

from __future__ import annotations

WATCH_CRON = "0 7 * * 1-5"      # weekdays 07:00
TIMEZONE = "Europe/Oslo"

# the state message of a run whose serve stopped under it (the deadline watch says it in Norwegian)
SERVE_STOPPED = ("the grantflow serve running this run stopped (killed or crashed) and its process is gone; "
                 "a new serve ended it")


def watch_cron() -> str:
    """The watch's schedule for ``grantflow serve``: ``$GRANTFLOW_WATCH_CRON`` (Europe/Oslo) or weekdays 07:00."""
    import os

    return os.environ.get("GRANTFLOW_WATCH_CRON", "").strip() or WATCH_CRON


def last_watch_time(now, cron: str | None = None):
    """The watch's latest scheduled time at or before ``now`` (aware), in Europe/Oslo; daylight
    saving as the calendar has it (07:00 is 07:00 in March and October)."""
    from zoneinfo import ZoneInfo

    from cronsim import CronSim

    return next(CronSim(cron or watch_cron(), now.astimezone(ZoneInfo(TIMEZONE)), reverse=True))


def catch_up_watch(now=None) -> tuple[str, bool] | None:
    """Start the watch once now when its latest scheduled time has passed without a run.

    A graceful stop (systemd stopping or restarting the service, a reboot) pauses the served
    deployments, and Prefect deletes their scheduled runs, the late one included; the scheduler
    only makes runs from the restart on. Serve stopped at 06:50 and started at 07:10 never ran that
    morning's watch: what was due waited for the next working day, and a status report due the
    morning before its meeting was not sent at all. A run killed with -9 leaves its late run, which
    the runner starts; then nothing is added here. (The flow run id, whether the watch had run on
    this Prefect server before), or None. A server that never ran it (new, or its database new)
    did not miss the slot: the watch was not there to run (``missed_watch_text``)."""
    from datetime import datetime, timezone

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterExpectedStartTime, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    last = last_watch_time(now or datetime.now(timezone.utc))
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("deadline_watch/deadline-watch")
        alive = [StateType.COMPLETED, StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED,
                 StateType.CANCELLING]
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            # up to now: the scheduler may already have made the next (future) runs
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(
                after_=last, before_=datetime.now(timezone.utc)),
                                          state=FlowRunFilterState(type=FlowRunFilterStateType(any_=alive))),
            limit=1)
        if runs:
            return None
        # any run of it before now, in any state: the watch was on this server before
        ran_before = bool(client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(
                before_=datetime.now(timezone.utc))), limit=1))
        run = client.create_flow_run_from_deployment(deployment.id)
    return str(run.id), ran_before


def end_orphaned_runs(outputs, grace_seconds: float = 15.0, poll_seconds: float = 1.0) -> list[str]:
    """End the runs a previous ``grantflow serve`` of this installation left without a process,
    with a message saying so. Called once this serve holds the installation's serve lock, before
    its runner starts: no other serve of it is alive.

    - Pending: the runner moves a run to Pending, taking the deployment's concurrency slot, and
      then starts its process. A serve killed between the two left the run Pending and the slot
      held for the slot's 300 s lease: the watch (concurrency 1) did not run for five minutes
      after the restart (seen in CI), and the run stayed Pending in the UI for ever.
    - Running, its process gone (``flows.runtime.run_alive``): killed with the serve (a reboot,
      the service manager stopping the whole service). Prefect keeps the slot's lease in the
      server's memory, so once the Prefect server had restarted too, the slot was never given
      back: the watch never ran again. A Running run whose process is alive (it outlives a serve
      killed alone) is left to finish.
    - Cancelling, its process gone: the runner that would have stopped it is gone too, and a new
      runner only watches its own runs; it held the slot as a Running run does (cancelling a stuck
      watch in the UI is what an operator does). It is Cancelled; the others are Crashed.

    A run still so after ``grace_seconds`` (an old process would have moved it on or taken its run
    lock by then) is ended, which releases its slot. The states are proposed, not forced: a run
    that finished meanwhile keeps its end. Only this installation's served deployments (no work
    pool) are looked at. The ids of the ended runs."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled, Crashed

    from flows.runtime import run_alive, sweep_run_locks

    sweep_run_locks(outputs)
    with get_client(sync_client=True) as client:
        ids = []
        for name, (_, flow_name) in DEPLOYMENTS.items():
            try:
                deployment = client.read_deployment_by_name(f"{flow_name}/{name}")
            except ObjectNotFound:
                continue
            if deployment.work_pool_name is None:
                ids.append(deployment.id)
        if not ids:
            return []

        def orphans() -> dict:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=ids)),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]))),
                limit=200)
            return {run.id: run.state.type for run in runs if not run_alive(outputs, str(run.id))}

        left = orphans()
        deadline = time.monotonic() + grace_seconds
        while left and time.monotonic() < deadline:
            time.sleep(poll_seconds)
            now = orphans()
            left = {run_id: now[run_id] for run_id in left if now.get(run_id) == left[run_id]}
        message = SERVE_STOPPED
        ended = []
        for run_id, state in sorted(left.items(), key=lambda item: str(item[0])):
            end = Cancelled(message=message) if state == StateType.CANCELLING else Crashed(message=message)
            try:
                answer = client.set_flow_run_state(run_id, end)
            except ObjectNotFound:              # deleted in the UI meanwhile
                continue
            if answer.status == SetStateStatus.ACCEPT:
                ended.append(str(run_id))
    return ended


def scheduler_problem() -> str | None:
    """Why Prefect's scheduler cannot create runs in this environment, or None.

    Prefect 3.8's scheduler service fails on every loop with SQLAlchemy 2.1 ("Can't evaluate
    bulk DML statement"): deployments register but no scheduled run is ever created
    (tests/integration/test_schedules.py proves both sides).
    """
    import sqlalchemy

    major, minor = (int(p) for p in sqlalchemy.__version__.split(".")[:2])
    if (major, minor) >= (2, 1):
        return (f"SQLAlchemy {sqlalchemy.__version__} is installed; Prefect's scheduler fails with 2.1 and no "
                "scheduled run would ever be created. Reinstall grantflow (pip install -e .) to get SQLAlchemy<2.1")
    return None

# name in prefect.yaml -> (entrypoint, flow name)
DEPLOYMENTS = {
    "application": ("flows/documents.py:application", "application"),
    "status-report": ("flows/documents.py:status_report", "status_report"),
    "final-report": ("flows/documents.py:final_report", "final_report"),
    "grant-usage-report": ("flows/documents.py:grant_usage_report", "grant_usage_report"),
    "cost-split": ("flows/documents.py:cost_split", "cost_split"),
    "deadline-watch": ("flows/deadline_watch.py:deadline_watch", "deadline_watch"),
    "batch": ("flows/batch.py:batch", "batch"),
    "status-cycle": ("flows/status_cycle.py:status_cycle", "status_cycle"),
}
# document kind (CLI) -> deployment name
KIND_DEPLOYMENT = {"application": "application", "status": "status-report", "final": "final-report",
                   "usage": "grant-usage-report", "costsplit": "cost-split"}


def served(watch_interval: int | None = None) -> list[tuple]:
    """(flow, deployment options) for ``grantflow serve``: every flow, the watch on its schedule with
    concurrency 1.

    ``watch_interval`` (seconds) replaces the weekday cron, for trying the schedule out.
    """
    from datetime import timedelta

    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

    from flows.batch import batch
    from flows.deadline_watch import deadline_watch
    from flows.documents import application, cost_split, final_report, grant_usage_report, status_report
    from flows.status_cycle import status_cycle

    flows = {"application": application, "status-report": status_report, "final-report": final_report,
             "grant-usage-report": grant_usage_report, "cost-split": cost_split, "batch": batch,
             "status-cycle": status_cycle}
    out = [(f, {"name": name}) for name, f in flows.items()]
    schedule = (IntervalSchedule(interval=timedelta(seconds=watch_interval), timezone=TIMEZONE) if watch_interval
                else CronSchedule(cron=watch_cron(), timezone=TIMEZONE))
    out.append((deadline_watch, {"name": "deadline-watch", "schedules": [schedule], "concurrency_limit": 1}))
    return out


def missed_watch_text(slot, run_id: str, ran_before: bool = True) -> str:
    """What serve says when it starts the watch for its scheduled time ``slot`` (Europe/Oslo),
    which passed with no run. It said "has not run since <slot>", which read as the last run (an
    outside tester's last run was 20:44, the slot missed 20:46). On a Prefect server where the watch
    never ran (``ran_before`` False: the first serve on a new server) nothing was missed: it said
    "missed its scheduled run at 29.11.2026 07:00" of a watch that was not there at 07:00."""
    if not ran_before:
        return f"deadline_watch has not run on this Prefect server before: first run, started now (flow run {run_id})"
    return (f"deadline_watch missed its scheduled run at {slot:%d.%m.%Y %H:%M} Europe/Oslo (no run since has "
            f"completed or is under way): started now (flow run {run_id})")


# What a flow-run process needs, imported once in the fork server (see serve()).
PRELOAD = ["prefect.flow_engine", "flows.documents", "flows.batch", "flows.deadline_watch", "flows.status_cycle"]


def _fork_server():
    """Flow runs start by fork from a warm process instead of a fresh interpreter.

    Prefect's runner starts each run of a flow it serves with ``run_flow_in_subprocess``, a new
    ``spawn`` process that imports Prefect, pandas and grantflow again: measured 3-7 s per run on
    two busy cores, longer than the document takes. Python's ``forkserver`` start method keeps one
    single-threaded process with those modules imported (PRELOAD) and forks each run from it, in
    milliseconds; the run still gets its own process (isolation, cancellation by pid, the exit
    code), and the runner's own threads are never forked. Prefect 3.8 hard-codes the "spawn"
    context in ``prefect.flow_engine``; only that module's view of ``multiprocessing`` is changed,
    in the ``grantflow serve`` process alone. Returns False (spawn as before) where forkserver is
    not available or Prefect no longer looks the same.
    """
    import multiprocessing
    import types

    import prefect.flow_engine as engine

    if "forkserver" not in multiprocessing.get_all_start_methods() or \
            getattr(engine, "multiprocessing", None) is not multiprocessing or \
            not hasattr(engine, "run_flow_in_subprocess"):
        return False
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    shim = types.SimpleNamespace(**{k: getattr(multiprocessing, k) for k in dir(multiprocessing)
                                    if not k.startswith("__")})
    shim.get_context = lambda method=None: context
    engine.multiprocessing = shim
    from multiprocessing import forkserver

    forkserver.ensure_running()          # pay for the imports now, not in the first run
    return True


def serve(outputs, watch_interval: int | None = None, query_seconds: float | None = None) -> None:
    """Serve every deployment from this process until interrupted (``grantflow serve``); ``outputs``
    is the installation's outputs folder (its runs' locks, see ``end_orphaned_runs``).

    The flows are added to Prefect's runner as flows (``Runner.add_flow``, what ``Flow.serve`` does),
    so a run starts from the flow object already imported here rather than by ``python -m
    prefect.engine`` importing it from the entrypoint; with the fork server it starts warm.
    """
    import asyncio
    import os
    import signal

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    # as prefect.serve(): schedules paused on shutdown, no limit on concurrent runs
    runner = Runner(pause_on_shutdown=True, limit=None, query_seconds=query_seconds)
    for flow, options in served(watch_interval):
        runner.add_flow(flow, **options)
    _fork_server()
    for run_id in end_orphaned_runs(outputs):
        print(f"flow run {run_id} was left without a process by a serve that stopped: ended as Crashed", flush=True)
    if not watch_interval and os.environ.get("GRANTFLOW_WATCH_CATCH_UP", "1").strip() != "0":
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)      # the slot said is the one looked for
        started = catch_up_watch(now)
        if started:
            print(missed_watch_text(last_watch_time(now), *started), flush=True)
    stopping = StopOnSignal()
    runner.handle_sigterm = stopping      # what Runner.start installs for SIGTERM (in the main thread)
    previous = signal.signal(signal.SIGINT, stopping)   # asyncio.run then leaves Ctrl-C to it

    async def main():
        stopping.task, stopping.loop = asyncio.current_task(), asyncio.get_running_loop()
        await runner.start()

    try:
        asyncio.run(main())
    except asyncio.CancelledError:       # stopped by a signal, once the run under way finished
        if not stopping.signal:
            raise
    except TerminationSignal:            # SIGTERM, as prefect.serve() treats it
        pass
    finally:
        signal.signal(signal.SIGINT, previous)


class StopOnSignal:
    """``grantflow serve``'s SIGINT (Ctrl-C) and SIGTERM (systemd's stop): one line, then the runner's
    task is cancelled, which stops it the way Prefect stops it on Ctrl-C: no new run starts, its
    schedules are paused, a run under way is let finish. Prefect's own SIGTERM handler raised
    SystemExit from inside the event loop and the operator saw asyncio's traceback ("Exception in
    callback StreamReaderProtocol..." ... CancelledError). A second signal while waiting changes
    nothing (the run finishes; ``kill -9`` stops serve at once, and the next serve ends a run left
    without its process)."""

    def __init__(self):
        self.signal, self.task, self.loop = None, None, None

    def __call__(self, signum, frame=None) -> None:
        import signal

        if self.signal:
            print("grantflow serve: still waiting for the run under way to finish", flush=True)
            return
        self.signal = signal.Signals(signum).name
        if self.task is None:            # before the runner started
            raise KeyboardInterrupt
        # (Ctrl-C in a terminal, and systemd's stop, signal the run's process too: it ends as Crashed)
        print(f"grantflow serve stopping ({self.signal}): no new runs start; a run under way finishes first, "
              "or ends as Crashed if the signal stopped it too", flush=True)
        self.loop.call_soon_threadsafe(self.task.cancel)
