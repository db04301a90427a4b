"""`grantflow serve` on a brand-new Prefect server said "deadline_watch missed its scheduled run at
29.11.2026 07:00 Europe/Oslo" when it started the watch the first time: the watch had never been on
that server, so it had missed nothing. Now the first run says it is the first; a watch that had run
there and whose slot passed while serve was down is still told as a miss."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import flows.deployments as deployments
from flows.deadline_watch import deadline_watch


def test_the_first_catch_up_on_a_new_server_is_a_first_run_and_a_later_gap_is_a_miss(tmp_path, monkeypatch,
                                                                                      capsys):
    import prefect.runner
    from prefect.client.orchestration import get_client

    class Runner:           # the served deployments are not started: only serve's first lines
        def __init__(self, **kwargs):
            pass

        async def start(self):
            await asyncio.sleep(0)

    monkeypatch.setenv("GRANTFLOW_WATCH_CRON", "0 7 * * *")
    monkeypatch.delenv("GRANTFLOW_WATCH_CATCH_UP", raising=False)
    monkeypatch.setattr(prefect.runner, "Runner", Runner)
    monkeypatch.setattr(deployments, "served", lambda watch_interval=None: [])
    monkeypatch.setattr(deployments, "_fork_server", lambda: False)
    monkeypatch.setattr(deployments, "end_orphaned_runs", lambda outputs: [])
    deployment = deadline_watch.to_deployment(name="deadline-watch").apply()     # as serve makes it
    try:
        deployments.serve(tmp_path)
        out = capsys.readouterr().out
        assert "missed" not in out, out
        assert "deadline_watch has not run on this Prefect server before: first run, started now (flow run " in out, out
        # two days on, the watch (that run) was on this server, and serve was down at its 07:00
        later = datetime.now(timezone.utc) + timedelta(days=2)
        run_id, ran_before = deployments.catch_up_watch(later)
        slot = deployments.last_watch_time(later)
        assert deployments.missed_watch_text(slot, run_id, ran_before) == (
            f"deadline_watch missed its scheduled run at {slot:%d.%m.%Y} 07:00 Europe/Oslo (no run since has "
            f"completed or is under way): started now (flow run {run_id})")
    finally:
        with get_client(sync_client=True) as client:
            client.delete_deployment(deployment)
