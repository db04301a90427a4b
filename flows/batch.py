"""batch: one kind of document for many projects (a council, a funder, or everything).

One task per *chunk* of documents (never per row): a Prefect task costs ~65 ms of state round
trips and a document tens of milliseconds, so chunks are sized to keep that overhead near 5 %
while every worker still gets a few chunks to balance the load (``chunk_sizes``). A failure names
its document: a user error is recorded for that document and the chunk goes on; an unexpected
one is recorded too, and the flow fails at the end naming every such document.

The pool: processes by default, since rendering is CPU-bound Python, threads when the work is
mostly waiting (sending). Worker processes talk to the parent's Prefect server: on the embedded
(ephemeral) server the parent passes its address on, so no worker starts a server of its own.
The workers are started first thing, so their imports overlap the flow's reading of the register
(``start_workers``). Templates and the register are prepared once per worker process. Pick the pool with
``make_batch(workers, executor)``.
"""

# No `from __future__ import annotations` here: `grantflow serve` hands Prefect's runner the flow
# objects, which pickles the flow functions by value; their parameter annotations must be real
# types, not names (tests/flows/test_served_flows.py).

import contextlib
import gc
import dataclasses
import math
import pickle
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from prefect import flow, task
from pydantic import Field
from prefect.cache_policies import NONE
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from grantflow import clock
from grantflow.documents import KINDS
from grantflow.errors import UserError
from grantflow.register import Register, config_root, display_path, open_register
from grantflow.text import md_code, md_text

from flows.documents import CouncilId, DeliveryOptions, ProjectId, advance_approver, run_name
from flows.runtime import deployment_run, mistake_ends_run


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


def produce_document(kind: str, project: str | None, council: str | None, period: str | None, as_of: date | None,
                     options: DeliveryOptions, today: date | None = None, register: Register | None = None,
                     pdf_later: list | None = None) -> dict:
    """Collect, build, render (and deliver, when asked) one document (with ``register``, or the
    one this process has cached). With ``pdf_later`` (a list) and PDFs asked for, the document
    is rendered without its PDF and appended there as (result, produced): ``finish_with_pdfs``
    then converts a chunk's documents with one LibreOffice start and delivers them."""
    from grantflow.documents.service import build_context, prepare, render
    from grantflow.settings import load_settings

    settings = load_settings(options.config)
    register = register or cached_register(options.config)
    defer = options.pdf and pdf_later is not None
    try:
        request, folder, notes = prepare(register, kind, project, council, period, as_of, today,
                                         settings.records_dir(options.out), settings.include_personal_data)
        produced = render(request, build_context(request), folder, pdf=options.pdf and not defer, notes=notes)
    except UserError as exc:
        return {"project": project, "council": council, "error": str(exc)}
    result = {"project": project, "council": produced.council, "docx": str(produced.docx),
              "version": produced.version, "reused": produced.reused, "sent": [], "failed": [], "uncertain": []}
    place_files(result, produced, options)
    if defer:
        pdf_later.append((result, produced))
    else:
        deliver(result, produced, options, register)
    return result


def finish_with_pdfs(pending: list, options: DeliveryOptions, register: Register | None = None,
                     converters: int | None = None) -> None:
    """PDFs for a chunk's rendered documents (each of up to ``converters`` LibreOffice processes
    started once for its share), then their delivery. A document LibreOffice cannot convert is
    recorded as an error naming its file, and is not sent (its recipients asked for a PDF); the
    others go on."""
    from grantflow.documents.service import add_pdfs

    failures = add_pdfs([produced for _, produced in pending], converters=converters)
    for (result, produced), failure in zip(pending, failures):
        if produced.pdf:
            result["pdf"] = str(produced.pdf)
            place_files(result, produced, options)
        if failure is not None:
            result["error"] = str(failure)
        else:
            deliver(result, produced, options, register or cached_register(options.config))


def place_files(result: dict, produced, options: DeliveryOptions) -> None:
    """The run's own folder inside the outputs folder (``options.out``) gets a copy of the files,
    named in ``result``; the records stay the outputs folder's (``grantflow.documents.service.place``)."""
    from grantflow.documents.service import place
    from grantflow.settings import load_settings

    folder = load_settings(options.config).placed_in(options.out)
    if folder is not None:
        result["docx"] = str(place(produced, folder))


