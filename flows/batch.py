"""batch: one kind of document for many projects (a council, a funder, or everything).

One task per document (never per row), run on a bounded pool: processes by default, since
rendering and charts are CPU-bound Python, threads when the work is mostly waiting (sending).
Templates are read once per worker process (``render.template_bytes`` is cached) and matplotlib is
imported once per process. Pick the pool with ``make_batch(workers, executor)``.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Literal

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from grantflow.errors import UserError
from grantflow.register import Register, config_root, open_register

from flows.documents import DeliveryOptions, run_name


_REGISTERS: dict[str, tuple[float, int, Register]] = {}
RECHECK_SECONDS = 5.0


def cached_register(config: str | None) -> Register:
    """The register, parsed once per worker process; re-read when a YAML file changed (looked
    for at most every few seconds, since a batch of a thousand tasks would stat every file each time)."""
    root = str(config_root(config).resolve())
    now = time.monotonic()
    cached = _REGISTERS.get(root)
    if cached and now - cached[0] < RECHECK_SECONDS:
        return cached[2]
    stamp = max((p.stat().st_mtime_ns for p in Path(root).glob("*/*.y*ml")), default=0)
    if not cached or cached[1] != stamp:
        cached = (now, stamp, open_register(config))
    _REGISTERS[root] = (now, cached[1], cached[2])
    return cached[2]


@task(name="produce", cache_policy=NONE)
def produce_one(kind: str, project: str | None, council: str | None, period: str | None, as_of: date | None,
                options: DeliveryOptions, today: date | None = None) -> dict:
    """Collect, build, render (and deliver, when asked) one document."""
    from grantflow.delivery.service import send_produced
    from grantflow.documents.service import build_context, prepare, render
    from grantflow.settings import load_settings

    from flows.runtime import smtp_password

    settings = load_settings(options.config)
    register = cached_register(options.config)
    try:
        request, folder, notes = prepare(register, kind, project, council, period, as_of, today,
                                         options.out or settings.outputs_dir(), settings.include_personal_data)
        produced = render(request, build_context(request), folder, pdf=options.pdf, notes=notes)
    except UserError as exc:
        return {"project": project, "council": council, "error": str(exc)}
    result = {"project": project, "council": produced.council, "docx": str(produced.docx),
              "version": produced.version, "reused": produced.reused, "sent": [], "failed": []}
    if options.send:
        transport = options.transport or settings.delivery.transport
        password = smtp_password(settings) if transport == "smtp" else None
        report = send_produced(produced, register, settings, transport, password, options.resend)
        result.update(sent=report.sent, failed=report.failed)
    return result


def select_projects(config: str | None, council: str | None, funder: str | None,
                    projects: list[str] | None) -> list[str]:
    register = cached_register(config)
    chosen = []
    for project in sorted(register.projects.values(), key=lambda p: p.id):
        if projects and project.id not in projects:
            continue
        if council and project.council != council:
            continue
        if funder and not any(f.id == funder for f in project.funders):
            continue
        chosen.append(project.id)
    if projects:
        missing = sorted(set(projects) - set(chosen))
        if missing:
            raise UserError(f"unknown project(s): {', '.join(missing)}", field="projects")
    return chosen


@flow(name="batch", flow_run_name=run_name, task_runner=ProcessPoolTaskRunner(max_workers=2))
def batch(kind: str = "status", council: str | None = None, funder: str | None = None,
          projects: list[str] | None = None, period: str | None = None, as_of: date | None = None,
          options: DeliveryOptions = DeliveryOptions(send=False)) -> dict:
    """Produce ``kind`` for every selected project (or, for 'usage', every selected council)."""
    if kind == "usage":
        register = cached_register(options.config)
        targets = [(None, c) for c in sorted(register.councils) if not council or c == council]
    else:
        targets = [(p, None) for p in select_projects(options.config, council, funder, projects)]
    futures = [produce_one.submit(kind, p, c, period, as_of, options) for p, c in targets]
    results = [f.result() for f in futures]
    return {"kind": kind, "documents": len([r for r in results if "docx" in r]),
            "errors": [r for r in results if "error" in r], "results": results}


def make_batch(workers: int = 2, executor: Literal["processes", "threads"] = "processes"):
    """The batch flow on a pool of ``workers`` processes or threads."""
    runner = ProcessPoolTaskRunner(max_workers=workers) if executor == "processes" \
        else ThreadPoolTaskRunner(max_workers=workers)
    return batch.with_options(task_runner=runner)
