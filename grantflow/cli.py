"""The ``grantflow`` command: the secretariat's entry point.

Every user mistake ends as one ``error: file:line: field: message`` line and exit status 1;
tracebacks are kept for real bugs.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import UserError


def _cmd_validate(args) -> int:
    from .findings import has_errors
    from .validate import validate

    _, findings = validate(args.path)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    if has_errors(findings) or (args.strict and warnings):
        return 1
    return 0


def _cmd_allocate(args) -> int:
    from . import fmt
    from .costsplit import allocate
    from .register import open_register

    register = open_register(args.config)
    project = register.project(args.project)
    council = register.council_of(project)
    if args.amount is not None and args.amount < 0:
        raise UserError(f"--amount must not be negative ({args.amount})", field="--amount")
    result = allocate(council, project, args.year, args.amount)
    if args.format == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print("kommune,deltar,vekt,lik_andel,etter_vekt,sum")
        for s in result.shares:
            print(f"{s.municipality},{'ja' if s.participates else 'nei'},{s.weight or ''},"
                  f"{s.equal},{s.weighted},{s.total}")
        print(f"Sum,,{result.weight_total},{result.equal_total},{result.weighted_total},{result.total}")
    else:
        from rich.console import Console
        from rich.table import Table

        pct = result.equal_percent
        table = Table(title=f"Kostnadsfordeling {project.name} {result.year}: {fmt.money(result.total)} "
                            f"({fmt.percent(pct / 100)} likt, resten etter {result.weight_key} "
                            f"1.1.{result.weight_year})")
        for name in ("Kommune", result.weight_key.capitalize(), "Lik andel", "Etter vekt", "Sum"):
            table.add_column(name, justify="left" if name == "Kommune" else "right")
        for s in result.shares:
            if s.participates:
                table.add_row(s.municipality, fmt.number(s.weight), fmt.number(s.equal),
                              fmt.number(s.weighted), fmt.number(s.total))
            else:
                table.add_row(s.municipality, "", "", "", "Deltar ikke")
        table.add_row("Sum", fmt.number(result.weight_total), fmt.number(result.equal_total),
                      fmt.number(result.weighted_total), fmt.number(result.total), style="bold")
        Console().print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grantflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"grantflow {__version__}")
    parser.add_argument("--config", default=None, help="config folder (default: $GRANTFLOW_CONFIG or ./config)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check config and data files and cross-check them")
    p.add_argument("path", nargs="?", default=None, help="config folder or one project file")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("allocate", help="split a project's costs between its municipalities")
    p.add_argument("project")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--amount", type=int, default=None, help="amount in kroner (default: the plan's municipal part)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_cmd_allocate)

    from .commands import register_commands
    register_commands(sub)
    from .workbook_commands import register_commands as register_workbook_commands
    register_workbook_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "path", None) is None and getattr(args, "config", None) and args.command == "validate":
        args.path = args.config
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