# A delivery that failed for the mail server itself (login, TLS, a server refusing the session:
# a UserError on ``delivery.smtp``), or for an outbox folder that cannot be written
# (``delivery.outbox``), fails alike for every document of the run: it is tried once per run and
# worker, not once per document (a wrong password tried per document counts toward the server
# locking the account).
_SERVER_REFUSED: dict[tuple, str] = {}


def deliver(result: dict, produced, options: DeliveryOptions, register: Register) -> None:
    """Send a produced document when the options ask for it; the outcome goes into ``result``."""
    if not options.send:
        return
    from grantflow.delivery.service import send_produced
    from grantflow.settings import load_settings

    from flows.runtime import smtp_password

    settings = load_settings(options.config)
    transport = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport == "smtp" else None
    run_id = _flow_run_id()
    server = (run_id, options.config, transport)
    if server in _SERVER_REFUSED:
        result["error"] = ("not sent, the mail server refused an earlier document of this run: "
                           + _SERVER_REFUSED[server])
        return
    # nobody watches a batch: what needs an approver (or has data errors) waits for one; approved in
    # advance, the approval is the person's named with it (or nobody known's), not the batch's
    try:
        report = send_produced(produced, register, settings, transport, password, options.resend,
                               unattended=True, approved=options.approved, run_id=run_id,
                               approver=advance_approver(options, "bunkekjøring") if options.approved else None)
    except UserError as exc:   # e.g. the ledger has this version with other content: this document's error
        result["error"] = str(exc)
        if (exc.field or "").startswith(("delivery.smtp", "delivery.outbox")):
            _SERVER_REFUSED[server] = str(exc)
        return
    # a recipient another sender still holds (interrupted, or sending now) is not delivered yet; a mail
    # the server took whole without a reply may have arrived: apart, as `grantflow sent` says it
    result.update(sent=report.sent, failed=report.refused() + [(e, f"pending: {why}") for e, why in report.pending],
                  uncertain=report.uncertain)
    if report.unreached:      # a cost split's paying municipalities without a contact address
        result["unreached"] = list(report.unreached)
    if report.held:
        result.update(held=report.held, key=report.document)
        if report.asked:       # held now for the first time (this content): its approver is told once
            result.update(asked=True, data_errors=sum(f.severity == "error" for f in produced.findings))


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    try:
        return str(flow_run.id) if flow_run.id else None
    except Exception:   # noqa: BLE001 - outside a run: nothing to link to
        return None


def register_for(register: Register, targets: list[tuple[str | None, str | None]]) -> Register:
    """The part of the register a chunk needs (its projects, their councils, and for a council's
    report that council's projects): what the flow read once, handed to the worker, which then
    does not parse every project file again (~25-60 ms a file) nor unpickle a thousand projects."""
    councils = {c for _, c in targets if c} | {register.projects[p].council for p, _ in targets if p}
    whole = {c for _, c in targets if c}
    projects = {pid: pr for pid, pr in register.projects.items()
                if pid in {p for p, _ in targets} or pr.council in whole}
    sources = {key: doc for key, doc in register.sources.items()
               if (key[0] == "project" and key[1] in projects) or (key[0] == "council" and key[1] in councils)}
    return dataclasses.replace(register, councils={c: register.councils[c] for c in councils if c in register.councils},
                               projects=projects, sources=sources)


def thaw_register(blob: bytes) -> Register:
    """The chunk's part of the register, unpickled with the cyclic garbage collector paused,
    then frozen out of its walks. Unpickling a few hundred projects makes ~10^5 objects: each
    collection the unpickling set off walked them and everything the worker holds (250 projects:
    1.5 s with the collector, 0.16 s without it, measured in a process holding a register), and
    every full collection while the chunk's documents are made walked them again. The models hold
    no reference cycles: they are freed by their reference counts when the chunk is done, frozen
    or not. Only in a pool's worker process, which ends with the batch: a long-lived process (a
    batch on threads inside `serve`) is not frozen, whatever it holds."""
    import multiprocessing

    gc.disable()
    try:
        register = pickle.loads(blob)
    finally:
        gc.enable()
    if multiprocessing.parent_process() is not None:
        gc.freeze()
    return register


