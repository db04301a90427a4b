"""Workbook commands: ``workbook``, ``import``, ``new-project`` and ``inbox`` (registered on the CLI)."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import UserError


def _print_findings(findings) -> tuple[int, int]:
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    return errors, len(findings) - errors


def cmd_workbook(args) -> int:
    from datetime import date

    from .fileio import atomic_write
    from .intake import make_blank, make_workbook
    from .register import display_path, open_register
    from .settings import load_settings

    register = open_register(args.config)
    if bool(args.project) == bool(args.blank):
        raise UserError("give a PROJECT, or --blank COUNCIL for a new project's workbook", field="PROJECT")
    if args.blank:
        payload = make_blank(register, args.blank)
        name = f"nytt-prosjekt-{args.blank}.xlsx"
    else:
        from .commands import parse_date

        as_of = parse_date(args.as_of) if args.as_of else date.today()
        payload = make_workbook(register, args.project, as_of)
        name = f"{args.project}-{as_of.isoformat()}.xlsx"
    target = Path(args.out) if args.out else load_settings(args.config).outputs_dir() / "arbeidsboker" / name
    if target.suffix.lower() != ".xlsx":
        raise UserError("the workbook file name must end in .xlsx", field="--out")
    atomic_write(target, payload)
    print(display_path(target))
    return 0


def _report(result, dry_run: bool) -> int:
    errors, warnings = _print_findings(result.findings)
    if dry_run and result.ok and result.changes:
        print(result.diff(), end="")
    print(result.summary() + (" (dry run)" if dry_run and result.ok else ""), file=sys.stderr)
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def cmd_import(args) -> int:
    from .intake import import_workbook

    return _report(import_workbook(args.config, Path(args.file), dry_run=args.dry_run), args.dry_run)


def cmd_new_project(args) -> int:
    from .intake import new_project

    return _report(new_project(args.config, Path(args.file), dry_run=args.dry_run), args.dry_run)


def cmd_inbox(args) -> int:
    from .intake import process_inbox

    items = process_inbox(args.config, args.project)
    for item in items:
        print(f"{item.outcome:9} {item.file} → {item.moved_to}")
        for finding in item.findings:
            if finding.severity == "error":
                print(f"  {finding}")
    if not items:
        print("the inbox is empty")
    return 1 if any(item.outcome == "rejected" for item in items) else 0


def register_commands(sub) -> None:
    p = sub.add_parser("workbook", help="write a project's Excel workbook (register + this period's input)")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--blank", metavar="COUNCIL", help="an empty workbook for a new project in COUNCIL")
    p.add_argument("--as-of", dest="as_of", help="status date YYYY-MM-DD (default today)")
    p.add_argument("--out", "-o", help="file to write (default: outputs/arbeidsboker/...)")
    p.set_defaults(func=cmd_workbook)

    p = sub.add_parser("import", help="check a returned workbook and merge it into the register and data files")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and show the change; write nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("new-project", help="create a project from a filled-in workbook (grantflow workbook --blank)")
    p.add_argument("file", metavar="WORKBOOK")
    p.add_argument("--dry-run", action="store_true", help="check and show the project file; write nothing")
    p.set_defaults(func=cmd_new_project)

    p = sub.add_parser("inbox", help="import the returned workbooks saved in config/inbox/")
    p.add_argument("project", nargs="?", help="only this project's workbooks")
    p.set_defaults(func=cmd_inbox)
