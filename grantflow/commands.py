"""Document commands: ``render`` and ``templates check`` (registered on the CLI)."""

from __future__ import annotations

import sys
from datetime import date

from .errors import UserError


def parse_date(text: str, field: str = "--as-of") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"cannot read date {text!r} (use YYYY-MM-DD)", field=field) from None


def _produce(args):
    """Render (or reuse) the document the arguments name; shared by render and send."""
    from .documents import KINDS
    from .documents.service import produce
    from .register import open_register
    from .settings import load_settings

    if args.kind not in KINDS:
        raise UserError(f"unknown document kind {args.kind!r} (use: {', '.join(KINDS)})", field="KIND")
    if args.period and args.as_of:
        raise UserError("give either --period or --as-of, not both", field="--period")
    settings = load_settings(args.config)
    register = open_register(args.config)
    out = args.out or settings.outputs_dir()
    if args.kind == "usage":
        if args.year is None and not args.period:
            raise UserError("give --year for the usage report", field="--year")
        period = str(args.year) if args.year is not None else args.period
        produced = produce(register, "usage", council_id=args.council, period=period, out=out, pdf=args.pdf,
                           include_personal_data=settings.include_personal_data)
    else:
        if not args.project:
            raise UserError(f"'{args.command} {args.kind}' needs a PROJECT", field="PROJECT")
        as_of = parse_date(args.as_of) if args.as_of else None
        period = args.period or (str(args.year) if args.year else None)
        produced = produce(register, args.kind, project_id=args.project, period=period, as_of=as_of,
                           out=out, pdf=args.pdf, include_personal_data=settings.include_personal_data)
    return settings, register, produced


def _cmd_render(args) -> int:
    from .register import display_path

    _, _, produced = _produce(args)
    for finding in produced.findings:
        print(f"note: {finding}", file=sys.stderr)
    if produced.pdf_message:
        print(f"warning: {produced.pdf_message}", file=sys.stderr)
    state = "unchanged" if produced.reused else "written"
    print(f"{display_path(produced.docx)}  (version {produced.version}, {state})")
    if produced.pdf:
        print(display_path(produced.pdf))
    return 0


def _cmd_send(args) -> int:
    from .delivery.ledger import SentLedger
    from .delivery.service import deliver, document_from, make_transport, plan

    settings, register, produced = _produce(args)
    if produced.pdf_message:
        print(f"warning: {produced.pdf_message}", file=sys.stderr)
    document = document_from(produced, register)
    project = register.project(produced.project) if produced.project else None
    council = register.council(produced.council)
    transport_name = args.transport or settings.delivery.transport
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger, resend=args.resend)
        if not the_plan.messages:
            print(f"nothing to send: all {len(the_plan.already)} recipient(s) already have "
                  f"{document.key} version {document.version} (use --resend to send again)")
            return 0
        if the_plan.approval_required and transport_name != "outbox" and not args.yes:
            print(the_plan.preview())
            if not sys.stdin.isatty():
                raise UserError("sending this kind needs approval: run interactively or add --yes", field="--yes")
            answer = input("Send? [j/N] ").strip().casefold()
            if answer not in ("j", "ja", "y", "yes"):
                print("not sent")
                return 1
        report = deliver(the_plan, make_transport(settings, transport_name), ledger, settings.delivery.retry,
                         resend=args.resend)
    finally:
        ledger.close()
    print(report.summary())
    for email, reason in report.failed:
        print(f"  not delivered to {email}: {reason}", file=sys.stderr)
    return 1 if report.failed else 0