@task(name="produce", cache_policy=NONE)
def produce_chunk(kind: str, targets: list[tuple[str | None, str | None]], period: str | None,
                  as_of: date | None, options: DeliveryOptions, today: date | None = None,
                  register_blob: bytes | None = None, converters: int | None = None) -> list[dict]:
    """A chunk of documents, each recorded on its own: an error names its document and the
    chunk goes on with the next. ``register_blob``: the chunk's part of the register, pickled (an
    opaque parameter, so Prefect does not walk a thousand models looking for futures).
    ``converters``: LibreOffice processes for the chunk's PDFs (the cores left to this worker)."""
    register = thaw_register(register_blob) if register_blob else None
    results, pdf_later = [], []
    for project, council in targets:
        try:
            results.append(produce_document(kind, project, council, period, as_of, options, today, register,
                                            pdf_later=pdf_later))
        except Exception as exc:   # not a user error: a defect, reported with its document
            results.append({"project": project, "council": council, "internal": True,
                            "error": f"{kind} for {project or council}: {type(exc).__name__}: {exc}"})
    if pdf_later:   # the chunk's PDFs, each converter started once, then their delivery
        try:
            finish_with_pdfs(pdf_later, options, register, converters)
        except Exception as exc:   # a defect: every document still waiting is reported
            for result, _ in pdf_later:
                if "pdf" not in result and "error" not in result:
                    result.update(internal=True, error=f"{kind} for {result['project'] or result['council']}: "
                                                        f"{type(exc).__name__}: {exc}")
    return results


MIN_CHUNK = 20      # ~65 ms of task overhead against >= 20 documents of tens of ms each: <= ~5 %
ROUNDS = 4          # chunks per worker at most, so a slow chunk does not leave a worker idle


