"""deadline_watch: every weekday morning, run whatever is due, once per due item.

For the as-of date (default today in Europe/Oslo) it reads every project's deadlines, decides
what is due (``grantflow.deadlines``), runs the matching document flow for each due item that has
not run yet, records the item in the ledger database and, when an item cannot be made because of
the data, reminds the project leader (once per item and day). One project's bad data never stops
the others; a second run on the same day sends nothing new.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from grantflow import fmt
from grantflow.deadlines import KIND_TITLES, DueItem, calendar, due_on
from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.service import make_transport, remind
from grantflow.errors import UserError
from grantflow.register import open_register
from grantflow.settings import load_settings

from flows.documents import (DeliveryOptions, application, cost_split, final_report, grant_usage_report,
                             status_report, take_returned_workbooks)
from flows.runtime import smtp_password

OSLO = ZoneInfo("Europe/Oslo")


@task(name="find-due-items", cache_policy=NONE)
def find_due(as_of: date, config: str | None) -> tuple[list[DueItem], set[str]]:
    """What is due at ``as_of`` and which of it has already run."""
    settings = load_settings(config)
    register = open_register(config)
    items = due_on(calendar(register, settings.deadline_shift), as_of)
    ledger = SentLedger(settings.ledger_url())
    try:
        done = ledger.watch_done()
    finally:
        ledger.close()
    return items, done


@task(name="record-item", cache_policy=NONE)
def record(key: str, status: str, detail: str, config: str | None) -> None:
    settings = load_settings(config)
    ledger = SentLedger(settings.ledger_url())
    try:
        ledger.watch_record(key, status, detail)
    finally:
        ledger.close()


@task(name="remind-project-leader", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60])
def remind_leader(item: DueItem, problem: str, as_of: date, options: DeliveryOptions) -> str:
    """Mail the project leader what is missing (at most once per item and day)."""
    settings = load_settings(options.config)
    register = open_register(options.config)
    if item.project is None:
        return "no project leader for a council-wide item"
    project = register.project(item.project)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    ledger = SentLedger(settings.ledger_url())
    try:
        report = remind(item.key, as_of.isoformat(), KIND_TITLES[item.kind], project, register.council_of(project),
                        problem, fmt.long_date(item.due), settings, ledger,
                        make_transport(settings, transport_name, password), settings.delivery.retry)
    finally:
        ledger.close()
    return report.summary()


def run_item(item: DueItem, options: DeliveryOptions) -> dict:
    if item.kind == "status":
        return status_report(project=item.project, as_of=item.as_of, options=options)
    if item.kind == "application":
        return application(project=item.project, year=int(item.period) if item.period else None, options=options)
    if item.kind == "final":
        return final_report(project=item.project, options=options)
    if item.kind == "usage":
        return grant_usage_report(council=item.council, year=int(item.period), options=options)
    return cost_split(project=item.project, options=options)


@flow(name="deadline_watch", flow_run_name=lambda: "deadline_watch")
def deadline_watch(as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Run every due item once; remind project leaders where data is missing."""
    logger = get_run_logger()
    today = as_of or datetime.now(OSLO).date()
    take_returned_workbooks(None, options.config)       # what project leaders sent back, before anything is due
    items, done = find_due(today, options.config)
    ran, skipped, failed, reminders = [], [], [], []
    for item in items:
        if item.key in done:
            skipped.append(item.key)
            continue
        try:
            result = run_item(item, options)
        except UserError as exc:
            failed.append((item.key, str(exc)))
            record(item.key, "failed", str(exc), options.config)
            reminders.append(remind_leader(item, str(exc), today, options))
            continue
        except Exception as exc:  # noqa: BLE001 - one item's failure must not stop the others
            logger.exception("due item %s failed", item.key)
            failed.append((item.key, f"{type(exc).__name__}: {exc}"))
            record(item.key, "failed", f"{type(exc).__name__}: {exc}", options.config)
            continue
        if result.get("failed") or result.get("note", "").startswith("Ikke godkjent"):
            failed.append((item.key, result.get("note") or "delivery incomplete"))
            record(item.key, "failed", result.get("note") or "delivery incomplete", options.config)
        else:
            ran.append(item.key)
            record(item.key, "done", result.get("docx", ""), options.config)
    lines = [f"# Fristvakt {fmt.long_date(today)}", "", f"- Forfalt: {len(items)}", f"- Kjørt nå: {len(ran)}",
             f"- Allerede kjørt: {len(skipped)}", f"- Feilet: {len(failed)}"]
    lines += [f"  - `{key}`: {why}" for key, why in failed]
    create_markdown_artifact(markdown="\n".join(lines), key="deadline-watch", description="Fristvakt")
    return {"as_of": today.isoformat(), "due": [i.key for i in items], "ran": ran, "skipped": skipped,
            "failed": failed, "reminders": reminders}