def _cmd_sent(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from .delivery.ledger import SentLedger
    from .settings import load_settings

    settings = load_settings(args.config)
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = ledger.rows(project=args.project)
    finally:
        ledger.close()
    table = Table(title="Sendt" + (f": {args.project}" if args.project else ""))
    for name in ("Tid (UTC)", "Dokument", "Versjon", "Mottaker", "Rolle", "Via", "Status", "Forsøk", "Detalj"):
        table.add_column(name, no_wrap=name in ("Tid (UTC)", "Dokument", "Mottaker"))
    for row in rows:
        table.add_row(row.updated_at.strftime("%Y-%m-%d %H:%M:%S") if row.updated_at else "", row.document,
                      str(row.version), row.recipient, row.role, row.transport, row.status, str(row.attempts),
                      (row.detail or "")[:60])
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    if not rows:
        print("the ledger is empty")
    return 0


def _cmd_deadlines(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from . import fmt
    from .deadlines import KIND_TITLES, calendar, holiday_name, to_ics, upcoming
    from .fileio import atomic_write
    from .register import open_register
    from .settings import load_settings

    settings = load_settings(args.config)
    register = open_register(args.config)
    start = parse_date(args.start, "--from") if args.start else date.today()
    items = upcoming(calendar(register, settings.deadline_shift), start, args.days)
    table = Table(title=f"Frister {fmt.short_date(start)} – {args.days} dager fram")
    for col in ("Frist", "Opprinnelig", "Hva", "Prosjekt / råd", "Beskrivelse"):
        table.add_column(col)
    for item in items:
        moved = f"{fmt.short_date(item.original)} ({holiday_name(item.original) or 'helg'})" if item.moved else ""
        table.add_row(fmt.short_date(item.due), moved, KIND_TITLES[item.kind], item.project or item.council,
                      item.description)
    Console(width=None if sys.stdout.isatty() else 200).print(table)
    if not items:
        print(f"no deadlines in the {args.days} days from {start.isoformat()}")
    if args.ics:
        path = atomic_write(args.ics, to_ics(items))
        print(f"wrote {path} ({len(items)} event(s))")
    return 0


def _cmd_templates_check(args) -> int:
    from .documents.lint import check_templates

    problems = check_templates()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in templates", file=sys.stderr)
        return 1
    print("all templates render with lint data; no undeclared variables or missing styles")
    return 0


def _document_arguments(p) -> None:
    p.add_argument("kind", metavar="KIND", help="application | status | final | costsplit | usage")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--period", help="2016, 2016-Q3, 2016-T2, 2016-10 or 2016-10-14")
    p.add_argument("--as-of", dest="as_of", help="report date YYYY-MM-DD (status, final)")
    p.add_argument("--council", help="council id (usage report)")
    p.add_argument("--year", type=int, help="year (usage report; application and cost split)")
    p.add_argument("--out", help="outputs folder (default: $GRANTFLOW_OUTPUTS or the configured one)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (needs LibreOffice)")


def register_commands(sub) -> None:
    p = sub.add_parser("render", help="write a document (.docx, optionally PDF)")
    _document_arguments(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("send", help="render (if needed) and send a document to its recipients")
    _document_arguments(p)
    p.add_argument("--transport", choices=("outbox", "smtp"), help="default: from config (outbox)")
    p.add_argument("--resend", action="store_true", help="send even to recipients who have this version")
    p.add_argument("--yes", action="store_true", help="approve sending without asking")
    p.set_defaults(func=_cmd_send)

    p = sub.add_parser("sent", help="list the sent ledger")
    p.add_argument("project", nargs="?", help="only this project")
    p.set_defaults(func=_cmd_sent)

    p = sub.add_parser("deadlines", help="list upcoming deadlines; export iCalendar for Outlook")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--from", dest="start", help="start date YYYY-MM-DD (default today)")
    p.add_argument("--ics", help="write the deadlines to this .ics file")
    p.set_defaults(func=_cmd_deadlines)

    from flows.cli import register as register_orchestration
    register_orchestration(sub, _document_arguments)

    p = sub.add_parser("templates", help="template tools")
    tsub = p.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    c = tsub.add_parser("check", help="render every template with lint data; list problems")
    c.set_defaults(func=_cmd_templates_check)