def chunk_sizes(count: int, workers: int, chunk: int | None = None) -> list[int]:
    """Split ``count`` documents into chunks: at least MIN_CHUNK documents each where there are
    enough, up to ROUNDS chunks per worker, sizes differing by at most one."""
    if count <= 0:
        return []
    if chunk is None:
        rounds = max(1, min(ROUNDS, count // (max(workers, 1) * MIN_CHUNK)))
        pieces = min(count, max(workers, 1) * rounds)
    else:
        pieces = math.ceil(count / max(chunk, 1))
    base, extra = divmod(count, pieces)
    return [base + 1] * extra + [base] * (pieces - extra)


@contextlib.contextmanager
def workers_share_server():
    """On the embedded (ephemeral) server, hand its address to the task runner's worker
    processes (they inherit the settings in force at the first submit); without it each worker
    would start a server of its own on the same database. With PREFECT_API_URL set, nothing to do."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, temporary_settings

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()   # already running for this flow run: returns at once
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield


def _ready_worker() -> int:
    """Run in a new worker process: what its chunks need, imported (flows.batch with it), with
    what the first document would import on its way (the charts' and readers' libraries, which
    a one-off command imports only when it needs them). Then the imported modules' objects are
    frozen out of the cyclic garbage collector: a worker holds Prefect, pandas and grantflow,
    and each full collection walked them all again (measured: ~4 % of a worker's CPU)."""
    import os

    import grantflow.documents.render  # noqa: F401 - the import is the point
    import pptx.chart.chart  # noqa: F401
    import pptx.chart.data  # noqa: F401
    import pptx.chart.xlsx  # noqa: F401
    import pptx.dml.color  # noqa: F401
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401
    import xlsxwriter  # noqa: F401

    gc.collect()
    gc.freeze()
    return os.getpid()


def start_workers(runner, workers: int) -> list:
    """Start the process pool's workers now, each importing grantflow (~1.5 s), instead of at
    the first chunk, after the register is read (~3 s for a thousand projects): the two overlap.
    Uses the runner's executor (Prefect 3.8's ``ProcessPoolTaskRunner._executor``), which starts
    a process per call while fewer than ``workers`` run; no task runs are made. Returns the
    futures (their results are the workers' pids); nothing happens for another runner."""
    executor = getattr(runner, "_executor", None)
    if not isinstance(runner, ProcessPoolTaskRunner) or executor is None:
        return []
    try:
        return [executor.submit(_ready_worker) for _ in range(workers)]
    except RuntimeError:   # the pool is shutting down: the chunks will say so
        return []


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


# The document kind is a choice in the Prefect UI, like the project and council.
KindId = Annotated[str, Field(description="Dokumenttype", json_schema_extra={"enum": list(KINDS)})]


@flow(name="batch", flow_run_name=run_name, task_runner=ProcessPoolTaskRunner(max_workers=2))
def batch(kind: KindId = "status", council: CouncilId | None = None, funder: str | None = None,
          projects: list[ProjectId] | None = None, period: str | None = None, as_of: date | None = None,
          options: DeliveryOptions = DeliveryOptions(send=False), chunk: int | None = None) -> dict:
    """Produce ``kind`` for every selected project (or, for 'usage', every selected council),
    in chunks of ``chunk`` documents (default: sized by ``chunk_sizes``). A user's mistake that stops
    it (an unknown project, the config) is one line (``mistake_ends_run``)."""
    return mistake_ends_run(lambda: _batch(kind, council, funder, projects, period, as_of, options, chunk))


def _batch(kind: str, council: str | None, funder: str | None, projects: list[str] | None, period: str | None,
           as_of: date | None, options: DeliveryOptions, chunk: int | None) -> dict:
    """``batch``'s work."""
    from prefect.context import FlowRunContext

    runner = FlowRunContext.get().task_runner
    workers = getattr(runner, "_max_workers", None) or 1
    start_workers(runner, workers)   # they import grantflow while this process reads the register
    deployment_run(options)
    if kind == "usage":
        register = cached_register(options.config)
        targets = [(None, c) for c in sorted(register.councils) if not council or c == council]
    else:
        targets = [(p, None) for p in select_projects(options.config, council, funder, projects)]
    chunks, start = [], 0
    for size in chunk_sizes(len(targets), workers, chunk):
        chunks.append(targets[start:start + size])
        start += size
    register = cached_register(options.config)   # the batch works on one reading of the register
    from grantflow.documents.render import cores

    # each worker converts its chunk's PDFs on the cores the other workers leave it (one worker:
    # every core; LibreOffice converts on one)
    converters = max(1, cores() // min(workers, max(len(chunks), 1)))
    with workers_share_server():
        futures = [produce_chunk.submit(kind, part, period, as_of, options, None,
                                        pickle.dumps(register_for(register, part)), converters)
                   for part in chunks]
        results = [r for f in futures for r in f.result()]
    errors = [r for r in results if "error" in r]
    crashed = [r["error"] for r in errors if r.get("internal")]
    if crashed:
        raise RuntimeError(f"{len(crashed)} document(s) failed: " + "; ".join(crashed))
    held = [r for r in results if r.get("held")]
    # held before, but its approver was never reached (the mail server was down or refused them):
    # asked again now, so the request is not left to the reminder days later
    untold = untold_requests(options.config)
    for r in held:
        if (r["key"], r["version"]) in untold:
            r["untold"] = True
    told = ask_approvers([r for r in held if r.get("asked") or r.get("untold")], options)
    publish_batch(kind, results, errors, held, told)
    return {"kind": kind, "documents": len([r for r in results if "docx" in r]),
            "errors": errors, "held": held, "told": told, "results": results}


@task(name="ask-approvers", cache_policy=NONE)
def ask_approvers(asked: list[dict], options: DeliveryOptions) -> list[str]:
    """Mail each approver the documents this run held for the first time: one mail per approver
    listing each with the command that shows its preview and sends it (``send_command``). A held
    document's request is new exactly once (``SentLedger.approval_requested``), so a document is
    in one such mail however often the batch runs, also with two batches at once; the morning
    watch reminds of it later (``remind_pending``). What was sent, or why not, one line each."""
    if not asked:
        return []
    from prefect import get_run_logger

    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import make_transport, notify
    from grantflow.settings import load_settings

    from flows.approval import approver_of, send_command
    from flows.runtime import smtp_password

    settings = load_settings(options.config)
    register = cached_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    by_approver: dict[str, list[dict]] = {}
    for result in asked:
        by_approver.setdefault(approver_of(register.council(result["council"]), settings)[1], []).append(result)
    logger, told = get_run_logger(), []
    ledger = SentLedger(settings.ledger_url())
    try:
        for email, documents in sorted(by_approver.items()):
            council = register.council(documents[0]["council"])
            name = approver_of(council, settings)[0]
            lines = [f"En bunkekjøring har laget {len(documents)} dokument(er) som venter på godkjenning før de "
                     "sendes. Ingenting av dette er sendt. For hvert dokument: kjør kommandoen, se "
                     "forhåndsvisningen (mottakere, emne, vedlegg, nøkkeltall) og svar j for å sende."]
            for doc in sorted(documents, key=lambda d: d["key"]):
                errors = doc.get("data_errors", 0)
                why = (f"dataene har {errors} feil; sendes bare med en begrunnelse for å overstyre dem" if errors
                       else "trenger godkjenning før utsending")
                lines.append(f"- {doc['key']} versjon {doc['version']}: {why}\n"
                             f"  Dokument: {display_path(Path(doc['docx']))}\n"
                             f"  {send_command(doc['key'], settings, options.out)}"
                             + (' --override-reason "begrunnelse"' if errors else ""))
            lines.append("Uten svar kommer en påminnelse etter "
                         f"{settings.delivery.approval_reminder_days} virkedager.")
            digest = ",".join(sorted(f"{d['key']}/v{d['version']}" for d in documents))
            report = notify(f"approval-batch/{email}", _short(digest),
                            f"Til godkjenning: {len(documents)} dokument(er) holdt tilbake av bunkekjøringen",
                            lines, name, email, None, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry)
            keys = ", ".join(d["key"] for d in documents)
            if report.failed or report.pending:
                why = (report.failed or report.pending)[0][1]
                logger.error(f"approver {email} not told of {keys}: {why}")
                told.append(f"ikke varslet {email} ({keys}): {why}")
                told += tell_secretariat_unreached(email, why, documents, register.councils, settings, ledger,
                                                   transport_name, password)
            else:
                told.append(f"varslet {email}: {keys}")
                for doc in documents:
                    if doc.get("untold"):
                        ledger.watch_record(untold_key(doc["key"], doc["version"]), "done", f"varslet {email}")
    finally:
        ledger.close()
    return told


def untold_key(document: str, version: int) -> str:
    """The ledger's mark (watch items) of a held document whose approver was not reached."""
    return f"approval-untold:{document}:v{version}"


def untold_requests(config: str | None) -> set[tuple[str, int]]:
    """(document, version) of held documents whose approver has not been reached yet."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.settings import load_settings

    ledger = SentLedger(load_settings(config).ledger_url())
    try:
        rows = ledger.watch_rows()
    finally:
        ledger.close()
    out = set()
    for row in rows:
        if row["key"].startswith("approval-untold:") and row["status"] == "failed":
            document, _, version = row["key"].removeprefix("approval-untold:").rpartition(":v")
            out.add((document, int(version)))
    return out


def tell_secretariat_unreached(approver: str, why: str, documents: list[dict], councils: dict, settings,
                               ledger, transport_name: str, password: str | None,
                               run_id: str | None = None) -> list[str]:
    """The approver's mail did not go (the server refused their address, or was down): the held
    documents stay held (nothing is lost, nothing sent), each is marked in the ledger so the next
    batch run and the morning watch's reminder (``remind_pending``, without waiting its working days)
    ask the approver again, and each council's secretariat is told now, once per set of documents
    and day -- not days later by the reminder. ``run_id``: a document run that waits (Suspended) for
    this approval (``await_approval``): said so, with its link, and told once for that run, not
    every day. What was told, one line each."""
    from grantflow.delivery.service import make_transport, notify

    from flows.approval import send_command, ui_link

    for doc in documents:
        ledger.watch_record(untold_key(doc["key"], doc["version"]), "failed", f"{approver}: {why}")
    out = []
    by_council: dict[str, list[dict]] = {}
    for doc in documents:
        by_council.setdefault(doc["council"], []).append(doc)
    for council_id, docs in sorted(by_council.items()):
        council = councils[council_id]
        secretariat = council.secretariat
        if not secretariat.email or secretariat.email.casefold() == approver.casefold():
            continue        # the approver is the secretariat: the address that failed; the next run asks again
        link = ui_link(run_id) if run_id else None
        lines = [f"Godkjenneren ({approver}) fikk ikke e-posten om {len(docs)} dokument(er) som "
                 + ("en kjøring venter på godkjenning av" if run_id else "en bunkekjøring holder tilbake til de er "
                    "godkjent") + f": {why}.",
                 "Ingenting av dette er sendt, og dokumentene er ikke borte. "
                 + ("Fristvakten spør godkjenneren igjen neste virkedag, uten å vente på de vanlige virkedagene. "
                    + (f"Godkjenn eller avvis i kjøringen: {link}. " if link else "") if run_id else
                    "Neste bunkekjøring prøver å varsle godkjenneren igjen. ")
                 + "Sjekk adressen (delivery.approver_email i config/grantflow.yaml), eller se "
                 "forhåndsvisningen og send selv:",
                 "\n".join(f"- {d['key']} versjon {d['version']}\n  {send_command(d['key'], settings)}"
                           + (' --override-reason "begrunnelse"' if d.get("data_errors") else "") for d in docs)]
        digest = ",".join(sorted(f"{d['key']}/v{d['version']}" for d in docs))
        # a waiting run's request is made once: its secretariat is told once (a resumed run asks nobody anew)
        report = notify(f"approval-unreached/{council_id}",
                        f"{run_id or clock.today().isoformat()}-{_short(digest)}",
                        f"Godkjenneren ble ikke varslet: {len(docs)} dokument(er) venter på godkjenning",
                        lines, secretariat.name, secretariat.email, None, council, settings, ledger,
                        make_transport(settings, transport_name, password), settings.delivery.retry)
        if report.sent:
            out.append(f"sekretariatet varslet {secretariat.email}: godkjenneren {approver} ble ikke nådd")
        elif report.failed or report.pending:
            out.append(f"sekretariatet ikke varslet {secretariat.email}: {(report.failed or report.pending)[0][1]}")
    return out


def _short(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def publish_batch(kind: str, results: list[dict], errors: list[dict], held: list[dict],
                  told: list[str] = ()) -> None:
    """The run's artifact: how many made and sent, which wait for approval, which failed."""
    from prefect.artifacts import create_markdown_artifact

    made = [r for r in results if "docx" in r]
    lines = [f"# Bunkekjøring: {kind}", "", f"- Dokumenter laget: {len(made)}",
             f"- Sendt: {sum(len(r.get('sent', [])) for r in made)} e-post(er)"]
    if held:
        lines += ["", f"## Ikke sendt – venter på godkjenning ({len(held)})", ""]
        lines += [f"- {r['project'] or r['council']}: {md_text(r['held'])} ({md_code(r['docx'])})" for r in held]
        lines += [f"- Godkjenner {md_text(line)}" for line in told]
    unreached = [(r["project"], r["unreached"]) for r in made if r.get("unreached")]
    if unreached:
        lines += ["", "## Ikke sendt til kommuner som betaler en andel (ingen kontaktadresse)", ""]
        lines += [f"- {who}: {md_text(', '.join(names))}" for who, names in unreached]
    failed = [(r["project"] or r["council"], e, why) for r in made for e, why in r.get("failed", [])]
    if failed:
        lines += ["", "## Ikke levert", ""] + [f"- {who} → {md_text(e)}: {md_code(why)}" for who, e, why in failed]
    unsure = [(r["project"] or r["council"], e, why) for r in made for e, why in r.get("uncertain", [])]
    if unsure:
        # not "ikke levert": the server took the whole message and never replied
        lines += ["", "## Kan ha kommet fram (spør mottakeren før grantflow send --resend)", ""] + \
            [f"- {who} → {md_text(e)}: {md_code(why)}" for who, e, why in unsure]
    if errors:
        lines += ["", "## Feil", ""] + [f"- {r['project'] or r['council']}: {md_code(r['error'])}" for r in errors]
    create_markdown_artifact(markdown="\n".join(lines), key=f"batch-{kind}", description=f"Bunkekjøring {kind}")


def make_batch(workers: int = 2, executor: Literal["processes", "threads"] = "processes"):
    """The batch flow on a pool of ``workers`` processes or threads."""
    runner = ProcessPoolTaskRunner(max_workers=workers) if executor == "processes" \
        else ThreadPoolTaskRunner(max_workers=workers)
    return batch.with_options(task_runner=runner)
