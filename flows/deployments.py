"""The deployments ``grantflow serve`` runs; ``prefect.yaml`` declares the same for workers.

A test keeps the two in step (names, entrypoints, schedule).
"""

from __future__ import annotations

WATCH_CRON = "0 7 * * 1-5"      # weekdays 07:00
TIMEZONE = "Europe/Oslo"

# name in prefect.yaml -> (entrypoint, flow name)
DEPLOYMENTS = {
    "application": ("flows/documents.py:application", "application"),
    "status-report": ("flows/documents.py:status_report", "status_report"),
    "final-report": ("flows/documents.py:final_report", "final_report"),
    "grant-usage-report": ("flows/documents.py:grant_usage_report", "grant_usage_report"),
    "cost-split": ("flows/documents.py:cost_split", "cost_split"),
    "deadline-watch": ("flows/deadline_watch.py:deadline_watch", "deadline_watch"),
    "batch": ("flows/batch.py:batch", "batch"),
}
# document kind (CLI) -> deployment name
KIND_DEPLOYMENT = {"application": "application", "status": "status-report", "final": "final-report",
                   "usage": "grant-usage-report", "costsplit": "cost-split"}


def served():
    """Deployment objects for ``serve()``: every flow, the watch on its schedule with concurrency 1."""
    from prefect.client.schemas.schedules import CronSchedule

    from flows.batch import batch
    from flows.deadline_watch import deadline_watch
    from flows.documents import application, cost_split, final_report, grant_usage_report, status_report

    flows = {"application": application, "status-report": status_report, "final-report": final_report,
             "grant-usage-report": grant_usage_report, "cost-split": cost_split, "batch": batch}
    out = [f.to_deployment(name=name) for name, f in flows.items()]
    out.append(deadline_watch.to_deployment(name="deadline-watch",
                                            schedules=[CronSchedule(cron=WATCH_CRON, timezone=TIMEZONE)],
                                            concurrency_limit=1))
    return out
