"""Orchestration commands: ``demo``, ``run`` and ``serve`` (registered on the grantflow CLI)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from datetime import date
from pathlib import Path

from grantflow.errors import UserError

from flows.runtime import quiet_environment


def _options(args, **extra):
    from flows.documents import DeliveryOptions

    values = dict(config=args.config, out=getattr(args, "out", None), transport=getattr(args, "transport", None),
                  pdf=getattr(args, "pdf", False), resend=getattr(args, "resend", False),
                  approved=getattr(args, "yes", False))
    values.update(extra)
    return DeliveryOptions(**values)


def cmd_demo(args) -> int:
    """Run the document flows for the demo projects on the embedded server; deliver to the outbox."""
    quiet_environment()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from grantflow.register import display_path, open_register
    from grantflow.settings import load_settings

    settings = load_settings(args.config)
    open_register(args.config)            # a broken register stops here with one clear line
    runs = settings.demo
    if not runs:
        raise UserError("no demo runs configured (demo: in config/grantflow.yaml)", field="demo")
    console = Console(stderr=True)
    results, failures = [], []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        job = progress.add_task("Starter Prefect (innebygd server) …", total=len(runs))
        from flows.documents import FLOWS
        from flows.runtime import one_shot

        with one_shot():
            for run in runs:
                subject = run.project or run.council
                progress.update(job, description=f"{run.kind}: {subject}")
                options = _options(args, transport="outbox", approved=True)
                flow = FLOWS.get(run.kind)
                if flow is None:
                    raise UserError(f"unknown kind {run.kind!r} in demo", field="demo")
                try:
                    if run.kind == "usage":
                        result = flow(council=run.council, year=int(run.period), options=options)
                    elif run.kind == "status":
                        result = flow(project=run.project, as_of=run.as_of, period=run.period, options=options)
                    elif run.kind == "final":
                        result = flow(project=run.project, as_of=run.as_of, options=options)
                    else:
                        result = flow(project=run.project, year=int(run.period) if run.period else None,
                                      options=options)
                    results.append(result)
                except UserError as exc:
                    failures.append((run.kind, subject, str(exc)))
                progress.advance(job)
            progress.update(job, description="Ferdig")
    table = Table(title="grantflow demo: dokumenter laget og levert til utboksen")
    for col in ("Dokument", "Prosjekt / regionråd", "Periode", "Versjon", "Fil", "Sendt nå", "Hadde fra før"):
        table.add_column(col, no_wrap=col in ("Fil",))
    for r in results:
        table.add_row(r["kind"], r["project"] or r["council"], r["period"], str(r["version"]),
                      display_path(Path(r["docx"])), str(len(r["sent"])), str(len(r["skipped"])))
    out = Console(width=None if sys.stdout.isatty() else 200)
    out.print(table)
    out.print(f"Utboks: {display_path(settings.outbox_dir())}  ·  Sendelogg: grantflow sent  ·  "
              f"Funn i dataene: grantflow validate")
    for kind, subject, why in failures:
        print(f"error: {kind} {subject}: {why}", file=sys.stderr)
    return 1 if failures else 0


def cmd_run(args) -> int:
    """Trigger one document flow: through the server when PREFECT_API_URL is set, else locally."""
    from grantflow.commands import parse_date

    params: dict = {}
    as_of = parse_date(args.as_of) if args.as_of else None
    if args.kind == "usage":
        if not args.council or not (args.year or args.period):
            raise UserError("'run usage' needs --council and --year", field="--council")
        params = {"council": args.council, "year": args.year or int(args.period)}
    else:
        if not args.project:
            raise UserError(f"'run {args.kind}' needs a PROJECT", field="PROJECT")
        params = {"project": args.project}
        if args.kind == "status":
            params.update(as_of=as_of, period=args.period)
        elif args.kind == "final":
            params.update(as_of=as_of)
        elif args.year or args.period:
            params.update(year=args.year or int(args.period[:4]))
    options = _options(args)
    if os.environ.get("PREFECT_API_URL"):
        from prefect.deployments import run_deployment

        from flows.deployments import DEPLOYMENTS, KIND_DEPLOYMENT

        name = KIND_DEPLOYMENT[args.kind]
        flow_name = DEPLOYMENTS[name][1]
        params["options"] = options.model_dump(mode="json")
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items() if v is not None}
        run = run_deployment(f"{flow_name}/{name}", parameters=params, timeout=0 if args.no_wait else None)
        print(f"flow run {run.name} ({run.id}): {run.state.name if run.state else 'scheduled'}")
        return 0 if args.no_wait or (run.state and run.state.is_completed()) else 1
    quiet_environment()
    from flows.documents import FLOWS
    from flows.runtime import one_shot

    with one_shot():
        result = FLOWS[args.kind](**{k: v for k, v in params.items() if v is not None}, options=options)
    print(f"{result['docx']}  (version {result['version']}); sent {len(result['sent'])}, "
          f"already had it {len(result['skipped'])}, failed {len(result['failed'])}"
          + (f"; {result['note']}" if result["note"] else ""))
    return 1 if result["failed"] else 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def cmd_serve(args) -> int:
    """Scheduled mode on one machine: a local Prefect server (started or found) serving the deployments."""
    from grantflow.settings import load_settings

    from flows.deployments import scheduler_problem

    settings = load_settings(args.config)
    api = os.environ.get("PREFECT_API_URL") or f"http://127.0.0.1:{args.port}/api"
    local = any(host in api for host in ("//127.0.0.1", "//localhost", "//[::1]"))
    problem = scheduler_problem()
    if problem and local:
        # The server on this machine runs with this environment's SQLAlchemy.
        raise UserError(f"cannot run on schedule: {problem}", field="SQLAlchemy")
    server = None
    if not _healthy(api):
        if os.environ.get("PREFECT_API_URL"):
            raise UserError(f"no Prefect server answers at {api} (PREFECT_API_URL)", field="PREFECT_API_URL")
        prefect = shutil.which("prefect") or str(Path(sys.executable).with_name("prefect"))
        log = settings.outputs_dir() / "prefect-server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        server = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(args.port)],
                                  stdout=open(log, "ab"), stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 90
        while not _healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                server.terminate()
                raise UserError(f"the Prefect server did not start (see {log})")
            time.sleep(0.5)
    os.environ["PREFECT_API_URL"] = api

    def stop(signum, frame):              # systemd stops services with SIGTERM
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Prefect's runner stops itself on SIGTERM and warns about an un-awaited coroutine on the way.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    when = (f"every {args.watch_interval} s" if args.watch_interval else "weekdays 07:00 Europe/Oslo")
    print(f"Prefect UI: {api.removesuffix('/api')}  ·  deadline_watch runs {when}")
    print("Serving the grantflow deployments; stop with Ctrl-C.", flush=True)
    quiet_environment()
    try:
        from prefect import serve

        from flows.deployments import served

        serve(*served(args.watch_interval), print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


def register(sub, document_arguments) -> None:
    p = sub.add_parser("demo", help="the main job: every document for the demo projects, to the outbox")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="trigger a document flow (on the server if PREFECT_API_URL is set)")
    document_arguments(p)
    p.add_argument("--transport", choices=("outbox", "smtp"))
    p.add_argument("--resend", action="store_true")
    p.add_argument("--yes", action="store_true", help="approve external sending in advance")
    p.add_argument("--no-wait", action="store_true", help="with a server: do not wait for the run to finish")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("serve", help="scheduled mode: local Prefect server + served deployments")
    p.add_argument("--port", type=int, default=4200)
    p.add_argument("--watch-interval", type=int, default=None, metavar="SECONDS",
                   help="run deadline_watch every SECONDS instead of weekdays 07:00 (to try the schedule out)")
    p.set_defaults(func=cmd_serve)
