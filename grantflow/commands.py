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


def _cmd_render(args) -> int:
    from .documents import KINDS
    from .documents.service import produce
    from .register import display_path, open_register

    if args.kind not in KINDS:
        raise UserError(f"unknown document kind {args.kind!r} (use: {', '.join(KINDS)})", field="KIND")
    if args.period and args.as_of:
        raise UserError("give either --period or --as-of, not both", field="--period")
    register = open_register(args.config)
    if args.kind == "usage":
        if args.year is None and not args.period:
            raise UserError("give --year for the usage report", field="--year")
        period = str(args.year) if args.year is not None else args.period
        produced = produce(register, "usage", council_id=args.council, period=period, out=args.out, pdf=args.pdf)
    else:
        if not args.project:
            raise UserError(f"'render {args.kind}' needs a PROJECT", field="PROJECT")
        as_of = parse_date(args.as_of) if args.as_of else None
        period = args.period or (str(args.year) if args.year else None)
        produced = produce(register, args.kind, project_id=args.project, period=period, as_of=as_of,
                           out=args.out, pdf=args.pdf)
    for finding in produced.findings:
        print(f"note: {finding}", file=sys.stderr)
    if produced.pdf_message:
        print(f"warning: {produced.pdf_message}", file=sys.stderr)
    state = "unchanged" if produced.reused else "written"
    print(f"{display_path(produced.docx)}  (version {produced.version}, {state})")
    if produced.pdf:
        print(display_path(produced.pdf))
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


def register_commands(sub) -> None:
    p = sub.add_parser("render", help="write a document (.docx, optionally PDF)")
    p.add_argument("kind", metavar="KIND", help="application | status | final | costsplit | usage")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--period", help="2016, 2016-Q3, 2016-T2, 2016-10 or 2016-10-14")
    p.add_argument("--as-of", dest="as_of", help="report date YYYY-MM-DD (status, final)")
    p.add_argument("--council", help="council id (usage report)")
    p.add_argument("--year", type=int, help="year (usage report; application and cost split)")
    p.add_argument("--out", help="outputs folder (default: $GRANTFLOW_OUTPUTS or ./outputs)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (needs LibreOffice)")
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("templates", help="template tools")
    tsub = p.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    c = tsub.add_parser("check", help="render every template with lint data; list problems")
    c.set_defaults(func=_cmd_templates_check)
