"""The deployments ``grantflow serve`` runs; ``prefect.yaml`` declares the same for workers.

A test keeps the two in step (names, entrypoints, schedule).
"""

from __future__ import annotations

WATCH_CRON = "0 7 * * 1-5"      # weekdays 07:00
TIMEZONE = "Europe/Oslo"


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


def served(watch_interval: int | None = None):
    """Deployment objects for ``serve()``: every flow, the watch on its schedule with concurrency 1.

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
    out = [f.to_deployment(name=name) for name, f in flows.items()]
    schedule = (IntervalSchedule(interval=timedelta(seconds=watch_interval), timezone=TIMEZONE) if watch_interval
                else CronSchedule(cron=WATCH_CRON, timezone=TIMEZONE))
    out.append(deadline_watch.to_deployment(name="deadline-watch", schedules=[schedule],
                                            concurrency_limit=1))
    return out
