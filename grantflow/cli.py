"""The ``grantflow`` command: the secretariat's entry point and the top layer of the program.

Every command lives here. The domain package below never imports this module nor Prefect; the
orchestration commands (``demo``, ``run``, ``serve``) import ``flows`` lazily, inside the command.

Every user mistake ends as one ``error: file:line: field: message`` line and exit status 1. An
unexpected exception (a bug) ends as one ``internal error`` line naming a log file with the
traceback, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path

from . import clock
from . import __version__
from .errors import UserError


# --- shared argument helpers -------------------------------------------------------------

def parse_date(text: str, field: str = "--as-of") -> date:
    """A date on the command line: åååå-mm-dd or dd.mm.åååå, by the rules of the data files."""
    from .numbers import DATE_FORMATS, DateError, read_date

    try:
        day = read_date(text)
    except DateError as exc:
        raise UserError(f"cannot read date {text!r}: {exc}", field=field) from None
    if day is None:
        raise UserError(f"a date is required ({DATE_FORMATS})", field=field)
    return day


def _amount(text: str) -> int:
    """``--amount``: whole kroner, written as in the data files (``350 000``, ``350.000``)."""
    from .numbers import NumberError, read_number

    try:
        value = read_number(text)
    except NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value is None or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of kroner")
    if value < 0:           # a usage mistake as the others here: exit 2 (it was 1, as a data error)
        raise argparse.ArgumentTypeError(f"{text!r} is negative: the amount to split is 0 or more kroner")
    return int(value)


def _year_of(args) -> int | None:
    """--year, else the year --period begins with (2016, 2016-Q3 ...); None when neither is given."""
    if args.year is not None:
        return args.year
    if not args.period:
        return None
    if not re.fullmatch(r"[0-9]{4}(-.*)?", args.period.strip()):
        raise UserError(f"cannot read a year in period {args.period!r} (use 2016, 2016-Q3 ...)", field="--period")
    return int(args.period.strip()[:4])


def _path(text: str) -> str:
    """A file or folder to write: one line. A line break in it made a folder 'a⏎b' that the
    printed path showed as two lines (and a file no one could name again in a mail or a log)."""
    from .text import line_break

    found = line_break(text)
    if found:
        raise argparse.ArgumentTypeError(f"{text!r} contains {found}: give a path on one line")
    return text


def _file_to_write(target: Path, suffix: str, option: str, what: str) -> None:
    """A file the user named for grantflow to write (``workbook -o``, ``deadlines --ics``): its name
    ends in ``suffix``, and what is there already is a regular file of its own. ``--ics`` given a
    project file replaced it with iCalendar text, and as root replaced /dev/full with a file."""
    from .register import display_path

    if target.suffix.lower() != suffix:
        raise UserError(f"{what} file name must end in {suffix}; nothing written",
                        file=display_path(target), field=option)
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError:
        return                        # a folder that cannot be read: the write names it
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a symbolic link" if stat.S_ISLNK(mode)
                else "a special file (a device or a pipe)")
        raise UserError(f"is {kind}, not a file grantflow may replace; nothing written",
                        file=display_path(target), field=option)


def _days(text: str) -> int:
    """``--days``: 0 to 3 660 (ten years ahead)."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 0 <= days <= 3660:
        raise argparse.ArgumentTypeError(f"{days} days: give 0 to 3660 (ten years)")
    return days


def _interval(text: str) -> int:
    """``serve --watch-interval``: 1 s to a week (0 or less is no interval, and was taken silently
    as the weekday schedule or failed inside Prefect)."""
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 1 <= seconds <= 7 * 86400:
        raise argparse.ArgumentTypeError(f"{seconds} s: give 1 to 604800 (a week), or leave it out for "
                                         "weekdays 07:00")
    return seconds


def _sweep_temp_files(args) -> None:
    """Remove what interrupted atomic writes left in the outputs folder."""
    from .fileio import remove_stale_temp_files
    from .settings import load_settings

    try:
        folder = Path(args.out) if getattr(args, "out", None) else load_settings(args.config).outputs_dir()
    except UserError:
        return                            # the command itself reports a broken config
    remove_stale_temp_files(folder)


# as long as the Prefect form takes them (flows.approval.ApprovalForm)
APPROVER_MAX, COMMENT_MAX = 200, 2000


def _one_line_text(value: str, field: str, longest: int) -> str:
    """A comment or reason given on the command line, refused with one line when it holds a line
    break or control character (also inside an RFC 2047 encoded word) or a bidirectional control:
    it is recorded, listed by `grantflow sent` and may reach a mail."""
    from .text import free_text, line_break

    found = line_break(value)
    try:
        if found:
            raise ValueError(f"must be a single line: contains {found}")
        free_text(value)
    except ValueError as exc:
        raise UserError(str(exc), field=field) from None
    if len(value) > longest:
        raise UserError(f"is {len(value)} characters long; at most {longest}", field=field)
    return value.strip()


def _approval_given(args, name_needed: bool = True) -> tuple[str, bool, str]:
    """Who approves with this command, and why: (name, whether the name is the login, comment).
    The name given with --approved-by, else the login on this machine (the record says so); each
    checked as the Prefect form checks them (one plain line, no encoded word), so what is recorded
    and shown in `grantflow sent`, the record .json and mails is what was typed."""
    from .text import one_line

    if args.override_reason:
        args.override_reason = _one_line_text(args.override_reason, "--override-reason", COMMENT_MAX)
    comment = _one_line_text(args.comment, "--comment", COMMENT_MAX) if args.comment else ""
    if args.approved_by is not None:
        try:
            name = one_line(args.approved_by).strip()
        except ValueError as exc:
            raise UserError(str(exc), field="--approved-by") from None
        if not name:
            raise UserError("is empty: give the approver's name, or leave it out to record the login",
                            field="--approved-by")
        if len(name) > APPROVER_MAX:
            raise UserError(f"is {len(name)} characters long; at most {APPROVER_MAX}", field="--approved-by")
        return name, False, comment
    return (_login() if name_needed else ""), True, comment


def _login() -> str:
    """The login on this machine, recorded as the approver when no name is given; one line
    asking for --approved-by where there is none (a service account without a name)."""
    import getpass

    from .text import one_line

    try:
        login = one_line(getpass.getuser()).strip()
    except (OSError, KeyError, ValueError):
        login = ""
    if not login:
        raise UserError("this machine gives no usable login name to record as the approver: give "
                        "--approved-by NAME", field="--approved-by")
    return login


def _approved_how(how: str, from_login: bool) -> str:
    """How an approval was given, as recorded (the comment's first part): the command, and that
    the name recorded is the login when none was given."""
    return how + (" (navn fra innloggingen)" if from_login else "")


def _approval_arguments(p, who: str) -> None:
    p.add_argument("--approved-by", metavar="NAME",
                   help=f"{who} (default: your login, recorded as such)")
    p.add_argument("--comment", metavar="TEXT", help="a comment recorded with the approval (one line)")


def _document_arguments(p) -> None:
    p.add_argument("kind", metavar="KIND", help="application | status | final | costsplit | usage")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--period", help="2016, 2016-Q3, 2016-T2, 2016-H1, 2016-10 or 2016-10-14 (or 14.10.2016)")
    p.add_argument("--as-of", dest="as_of", help="report date YYYY-MM-DD or DD.MM.YYYY (status, final; the day an application, "
                   "usage report or cost split is dated)")
    p.add_argument("--council", help="council id (usage report)")
    p.add_argument("--year", type=int, help="year (usage report; application and cost split)")
    p.add_argument("--out", type=_path, help="outputs folder (default: $GRANTFLOW_OUTPUTS or the configured one)")
    p.add_argument("--pdf", action="store_true", help="also write a PDF (needs LibreOffice)")


def _new_basis_argument(p) -> None:
    p.add_argument("--new-basis", dest="new_basis", action="store_true",
                   help="a status report that went out: compare it with, and count its period from, the latest "
                        "earlier report delivered now, not the one it was made with (a new version if that changes it)")


# --- data and the register ------------------------------------------------------------

def _cmd_validate(args) -> int:
    from .findings import condense, has_errors
    from .validate import validate

    path = args.path
    if path is None and getattr(args, "config", None):
        from .register import config_root

        # --config names the config folder for every command (a file in it stands for the
        # folder); only validate's own PATH may narrow the check to one project file
        path = config_root(args.config)
    _, findings = validate(path)
    shown = findings if args.all else condense(findings)
    for finding in shown:
        print(finding)
    if len(shown) < len(findings):
        print("(a field with more than 10 findings in one file ends in one line for the rest; "
              "--all lists every one)", file=sys.stderr)
    errors = sum(f.severity == "error" for f in findings)
    n_warnings = len(findings) - errors
    print(f"{errors} error(s), {n_warnings} warning(s)", file=sys.stderr)
    if has_errors(findings) or (args.strict and n_warnings):
        return 1
    return 0


def _cmd_allocate(args) -> int:
    from . import fmt
    from .costsplit import allocate, key_heading, not_paying
    from .register import open_register

    register = open_register(args.config)
    project = register.project(args.project)
    council = register.council_of(project)
    if args.amount is None:                  # the plan's municipal part: its own effort must be clear
        from .owneffort import require
        require(project, lambda loc: register.where("project", project.id, loc))
    result = allocate(council, project, args.year, args.amount,
                      lambda loc: register.where("council", council.id, loc),
                      lambda loc: register.where("project", project.id, loc))
    if args.format == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        import csv
        import io

        from .text import spreadsheet_text

        # As a Norwegian Excel opens it (double-click, or Data > From text): ';' between the
        # columns (',' is the decimal mark there, so a comma-separated file is one column),
        # a decimal comma, no grouping (a grouped number is text to Excel), and UTF-8 with a byte
        # order mark, without which Excel reads 'Karmøy' as Windows-1252. A name with ';' is quoted; one
        # that starts like a formula ('=HYPERLINK(…)') stays text.
        text = io.StringIO()
        out = csv.writer(text, delimiter=";", lineterminator="\r\n")
        # an agreed percentage key has no equal share: its columns are the percentage and the amount
        parts = (lambda *cells: [cells[-1]]) if result.agreed else (lambda *cells: list(cells))
        out.writerow(["Kommune", "Deltar", key_heading(result.weight_key, result.weight_year),
                      *parts("Lik andel", "Etter vekt", "Sum")])
        for s in result.shares:
            out.writerow([spreadsheet_text(s.municipality), "ja" if s.participates else "nei",
                          "" if s.weight is None else fmt.spreadsheet(s.weight),
                          *parts(s.equal, s.weighted, s.total)])
        out.writerow(["Sum", "", fmt.spreadsheet(result.weight_total),
                      *parts(result.equal_total, result.weighted_total, result.total)])
        data = ("\ufeff" + text.getvalue()).encode("utf-8")
        sys.stdout.flush()
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(data)       # the console's encoding must not change the file's
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data.decode("utf-8"))
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        pct = result.equal_percent
        # an agreed percentage key is the whole key: "(0 % likt, resten etter …)" over a column of
        # zeros said an equal share that is not there; it shows the percentage and the amount
        agreed = result.agreed
        keyed = key_heading(result.weight_key, result.weight_year, capital=False)
        table = Table(title=Text(f"Kostnadsfordeling {project.name} {result.year}: {fmt.money(result.total)} "
                                 + (f"(avtalt {keyed})" if agreed else
                                    f"({fmt.percent_as_given(pct / 100)} likt, resten etter {keyed})")))
        parts = (lambda *cells: [cells[-1]]) if agreed else (lambda *cells: list(cells))
        names = ("Kommune", key_heading(result.weight_key, result.weight_year) if agreed
                 else result.weight_key.capitalize(), *parts("Lik andel", "Etter vekt", "Sum"))
        for name in names:
            table.add_column(name, justify="left" if name == "Kommune" else "right")
        for s in result.shares:
            if s.participates:
                # the key as written, as the document and the CSV show it (26,8 read 27)
                _add_row(table, s.municipality, fmt.exact(s.weight),
                         *parts(fmt.number(s.equal), fmt.number(s.weighted), fmt.number(s.total)))
            else:
                _add_row(table, s.municipality, "", *parts("", "", not_paying(project, s.municipality, result.year)))
        _add_row(table, "Sum", fmt.exact(result.weight_total),
                 *parts(fmt.number(result.equal_total), fmt.number(result.weighted_total), fmt.number(result.total)),
                 style="bold")
        Console().print(table)
    return 0


# --- documents and delivery ------------------------------------------------------------

MADE_DAY_KINDS = {"usage": "the usage report", "costsplit": "the cost split"}


def _made_day(text: str | None, kind: str) -> date | None:
    """--as-of of a document dated the day it is made (a usage report, a cost split), today at the
    latest. A usage report dated in January next year while the year still ran read "per 31.
    desember" with no UTKAST: a draft sent as the year's report (found by a reviewer); a cost split
    dated 1.1.2030 went to the steering group as made that day. (The deadline watch dates each its
    own day.)"""
    if not text:
        return None
    day = parse_date(text)
    if day > clock.today():
        raise UserError(f"--as-of {day:%d.%m.%Y} is after today ({clock.today():%d.%m.%Y}): {MADE_DAY_KINDS[kind]} is "
                        "dated the day it is made, today at the latest", field="--as-of")
    return day


def _produce(args):
    """Render (or reuse) the document the arguments name; shared by render and send."""
    from .documents import kind
    from .documents.service import produce
    from .register import open_project_register, open_register
    from .settings import load_settings

    kind(args.kind)                           # an unknown kind is one line
    if args.period and args.year is not None:
        # --period won without a word (found by an outside tester: --year 2016 --period 2015 made 2015)
        raise UserError("give either --year or --period, not both", field="--period")
    if (args.period or args.year is not None) and args.as_of and args.kind in ("status", "final"):
        # a report's period sets its date: with --as-of too, one was dropped (--year 2016 --as-of
        # 2016-10-07 made the status report per 31.12.2016 without a word). An application, a cost split
        # and a usage report take a year and the day they are made: --period 2024 --as-of … as
        # --year 2024 --as-of … (README: --year is --period; --period was refused, found by a tester)
        option = "--period" if args.period else "--year"
        raise UserError(f"give either {option} or --as-of, not both", field=option)
    # the arguments are checked before the register is read (a 1 000-project register takes seconds)
    if args.kind == "usage":
        if not args.council and args.project:       # as every other kind takes: name its council
            council = open_project_register(args.config, args.project).project(args.project).council
            raise UserError(f"'usage' is made per council: give --council {council} (the council of "
                            f"{args.project})", field="--council")
        if args.year is None and not args.period:
            raise UserError("give --year for the usage report", field="--year")
    elif not args.project:
        raise UserError(f"'{args.command} {args.kind}' needs a PROJECT", field="PROJECT")
    elif args.kind == "costsplit":
        _made_day(args.as_of, "costsplit")          # a day after today: one line, nothing made
    settings = load_settings(args.config)
    # one project's document reads that project and its council only (validate reads everything)
    register = open_register(args.config) if args.kind == "usage" or not args.project \
        else open_project_register(args.config, args.project)
    # a folder inside the outputs folder gets the files only: the records there are the outputs
    # folder's (Settings.records_dir), as the sent ledger is
    out = settings.records_dir(args.out)
    if args.kind == "usage":
        period = str(args.year) if args.year is not None else args.period
        # --as-of dates it (the day it is made); it was dropped without a word (found by a reviewer)
        produced = produce(register, "usage", council_id=args.council, period=period, out=out, pdf=args.pdf,
                           as_of=_made_day(args.as_of, "usage"), include_personal_data=settings.include_personal_data)
    else:
        as_of = parse_date(args.as_of) if args.as_of else None
        period = args.period or (str(args.year) if args.year is not None else None)
        try:
            produced = produce(register, args.kind, project_id=args.project, period=period, as_of=as_of,
                               out=out, pdf=args.pdf, include_personal_data=settings.include_personal_data,
                               new_basis=args.new_basis)
        except UserError as exc:
            if exc.field == "--period" and not args.period and args.year is not None:
                exc.field = "--year"          # name the option the user typed
            raise
    placed = settings.placed_in(args.out)
    if placed is not None:
        from .documents.service import place

        place(produced, placed)
    return settings, register, produced


def _cmd_render(args) -> int:
    from .register import display_path

    from .findings import condense

    _, _, produced = _produce(args)
    for finding in condense(produced.findings):
        print(f"note: {finding}", file=sys.stderr)
    if produced.pdf_message:
        print(f"warning: {produced.pdf_message}", file=sys.stderr)
    state = "unchanged" if produced.reused else "written"
    if produced.dated:
        state += (f", dated {produced.dated:%d.%m.%Y} as it was made: the content is the same, and a new date "
                  "alone makes no new version")
    if produced.dated_before:
        print(f"warning: {_dated_before(produced)}", file=sys.stderr)
    docx = produced.placed or produced.docx
    print(f"{display_path(docx)}  (version {produced.version}, {state})")
    if produced.pdf:
        print(display_path(docx.with_suffix(".pdf") if produced.placed else produced.pdf))
    return 0


def _dated_before(produced) -> str:
    """A new version dated before the version that went out and that it replaces, in one line."""
    version, day, made = produced.dated_before
    return (f"version {produced.version} is dated {made:%d.%m.%Y}, before version {version} "
            f"({day:%d.%m.%Y}) that went out and that it replaces: its readers file it as the earlier one; "
            f"give --as-of {day.isoformat()} or later to date it after")


def _kept_as_it_went(produced) -> str:
    """A version that went out, asked for another day with the same data, in words."""
    return (f"dated {produced.dated:%d.%m.%Y} as it went out: the data are the same, and another date alone "
            "makes no new version")


def _cmd_send(args) -> int:
    from .delivery.ledger import SentLedger
    from .delivery.recipients import funders_named
    from .delivery.service import (ContentConflict, by_reason, clearance, deliver, document_from, issue,
                                   make_transport, note_approvals, plan, rejection, unreached_text)

    # a name or comment refused: before anything is made (the login is asked for only when needed)
    approver, from_login, comment = _approval_given(args, name_needed=False)
    settings, register, produced = _produce(args)
    document = document_from(produced, register)     # a PDF asked for and not made: not sent
    if comment:
        from dataclasses import replace

        # the reason for a new version (or a re-send), said in its mail: the recipient of a text-only
        # correction read only "endringene er i teksten" (an outside tester)
        document = replace(document, reason=comment)
    project = register.project(produced.project) if produced.project else None
    council = register.council(produced.council)
    transport_name = args.transport or settings.delivery.transport
    funders = funders_named(args.funder or [], register, project, council, produced.kind, produced.period,
                            settings.deadline_shift)
    unmailed = sorted({f.id for f in funders if f.id in (args.funder or []) and not f.email}
                      - {f.id for f in funders if f.email})
    if unmailed:   # named by hand: sending without it would look as if it had been sent to
        raise UserError(f"funder {', '.join(unmailed)} has no e-mail address in the register (add 'email:' to "
                        "it, or leave --funder out)", field="--funder")
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger, resend=args.resend, transport=transport_name,
                        funders=funders, only=tuple(args.recipient or ()))
        if not the_plan.messages:
            earlier = sorted(set(the_plan.same_content.values()))
            print(f"nothing to send: all {len(the_plan.already)} recipient(s) already have "
                  f"{document.key} version {document.version}"
                  + (f", {_kept_as_it_went(produced)}" if produced.dated else "")
                  + (f" ({len(the_plan.same_content)} of them as version {', '.join(map(str, earlier))}, the same "
                     "content)" if earlier else "") + " (use --resend to send again)"
                  + (f"; {unreached_text(the_plan.unreached)}" if the_plan.unreached else ""))
            return 0
        late = _past_meeting(document, project)
        if late:
            print(late, file=sys.stderr)
        if produced.dated:
            print(f"note: {document.key} version {document.version} is sent {_kept_as_it_went(produced)}",
                  file=sys.stderr)
        if produced.dated_before:
            print(f"warning: {_dated_before(produced)}", file=sys.stderr)
        gate = clearance(produced.findings, the_plan.approval_required, transport_name)
        errors = gate.errors
        if errors and not gate.given(True, args.override_reason or ""):
            for finding in errors:
                print(finding, file=sys.stderr)
            raise UserError(f"the data have {len(errors)} error(s) (above): external sending needs "
                            "--override-reason TEXT (recorded), or fix the data", field="--override-reason")
        if gate.needs_person:
            refused = rejection(ledger, document)
            if refused and args.yes:
                raise UserError(f"version {document.version} of {document.key} was {refused}; --yes does not "
                                "undo a rejection: fix the data (a new version is asked anew), or run without "
                                "--yes to see the preview and decide again", field="--yes")
            if not args.yes:
                print(the_plan.preview())
                if refused:
                    print(f"Tidligere {rejection(ledger, document, norwegian=True)}")
                if not sys.stdin.isatty():
                    why = (f"sending to a funder ({', '.join(the_plan.to_funders)}) needs approval"
                           if the_plan.to_funders and not settings.delivery.approval.get(document.kind, False)
                           else "sending this kind needs approval" if the_plan.approval_required
                           else f"sending despite the data's {len(errors)} error(s) needs approval "
                                "(the reason is given)")
                    raise UserError(f"{why}: run interactively or add --yes", field="--yes")
            approver = approver or _login()
            # the addresses the preview shows (with --yes, those it would have shown)
            shown = [m.recipient.email for m in the_plan.messages]
            how = _approved_how("grantflow send --yes" if args.yes else "grantflow send (interactive)", from_login)
            said = f": {comment}" if comment else ""
            if not args.yes:
                answer = input("Send? [j/N] ").strip().casefold()
                if answer not in ("j", "ja", "y", "yes"):
                    # kept in the history: who said no to which version and addresses, and when; not
                    # an approver's rejection (a later --yes or batch is not held by it)
                    ledger.approval_answered(document.key, document.version, "declined", approver,
                                             f"{how}: avslått" + (f"; {comment}" if comment else ""),
                                             document.ledger_hash(), shown)
                    print("not sent")
                    return 1
            # what was approved is recorded: by whom (the name given, else the login, and which),
            # when, their comment, why despite errors, and for whom
            try:
                issue(document)
            except ContentConflict as exc:
                # approved, but the file holds other content now: nothing sent, and the answer is kept
                ledger.approval_answered(document.key, document.version, "refused", approver,
                                         f"{how}: {exc}", document.ledger_hash(), shown)
                raise
            ledger.approval_requested(document.key, document.version, None, None, document.ledger_hash(),
                                      recipients=shown)
            ledger.approval_decided(document.key, document.version, True, approver,
                                    how + (f"; decided again after it was {refused}" if refused else "") + said,
                                    args.override_reason or "", document.ledger_hash(), recipients=shown)
            note_approvals(document, ledger)
        elif args.approved_by is not None or comment:
            # the comment is said in the mail of a new version or a re-send, never recorded as an approval's
            said = bool(comment) and any(comment in m.message.get_body(("plain",)).get_content()
                                         for m in the_plan.messages)
            unused = [o for o, given in (("--approved-by", args.approved_by is not None), ("--comment", comment and
                                         not said)) if given]
            if unused:
                print(f"note: sending this needs no approval ({' and '.join(unused)} "
                      f"{'is' if len(unused) == 1 else 'are'} not recorded)", file=sys.stderr)
        try:
            report = deliver(the_plan, make_transport(settings, transport_name), ledger, settings.delivery.retry,
                             resend=args.resend)
        except ContentConflict as exc:
            if gate.needs_person:     # rendered again between the approval and the first mail
                ledger.approval_answered(document.key, document.version, "refused", approver,
                                         f"{how}: {exc}", document.ledger_hash(), shown)
            raise
    finally:
        ledger.close()
    print(report.summary())
    if report.not_as_sent:
        print(f"warning: {report.not_as_sent}", file=sys.stderr)
    unsure = dict(report.uncertain)
    for label, pairs in (("not delivered to", [f for f in report.failed if f[0] not in unsure]),
                         ("pending for", report.pending), ("possibly twice to", report.doubtful)):
        for line in by_reason(pairs):     # 500 recipients refused alike: one line, not 500
            print(f"  {label} {line}", file=sys.stderr)
    _may_have_arrived(unsure)
    return 1 if report.failed or report.pending else 0


def _may_have_arrived(unsure: dict[str, str]) -> None:
    """One line per recipient whose mail may have arrived (recipient -> the ledger's detail): not
    "not delivered", since a --resend is a second mail."""
    for email, why in unsure.items():
        print(f"  may have arrived at {email}: {why}" + ("" if "--resend" in why else
              f"; check with the recipient before grantflow send --resend --recipient {email}"), file=sys.stderr)


def _known_project(config, project_id: str) -> None:
    """A project id given on the command line names a project file (one with errors of its own
    counts: 'grantflow validate' tells those); else one line naming the known ones."""
    from .register import load_register

    register, _ = load_register(config)
    if project_id not in register.projects and ("project", project_id) not in register.unreadable:
        register.project(project_id)                 # raises: unknown project '…' (known: …)


def _is_council(config, name: str) -> bool:
    """Whether ``name`` is a council's id and no project's."""
    from .register import load_register

    register, _ = load_register(config)
    return name not in register.projects and name in register.councils


def _past_meeting(document, project) -> str | None:
    """A warning when a later version of a status report goes out after the steering-group
    meeting it was made for (a version 3 for a meeting long past went out without a word)."""
    from datetime import date, timedelta

    from . import fmt

    if document.kind != "status" or document.version < 2 or project is None:
        return None
    try:
        as_of = date.fromisoformat(document.key.rsplit("status-", 1)[1])
    except (IndexError, ValueError):
        return None
    coming = [d for d in project.meetings.dates if as_of <= d <= as_of + timedelta(days=31)]
    if not coming or coming[0] >= clock.today():
        return None
    return (f"warning: version {document.version} of {document.key} is for the steering-group meeting of "
            f"{fmt.long_date(coming[0])}, {(clock.today() - coming[0]).days} days ago: its readers get a "
            "corrected report for a meeting already held")


def _sent_console():
    """The console ``grantflow sent`` prints to: the terminal's width; into a file or pipe,
    ``$COLUMNS`` or 200 columns."""
    from rich.console import Console

    columns = os.environ.get("COLUMNS", "")
    return Console(width=None if sys.stdout.isatty() else int(columns) if columns.isdigit() and int(columns) >= 40
                   else 200)


def _cmd_sent(args) -> int:
    from .delivery.ledger import SentLedger
    from .settings import load_settings

    settings = load_settings(args.config, sends=False)
    # a council's id lists its documents: the usage report is the council's, no project's (it
    # was "unknown project"), and the council's projects' documents with it
    by = {"project": args.project} if args.project and not _is_council(args.config, args.project) else \
        {"council": args.project} if args.project else {}
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = ledger.rows(**by)
        decisions = ledger.approvals(**by)
        late = ledger.late_answers(**by)
        history = ledger.approval_history(**by)
        attempts = ledger.attempts(**by)
    finally:
        ledger.close()
    if "project" in by and not rows and not decisions and not history:
        _known_project(args.config, args.project)     # a misspelt id showed an empty table: "nothing sent"
    if not rows and not decisions and not late and not history:
        print("the ledger is empty")
        return 0
    console = _sent_console()

    def short(document: str) -> str:
        # listed for one project, its council and id before each document's name tell nothing
        council, project, name = (document.split("/", 2) + ["", ""])[:3]
        return name if "project" in by and project == args.project and name else document

    _print_deliveries(console, "Sendt" + (f": {args.project}" if args.project else ""), rows, attempts, short)
    if args.detail:
        _print_attempts(console, rows, attempts, short)
    if decisions or late or history:
        _print_approvals(console, decisions, late, history, rows, short)
    _print_copies(console, settings, [r.document for r in rows] + [a["document"] for a in decisions]
                  + [e["document"] for e in history], short)
    return 0


def _print_attempts(console, rows, attempts, short) -> None:
    """``grantflow sent --detail``: every delivery attempt, per document, with the Message-ID its
    mail carried and the sha256 of its attachments (the first 12 hex digits), oldest first. The
    table shows each recipient's latest result only, whose Message-ID a ``--resend`` replaced.
    A row from before the history was kept (no attempt of it listed) shows what the row holds."""
    from datetime import datetime, timezone

    from rich.text import Text

    from .delivery.ledger import NOTICE_HASH, aware, outcome

    def when(moment):
        return aware(moment) if moment else datetime.min.replace(tzinfo=timezone.utc)

    listed = {(e["document"], e["version"], e["recipient"].casefold()) for e in attempts}
    # an attempt is one mail: a copy written to the local outbox reached nobody, whatever it says
    entries = [(e["at"], e["document"], e["version"], e["recipient"], outcome(e["status"], e["transport"]),
                e["transport"], e.get("message_id"), e.get("attachment_sha256")) for e in attempts]
    entries += [(r.updated_at, r.document, r.version, r.recipient, _outcome(r), r.transport, r.message_id, "?")
                for r in rows if (r.document, r.version, r.recipient.casefold()) not in listed
                and r.document_hash != NOTICE_HASH]
    groups: dict[str, list] = {}
    for at, document, version, recipient, status, via, message_id, digests in sorted(
            entries, key=lambda e: (when(e[0]), e[1], e[2])):
        # an attempt recorded before these were kept knows neither; a notice may carry no attachment
        hashes = "ukjent" if digests == "?" or not message_id else \
            ", ".join(d[:12] for d in digests.split(",")) if digests else "ingen vedlegg"
        groups.setdefault(short(document), []).append((
            f"v{version} {_STATUS_WORDS.get(status, status)} {recipient}",
            f"{via} · {_oslo_time(at) or 'ukjent tid'} (Oslo)\nMessage-ID {message_id or 'ukjent'}\n"
            f"vedlegg sha256 {hashes}", None))
    if not groups:
        return
    console.print(Text("Leveringsforsøk (Message-ID og vedleggets sha256)", style="italic"), soft_wrap=True)
    for document, lines in groups.items():
        _print_block(console, document, lines)


def _print_copies(console, settings, documents: list[str], short) -> None:
    """Where the copy of each version that went out is kept (``documents.service.version_copies``):
    the document itself holds only its latest version."""
    from rich.text import Text

    from .documents.service import altered_copies, version_copies
    from .register import display_path

    lines = []
    for document in dict.fromkeys(documents):
        council, project, name = (document.split("/", 2) + ["", ""])[:3]
        if not name or "/" in name or ".." in (council, project, name):
            continue
        folder = settings.outputs_dir() / council / (project if project != "-" else "")
        altered = altered_copies(folder / f"{name}.json")     # edited since it went out: no record of it
        for version, paths in sorted(version_copies(folder / f"{name}.json").items()):
            lines.append(f"  {short(document)} v{version}: " + ", ".join(
                display_path(p) + (f" – {altered[p]}" if p in altered else "") for p in paths))
    if lines:
        console.print(Text("Kopier av versjonene som har gått ut", style="italic"), soft_wrap=True)
        for line in lines:
            console.print(Text(line), overflow="fold")


def _fits(console, widths: list[int]) -> bool:
    """Whether a table whose columns need ``widths`` (content, header) fits the console: three
    columns of rule and padding per column and one more."""
    return sum(widths) + 3 * len(widths) + 1 <= console.width


def _print_block(console, heading: str, lines: list[tuple[str, str, str | None]]) -> None:
    """One document's entries on a terminal too narrow for the table: its name on a line of its
    own, then each entry as (first line, further text, style), wrapped under an indent."""
    import textwrap

    from rich.text import Text

    width = max(console.width, 40)
    out = textwrap.wrap(heading, width=width, break_on_hyphens=False, break_long_words=True)
    for first, more, style in lines:
        entry = textwrap.wrap(first, width=width, initial_indent="  ", subsequent_indent="      ",
                              break_on_hyphens=False, break_long_words=True)
        for part in more.split("\n") if more else []:
            entry += textwrap.wrap(part, width=width, initial_indent="      ", subsequent_indent="      ",
                                   break_on_hyphens=False, break_long_words=True)
        out += [Text(line, style=style or "") for line in entry]
    for line in out:
        console.print(line if isinstance(line, Text) else Text(line), soft_wrap=True)


def _earlier_attempts(rows, attempts) -> dict[tuple, list[str]]:
    """(document, version, recipient) -> the ended attempts before the row's latest, as lines
    ("tidligere 2026-11-28 16:14:02: failed, refused: 550 …"; a copy in the local outbox: "lokal
    kopi i utboksen 2026-11-28 16:14:02: <its file>"): the row keeps only its latest result."""
    from .delivery.ledger import LOCAL_COPY, outcome

    by_row: dict[tuple, list[dict]] = {}
    for event in attempts:
        by_row.setdefault((event["document"], event["version"], event["recipient"].casefold()), []).append(event)
    earlier = {}
    for row in rows:
        events = by_row.get((row.document, row.version, row.recipient.casefold()), [])
        if row.status != "sending":
            events = events[:-1]          # the last is what the row says
        earlier[(row.document, row.version, row.recipient)] = [
            # a copy in the local outbox is no earlier try to deliver: said apart, where it is
            f"lokal kopi i utboksen {e['at']:%Y-%m-%d %H:%M:%S}" + (f": {e['detail'][:240]}" if e["detail"] else "")
            if outcome(e["status"], e["transport"]) == LOCAL_COPY else
            f"tidligere {e['at']:%Y-%m-%d %H:%M:%S}: {outcome(e['status'], e['transport'])}"
            + (f", {e['detail'][:240]}" if e["detail"] else "")
            for e in events]
    return earlier


def _outcome(row) -> str:
    """What happened to a ledger row's mail (``delivery.ledger.outcome``)."""
    from .delivery.ledger import outcome

    return outcome(row.status, row.transport, row.unanswered, row.delivered_at)


def _server_attempts(rows, attempts) -> dict[tuple, int]:
    """(document, version, recipient) -> the row's attempts at a mail server: copies written to the
    local outbox (its history says how many) are no attempt to deliver (one SMTP delivery after an
    outbox copy read "2 forsøk")."""
    from .delivery.ledger import LOCAL, server_attempts

    local: dict[tuple, int] = {}
    for event in attempts:
        if event["transport"] == LOCAL:
            key = (event["document"], event["version"], event["recipient"].casefold())
            local[key] = local.get(key, 0) + event["attempts"]
    return {(r.document, r.version, r.recipient): server_attempts(
        r.attempts, r.transport, r.delivered_at, local.get((r.document, r.version, r.recipient.casefold()), 0))
        for r in rows}


def _print_deliveries(console, title: str, rows, attempts, short) -> None:
    """The deliveries: a table when the terminal is wide enough to show every column whole, else
    one block per document (version, status and recipient first, on every width)."""
    from rich.table import Table
    from rich.text import Text

    from .delivery.ledger import LOCAL_COPY, NOTICE_HASH, UNCERTAIN
    from .delivery.service import uncertain_advice

    if not rows:
        return
    earlier = _earlier_attempts(rows, attempts)
    tries = _server_attempts(rows, attempts)
    cells = []
    for row in rows:
        status = _outcome(row)
        latest = (row.detail or "")[:240]
        if status == LOCAL_COPY:
            # the file in the outbox is all there is: it must not read as the recipient's
            latest = f"{LOCAL_COPY_TEXT}: {latest}" if latest else LOCAL_COPY_TEXT
        detail = "\n".join(x for x in [latest] + earlier[(row.document, row.version, row.recipient)] if x)
        if status == UNCERTAIN:
            detail += f"\n{uncertain_advice(row.recipient)}"      # not "failed": a resend is a second mail
        cells.append((_oslo_time(row.updated_at), short(row.document),
                      str(row.version), row.recipient, row.role, row.transport, status,
                      str(tries[(row.document, row.version, row.recipient)]), detail))
    names = ("Tid (Oslo)", "Dokument", "Versjon", "Mottaker", "Rolle", "Via", "Status", "Forsøk", "Detalj")
    widths = [max([len(name)] + [len(c[i]) for c in cells]) for i, name in enumerate(names[:-1])] + [30]
    if _fits(console, widths):
        table = Table(title=Text(title))
        for name in names:
            table.add_column(name, no_wrap=name != "Detalj", min_width=30 if name == "Detalj" else None,
                             overflow="fold")
        for c in cells:
            _add_row(table, *c)
        console.print(table)
        return
    console.print(Text(title, style="italic"), soft_wrap=True)
    groups: dict[str, list] = {}
    notices = []
    for row, c in zip(rows, cells):
        # a mail to a person who must act (a deadline notice, a reminder, an approval request) is no
        # document: it was listed as one ("deadline/status:…/10/-" "v1 sent")
        if row.document_hash == NOTICE_HASH:
            notices.append((row, c))
        else:
            groups.setdefault(c[1], []).append(c)
    for document, entries in groups.items():
        _print_block(console, document, [
            (f"v{version} {status:<7} {recipient}",
             f"{role} · {via} · {tries} forsøk · {when} (Oslo)" + (f"\n{detail}" if detail else ""), None)
            for when, _, version, recipient, role, via, status, tries, detail in entries])
    if notices:
        _print_block(console, "Varsler og påminnelser (ikke dokumenter)", [
            (f"{_notice_words(row.document)} {_STATUS_WORDS.get(status, status)} til {recipient}",
             f"{via} · {tries} forsøk · {when} (Oslo)" + (f"\n{detail}" if detail else ""), None)
            for row, (when, _, version, recipient, role, via, status, tries, detail) in notices])


def _oslo_time(moment, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A time from the ledger (UTC; SQLite gives it back naive) as the secretariat lives it, in Oslo
    (``grantflow sent`` showed "Tid (UTC)": a mail sent at 00:58 in Oslo read as the day before)."""
    from .delivery.ledger import aware

    return aware(moment).astimezone(clock.OSLO).strftime(pattern) if moment else ""


# said of a mail only the local outbox has (``delivery.ledger.LOCAL_COPY``): a preview, the demo
LOCAL_COPY_TEXT = "kun lokal kopi i utboksen, ikke sendt til mottakeren"


# what a notice's ledger key begins with (``delivery.service.notify``), in words
_NOTICE_KINDS = {"deadline": "Fristvarsel", "missed": "Varsel om frist som gikk ut", "approval": "Godkjenningsforespørsel",
                 "approval-batch": "Godkjenningsforespørsel (samlet)", "approval-reminder": "Påminnelse om godkjenning",
                 "approval-unreached": "Varsel: godkjenner ikke nådd", "late-rejection": "Varsel: avvist etter utsending",
                 "reminder": "Påminnelse", "status-input": "Forespørsel om statusinnspill",
                 "status-no-answer": "Varsel: statusinnspill mangler", "status-reminder": "Påminnelse om statusinnspill",
                 "withdrawn": "Varsel: trengs ikke likevel", "templates": "Varsel: malfeil",
                 "watch-failed": "Varsel: fristvakten feilet"}
_STATUS_WORDS = {"sent": "sendt", "failed": "feilet", "sending": "sendes",
                 "uncertain": "usikker (kan ha kommet fram)", "local copy": "lokal kopi (ikke sendt)"}


def _notice_words(key: str) -> str:
    """A notice's ledger key ("deadline/status:haugaland-velferdsteknologi/2016-06-10/10/-") in
    words: what kind of notice, and what about (the key less its kind and its day token)."""
    kind, _, rest = key.partition("/")
    about = rest.rsplit("/", 1)[0] if "/" in rest else rest
    return f"{_NOTICE_KINDS.get(kind, 'Varsel')}" + (f" ({about})" if about else "")


_APPROVAL_WORDS = {"requested": "forespurt", "approved": "godkjent", "rejected": "avvist",
                   "withdrawn": "trukket tilbake",
                   # "godkjenn" in a run's form without the reason the data's errors need: no decision
                   "unreasoned": "godkjent uten begrunnelse: ikke sendt",
                   # answers at `grantflow send`'s prompt that sent nothing (``SentLedger.approval_answered``)
                   "declined": "avslått", "refused": "stoppet: endret fil"}


def _print_approvals(console, decisions, late, history, rows, short) -> None:
    """Every approval request and decision in the order they came (``approval_events``; a version
    decided before they were kept shows its one recorded state, as "venter" when still open), with
    the answers given after the document went out beside them."""
    from rich.table import Table
    from rich.text import Text

    events: dict[tuple, list[dict]] = {}
    for event in history:
        events.setdefault((event["document"], event["version"]), []).append(event)
    after: dict[tuple, list[dict]] = {}
    for answer in late:    # a form answered after the document had gone out: beside its decision
        after.setdefault((answer["document"], answer["version"]), []).append(answer)
    delivered = {(r.document, r.version, r.document_hash) for r in rows if r.status == "sent"}
    entries = []      # (document, version, hash, what, by, when, comment, override, recipients, style)

    def late_rows(document: str, version: int) -> None:
        for answer in after.pop((document, version), []):
            verb = "godkjent" if answer["decision"] == "godkjenn" else "avvist"
            # an answer for content that was never sent (changed while the approver was asked)
            # is no answer to what went out: it says so
            sent_it = not answer["document_hash"] or (document, version, answer["document_hash"]) in delivered
            entries.append((document, version, answer["document_hash"], f"{verb} etter utsending" if sent_it
                            else f"{verb} for endret innhold (ikke sendt)", answer["decided_by"],
                            answer["decided_at"], answer["comment"], answer.get("override_reason") or "", "",
                            "bold red" if verb == "avvist" else None))

    def event_rows(kept: list[dict]) -> None:
        for e in kept:
            superseded = e["event"] == "superseded"
            what = (e["comment"] or "erstattet") if superseded else _APPROVAL_WORDS.get(e["event"], e["event"])
            # a request names whom it asked (the approver's address), a decision who gave it
            by = e["by"] if e["event"] != "requested" else f"til {e['by']}" if e["by"] else ""
            comment = "" if superseded else e["comment"]
            entries.append((e["document"], e["version"], e["document_hash"], what, by, e["at"], comment,
                            e["override_reason"], e["recipients"], "bold red" if e["event"] == "rejected" else None))

    for a in decisions:
        kept = events.pop((a["document"], a["version"]), None)
        if kept:
            event_rows(kept)
        else:
            # decided before each event was kept: its one recorded state
            superseded = a["status"] == "superseded"
            what = (a["comment"] or "erstattet") if superseded else \
                {**_APPROVAL_WORDS, "requested": "venter"}.get(a["status"], a["status"])
            entries.append((a["document"], a["version"], a["document_hash"], what, a["decided_by"],
                            a["decided_at"] or a["requested_at"], "" if superseded else a["comment"],
                            a["override_reason"], a["recipients"], None))
        late_rows(a["document"], a["version"])
    for (document, version), kept in events.items():
        # a version with events and no approval row: answered "no" at `grantflow send`'s prompt, or
        # "yes" to a file rendered again meanwhile (nothing sent, nothing approved)
        event_rows(kept)
        late_rows(document, version)
    for document, version in list(after):    # answers with no decision row of their own
        late_rows(document, version)

    def shown(recipients) -> str:
        return "\n".join((recipients or "").split(",")) if recipients else ""      # one address a line

    cells = [(short(d), str(v), (h or "")[:12], what, by or "", _oslo_time(when, "%Y-%m-%d %H:%M"),
              comment or "", override or "", shown(recipients), style)
             for d, v, h, what, by, when, comment, override, recipients, style in entries]
    names = ("Dokument", "Versjon", "Innhold", "Hendelse", "Av", "Tid (Oslo)", "Kommentar", "Overstyrt fordi",
             "Mottakere")
    fixed = [max([len(n)] + [len(c[i]) for c in cells]) for i, n in enumerate(names[:3])]
    address = min(42, max([len("Mottakere")] + [len(a) for c in cells for a in c[8].split("\n")]))
    if _fits(console, fixed + [22, 12, 16, 16, 16, address]):
        # where every cell fits on its line nothing is capped; else the text columns wrap first,
        # so that an address in Mottakere stays on its line
        natural = [max([len(n)] + [len(line) for c in cells for line in c[i].split("\n")])
                   for i, n in enumerate(names)]
        caps = {} if _fits(console, natural) else {"Hendelse": 26, "Av": 20, "Kommentar": 30}
        table = Table(title="Godkjenninger")
        for name in names:
            table.add_column(name, no_wrap=name in ("Dokument", "Versjon", "Innhold", "Tid (Oslo)"),
                             min_width=22 if name == "Hendelse" else None, overflow="fold",
                             # an address a line in Mottakere: the other text columns wrap first
                             max_width=caps.get(name))
        for c in cells:
            _add_row(table, *c[:-1], style=c[-1])
        console.print(table)
        return
    console.print(Text("Godkjenninger", style="italic"), soft_wrap=True)
    groups: dict[str, list] = {}
    for c in cells:
        groups.setdefault(c[0], []).append(c)
    for document, items in groups.items():
        _print_block(console, document, [
            # a request's "by" is whom it asked ("til post@…"): "forespurt av til post@…" read wrong
            (f"v{version} {when} {what}" + (f" {by}" if by.startswith("til ") else f" av {by}" if by else ""),
             "\n".join(x for x in (f"innhold {digest}" if digest else "", comment,
                                    f"overstyrt fordi: {override}" if override else "",
                                    f"mottakere: {recipients}" if recipients else "") if x), style)
            for _, version, digest, what, by, when, comment, override, recipients, style in items])


def _with_funders(item, register):
    """The item as the secretariat reads it: which funders the document goes to (a final report two
    funders ask for is one item, under the earlier funder's words), each funder's own deadline when
    they differ (the line's date is the earliest: the document is made for it), and which funders
    have no address."""
    from dataclasses import replace

    from . import fmt
    from .deadlines import KIND_TITLES, office_on

    if not item.funders or not item.makes_document:
        # an ``other`` deadline is only a reminder: "sendes til Fylkesmannen …" beside it said a
        # document goes where nothing is sent (found by a tester); its funder is named in its text
        return item
    projects = [register.projects[item.project]] if item.project else [
        p for p in register.projects.values() if p.council == item.council]
    # each funder named as the calendar names it: the county governor as on that funder's deadline
    named = office_on(register.councils.get(item.council), item.due)
    days = dict(item.funder_dues)
    names = {}
    for fid in item.funders:
        same = [f for p in projects for f in p.funders if f.id == fid]
        if same:
            name = office_on(register.councils.get(item.council), days[fid])(same[0].name) if fid in days \
                else named(same[0].name)
            names[fid] = (name, any(f.email for f in same))
    mailed = [name for name, has_email in names.values() if has_email]
    unmailed = [name for name, has_email in names.values() if not has_email]
    text, note = item.description, ""
    dues = [(names[fid][0], fmt.short_date(day)) for fid, day in item.funder_dues if fid in names]
    if len(item.funder_words) > 1:
        # one document for several funders' deadlines was listed under the earliest funder's words
        # alone: what the others ask for (a benefits plan, a part report) was nowhere in the listing
        first_name, first_text, _ = item.funder_words[0]
        text = text.removesuffix(f" ({first_name})")
        if item.meeting is None and text.startswith(first_text):
            text = KIND_TITLES[item.kind] + text[len(first_text):]
        text += "; krav: " + "; ".join(f"{name}, frist {fmt.short_date(day)}: {words}"
                                       for name, words, day in item.funder_words)
    elif dues and any(day != item.due for _, day in item.funder_dues):
        # "(Fylkesmannen …)" after the earliest deadline's words read as if the date were that
        # funder's alone: the funders are named here, each with its date
        text = text.removesuffix(f" ({dues[0][0]})")
        listed = [f"{name} {day}" for name, day in dues]
        note = (f"; frist for {listed[0]}" if len(listed) == 1 else
                f"; frister for {', '.join(listed[:-1])} og {listed[-1]}")
    if len(names) == 1 and mailed and not note:
        # "(Fylkesmannen i Rogaland (skjønnsmidler)); sendes til Fylkesmannen i Rogaland (skjønnsmidler)":
        # the funder named once, where it says the document goes
        text = text.removesuffix(f" ({mailed[0]})")
    note += "; sendes til " + ", ".join(mailed) if mailed else ""
    note += f"; uten e-postadresse: {', '.join(unmailed)}" if unmailed else ""
    return replace(item, description=text + note)


def _cmd_deadlines(args) -> int:
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Table

    from . import fmt
    from .deadlines import KIND_TITLES, calendar, holiday_name, to_ics, upcoming
    from .fileio import atomic_write
    from .register import open_register
    from .settings import load_settings

    if args.ics:                          # refused before the table, so the refusal is the one line
        _file_to_write(Path(args.ics), ".ics", "--ics", "the calendar")
    settings = load_settings(args.config, sends=False)
    register = open_register(args.config, sends=False)
    start = parse_date(args.start, "--from") if args.start else clock.today()
    items = [_with_funders(i, register) for i in upcoming(calendar(register, settings.deadline_shift), start,
                                                         args.days)]
    end = start + timedelta(days=args.days)
    # The first line says what this is and how to see more (80 columns).
    print(f"Frister {fmt.short_date(start)}–{fmt.short_date(end)} ({args.days} dager), flyttet til "
          "virkedag.")
    print("Eldre: --from 2016-01-01 · lenger fram: --days 365 · Outlook: --ics frister.ics")
    short = {"application": "Søknad", "status": "Status", "final": "Sluttrapp.", "usage": "Bruk",
             "costsplit": "Kostn.ford.", "other": "Frist"}
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("Frist", no_wrap=True)
    table.add_column("Hva", no_wrap=True)
    # the project's id on a line of its own above what is due: in a column of its own at 80
    # columns a long id was cut in two ("haugaland-velferdsteknol" / "ogi")
    table.add_column("Prosjekt / råd: hva", overflow="fold")
    for item in items:
        text = item.description
        if item.moved:
            text += f" (fra {fmt.short_date(item.original)}, {holiday_name(item.original) or 'helg'})"
        _add_row(table, fmt.short_date(item.due), short.get(item.kind, KIND_TITLES[item.kind]),
                 f"{item.project or item.council}\n{text}")
    if items:
        Console(width=80 if not sys.stdout.isatty() else min(Console().width, 100)).print(table)
    else:
        print(f"Ingen frister i perioden. Se lenger bakover med --from, f.eks. --from {start.year - 10}-01-01.")
    if args.ics:
        path = atomic_write(args.ics, to_ics(items, alarms=settings.deadline_reminders))
        print(f"wrote {path} ({len(items)} event(s), alarms {', '.join(map(str, settings.deadline_reminders))} "
              "working days before the document is made)")
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


# --- orchestration: Prefect is imported only inside these commands -----------------------

def _options(args, **extra):
    from flows.options import DeliveryOptions

    values = dict(config=args.config, out=getattr(args, "out", None), transport=getattr(args, "transport", None),
                  pdf=getattr(args, "pdf", False), resend=getattr(args, "resend", False),
                  approved=getattr(args, "yes", False))
    values.update(extra)
    return DeliveryOptions(**values)


def _cmd_demo(args) -> int:
    """Run the document flows for the demo projects on the embedded server; deliver to the outbox."""
    from flows.runtime import quiet_environment

    quiet_environment()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .delivery.transports import OutboxTransport
    from .register import display_path, open_register
    from .settings import load_settings

    settings = load_settings(args.config)
    open_register(args.config)            # a broken register stops here with one clear line
    OutboxTransport(settings.outbox_dir()).check()   # so does an outbox that cannot be written
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
                        # dated to the January after its year: made today, "Dato 28. november 2026"
                        # stood beside "Til Fylkesmannen i Rogaland"
                        result = flow(council=run.council, year=int(run.period), as_of=run.as_of, options=options)
                    elif run.kind == "status":
                        result = flow(project=run.project, as_of=run.as_of, period=run.period, options=options)
                    elif run.kind == "final":
                        result = flow(project=run.project, as_of=run.as_of, options=options)
                    elif run.kind == "application":
                        # dated to its round: made today, a 2015 application went to "Statsforvalteren"
                        result = flow(project=run.project, year=int(run.period) if run.period else None,
                                      as_of=run.as_of, options=options)
                    else:
                        # dated before its invoicing: made today, a 2013–2014 split read "29. november 2026"
                        result = flow(project=run.project, year=int(run.period) if run.period else None,
                                      as_of=run.as_of, options=options)
                    results.append(result)
                except UserError as exc:
                    failures.append((run.kind, subject, str(exc)))
                progress.advance(job)
            progress.update(job, description="Ferdig")
    sent_now = sum(len(r["sent"]) for r in results)
    changed = sum(not r["reused"] for r in results)
    # First line: what happened (a re-run that sends nothing says so here).
    if sent_now == 0 and changed == 0:
        print(f"Ingenting nytt sendt: alle {len(results)} dokumenter er uendret, og mottakerne har dem.")
    else:
        print(f"{len(results)} dokumenter ({changed} nye eller endret); {sent_now} e-poster lagt i utboksen.")
    table = Table(box=None, pad_edge=False, show_edge=False, title_justify="left")
    table.add_column("Dokument", no_wrap=True)
    table.add_column("Prosjekt / regionråd", overflow="fold", max_width=38)
    table.add_column("Periode", no_wrap=True)
    table.add_column("V", justify="right")                # version
    table.add_column("Sendt", justify="right")            # sent now
    table.add_column("Før", justify="right")              # had this version already
    for r in results:
        _add_row(table, r["kind"], r["project"] or r["council"], r["period"], str(r["version"]),
                      str(len(r["sent"])), str(len(r["skipped"])))
    out = Console(width=min(Console().width, 80) if sys.stdout.isatty() else 80)
    out.print(table)
    out.print("V: versjon · Sendt: e-poster nå · Før: mottakere som hadde denne versjonen")
    # folders as written: '[test]' in a folder's name is not rich markup
    out.print(f"Dokumenter: {display_path(settings.outputs_dir())}/<regionråd>/<prosjekt>/", markup=False)
    out.print(f"Utboks: {display_path(settings.outbox_dir())}  ·  Sendelogg: grantflow sent", markup=False)
    out.print("Funn i dataene: grantflow validate")
    for kind, subject, why in failures:
        print(f"error: {kind} {subject}: {why}", file=sys.stderr)
    return 1 if failures else 0


def _cmd_run(args) -> int:
    """Trigger one document flow: through the server when PREFECT_API_URL is set, else locally."""
    from flows.deployments import KIND_DEPLOYMENT

    # An unknown kind is one line, before any server is asked. Checked against the deployments'
    # kinds (the same names as documents.KINDS, tests/unit/test_prefect_yaml.py): importing the
    # documents package would import pandas, the models and the templates' libraries (~0.7 s)
    # for a command that only asks the server.
    if args.kind not in KIND_DEPLOYMENT:
        from .suggest import unknown_kind

        raise UserError(unknown_kind(args.kind, KIND_DEPLOYMENT), field="KIND")
    # What each kind's flow takes: anything else given would be dropped, and another document than
    # the one asked for made and sent (`run final P --period 2016` sent the whole project's report).
    takes = {"status": {"project", "as_of", "period"}, "final": {"project", "as_of"},
             "usage": {"council", "year", "period", "as_of"}, "application": {"project", "year", "period", "as_of"},
             "costsplit": {"project", "year", "period", "as_of"}}[args.kind]
    extra = [name for name in ("project", "council", "period", "as_of", "year")
             if getattr(args, name) not in (None, "") and name not in takes]
    if extra:
        shown = ", ".join("PROJECT" if n == "project" else "--" + n.replace("_", "-") for n in extra)
        why = " (the final report covers the whole project; --as-of sets its date)" if args.kind == "final" else ""
        raise UserError(f"'run {args.kind}' does not take {shown}{why}",
                        field="PROJECT" if extra[0] == "project" else "--" + extra[0].replace("_", "-"))
    params: dict = {}
    as_of = parse_date(args.as_of) if args.as_of else None
    if args.kind == "usage":
        year = _year_of(args)
        if not args.council or year is None:
            raise UserError("'run usage' needs --council and --year", field="--council")
        params = {"council": args.council, "year": year, "as_of": _made_day(args.as_of, "usage")}
    else:
        if not args.project:
            raise UserError(f"'run {args.kind}' needs a PROJECT", field="PROJECT")
        params = {"project": args.project}
        if args.kind == "status":
            params.update(as_of=as_of, period=args.period)
        elif args.kind == "final":
            params.update(as_of=as_of)
        elif _year_of(args) is not None:
            params.update(year=_year_of(args))
        if args.kind == "application" and as_of is not None:
            params.update(as_of=as_of)
        if args.kind == "costsplit":
            params.update(as_of=_made_day(args.as_of, "costsplit"))
    # approval in advance: who gives it (the name, else the login here, not the worker's) and why
    for option, given in (("--approved-by", args.approved_by is not None), ("--comment", bool(args.comment))):
        if given and not args.yes:
            raise UserError("goes with --yes (approval in advance); without it the approver answers in the "
                            "Prefect form and gives their name and comment there", field=option)
    approver, from_login, comment = _approval_given(args, name_needed=args.yes)
    options = _options(args, override_reason=args.override_reason or "", approved_by=approver,
                       approved_by_login=from_login, approval_comment=comment)
    if _prefect_api():
        # Prefect's REST API directly: importing Prefect here would cost seconds (flows/remote.py)
        from flows.deployments import DEPLOYMENTS, KIND_DEPLOYMENT
        from flows.remote import trigger

        name = KIND_DEPLOYMENT[args.kind]
        flow_name = DEPLOYMENTS[name][1]
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items() if v is not None}
        if options.claims_approval():
            # signed with this user's key: the server's run counts it only so (grantflow.advance)
            options = options.signed(flow_name, params)
        params["options"] = options.model_dump(mode="json")
        run = trigger(os.environ["PREFECT_API_URL"], flow_name, name, params, wait=not args.no_wait)
        print(f"flow run {run.name} ({run.id}): {run.state_name or 'Scheduled'}")
        if run.waiting_for_person:
            from .text import url_without_credentials

            ui = url_without_credentials(os.environ.get("PREFECT_UI_URL")
                                         or os.environ["PREFECT_API_URL"].rstrip("/").removesuffix("/api"))
            print(f"waiting for approval: answer the form at {ui}/runs/flow-run/{run.id}; the run goes on by "
                  "itself once it is answered")
            return 0
        if args.no_wait or run.completed:
            return 0
        print(f"error: {run.reason}", file=sys.stderr)
        return 1
    from flows.runtime import one_shot, quiet_environment

    quiet_environment()                   # before Prefect is imported: its log level is read then
    from flows.documents import FLOWS

    with one_shot():
        result = FLOWS[args.kind](**{k: v for k, v in params.items() if v is not None}, options=options)
    unsure = dict(result.get("uncertain") or [])
    print(f"{result['docx']}  (version {result['version']}); sent {len(result['sent'])}, "
          f"already had it {len(result['skipped'])}, failed {len(result['failed']) - len(unsure)}"
          + (f", uncertain (may have arrived) {len(unsure)}" if unsure else "")
          + (f"; {result['note']}" if result["note"] and not result.get("held_for_errors") else ""))
    if result.get("unreached"):
        from .delivery.service import unreached_text

        print(f"  {unreached_text(result['unreached'])}", file=sys.stderr)
    if result.get("held_for_errors"):
        # sending was asked for (--yes) and nothing went: the user has to act, so not a success
        print(f"error: {result['note']}", file=sys.stderr)
        return 1
    from .delivery.service import by_reason

    for label, pairs in (("not delivered to", [f for f in result["failed"] if f[0] not in unsure]),
                         ("pending for", result.get("pending") or [])):
        for line in by_reason(pairs):     # as `grantflow send` says them: each reason once
            print(f"  {label} {line}", file=sys.stderr)
    _may_have_arrived(unsure)
    return 1 if result["failed"] else 0


def _prefect_api() -> str | None:
    """``$PREFECT_API_URL``, refused with one line when it holds a login (``http://admin:…@host/api``):
    Prefect's event stream does not log in that way (``serve`` stopped with an internal error) and
    Prefect's own warnings, grantflow's messages and the approval links in mails showed the
    password. The login goes in ``PREFECT_API_AUTH_STRING``."""
    from .text import url_shown, url_without_credentials

    api = os.environ.get("PREFECT_API_URL")
    if api and url_without_credentials(api) != api:
        raise UserError(f"{url_shown(api)} holds a user name and password, which Prefect does not log in with "
                        "(and would show in its logs): give the address alone and the login as "
                        "PREFECT_API_AUTH_STRING=user:password", field="PREFECT_API_URL")
    return api


def _add_row(table, *cells, **options) -> None:
    """A row of a rich table whose text is shown as written: rich reads '[…]' in a plain string as
    markup, so an approver's name with '[/b]' stopped 'grantflow sent' with an internal error, a mail
    server's '[AM1P…]' vanished from its answer and '[link=…]' made a link in the terminal."""
    from rich.text import Text

    table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells), **options)


def _healthy(url: str) -> bool:
    try:
        import urllib.request

        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _serve_lock(outputs: Path):
    """One ``grantflow serve`` per installation: an exclusive lock on ``outputs/serve.lock``, held
    for the process's life and released by the kernel however it ends (a crash or ``kill -9``
    leaves nothing stale). Two serves at once both started, one of them on a Prefect server the
    other had started: stopping that one left the other serving against nothing, alive to systemd,
    with no scheduled run ever again. The second is refused with one line instead."""
    import fcntl

    outputs.mkdir(parents=True, exist_ok=True)
    path = outputs / "serve.lock"
    handle = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise UserError(f"another grantflow serve is already running for this installation (pid {holder}; "
                        f"lock {path}); stop it first, or give this one its own outputs folder and its own Prefect "
                        "server (another --port)", field="serve") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _cmd_serve(args) -> int:
    """Scheduled mode on one machine: a local Prefect server (started or found) serving the deployments."""
    from flows.deployments import scheduler_problem

    from .settings import load_settings

    settings = load_settings(args.config)
    api = _prefect_api() or f"http://127.0.0.1:{args.port}/api"
    local = any(host in api for host in ("//127.0.0.1", "//localhost", "//[::1]"))
    problem = scheduler_problem()
    if problem and local:
        # The server on this machine runs with this environment's SQLAlchemy.
        raise UserError(f"cannot run on schedule: {problem}", field="SQLAlchemy")
    cron = os.environ.get("GRANTFLOW_WATCH_CRON", "").strip()
    if cron:
        from datetime import datetime as _datetime

        from cronsim import CronSim, CronSimError

        try:
            CronSim(cron, _datetime.now())
        except CronSimError as exc:
            raise UserError(f"{cron!r} is not a cron expression ({exc})", field="GRANTFLOW_WATCH_CRON") from None
    lock = _serve_lock(settings.outputs_dir())     # noqa: F841 - held until the process ends
    if args.config:
        # the runs this serve starts read the same config (they find it as every command does)
        os.environ["GRANTFLOW_CONFIG"] = str(Path(args.config).resolve())
    server = None
    if not _healthy(api):
        if os.environ.get("PREFECT_API_URL"):
            raise UserError(f"no Prefect server answers at {api} (PREFECT_API_URL)", field="PREFECT_API_URL")
        prefect = shutil.which("prefect") or str(Path(sys.executable).with_name("prefect"))
        log = settings.outputs_dir() / "prefect-server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        # the Prefect server needs none of grantflow's secrets (the flows run in this process's
        # runner): the SMTP password and the ledger's URL stay out of its environment and its log
        for name in {settings.delivery.smtp.password_env, "GRANTFLOW_SMTP_PASSWORD", "GRANTFLOW_LEDGER_URL"}:
            env.pop(name, None)
        from flows.runtime import dies_with_parent

        # stops when serve dies, a `kill -9` included (serve's own stop ends it below)
        server = subprocess.Popen(dies_with_parent([prefect, "server", "start", "--host", "127.0.0.1",
                                                    "--port", str(args.port)]),
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
    # Prefect's runner stopped itself on SIGTERM and warned about an un-awaited coroutine on the way
    # (flows.deployments.StopOnSignal now takes SIGTERM; kept should another path reach Prefect's).
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    cron = os.environ.get("GRANTFLOW_WATCH_CRON", "").strip()
    when = (f"every {args.watch_interval} s" if args.watch_interval
            else f"on '{cron}' Europe/Oslo" if cron else "weekdays 07:00 Europe/Oslo")
    print(f"Prefect UI: {api.removesuffix('/api')}  ·  deadline_watch runs {when}")
    print("Serving the grantflow deployments; stop with Ctrl-C.", flush=True)
    from flows.runtime import quiet_environment, runner_poll_seconds

    quiet_environment()
    # The Prefect server this serve started dying (killed, out of memory) left serve running against
    # nothing: alive to systemd, so never restarted, and no schedule ever fired again. Serve now stops
    # with one line and exit 1, and the service manager starts both again.
    lost: dict = {}
    import threading

    telling = threading.Lock()

    def tell_lost(code) -> bool:
        """Say once that the server stopped; False if it was said already."""
        with telling:
            if "code" in lost:
                return False
            lost["code"] = code
        print(f"error: the Prefect server this serve started has stopped (exit {code}; see {log}): "
              "serve stops too, so that the service manager starts both again", file=sys.stderr, flush=True)
        return True

    if server is not None:
        def server_gone() -> None:
            code = server.wait()
            if lost.get("stopping"):
                return
            if tell_lost(code):
                os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=server_gone, name="prefect-server-watch", daemon=True).start()
    try:
        from flows.deployments import serve

        serve(settings.outputs_dir(), args.watch_interval, query_seconds=runner_poll_seconds())
    except KeyboardInterrupt:
        pass
    except SystemExit:                    # Prefect's runner ends a SIGTERM with exit 0
        if "code" not in lost:
            raise
    except Exception:
        # The server gone, Prefect's runner fails on its way out (pausing its deployments: a
        # ConnectError, seen in CI as an "internal error" instead of the one line): that is the
        # server's death, said once. Any other exception is a defect, reported as one.
        if server is None:
            raise
        try:
            code = server.wait(timeout=5)     # (poll() says "running" while the watch thread waits on it)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            raise
        tell_lost(code)
    finally:
        lost["stopping"] = True
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return 1 if "code" in lost else 0


# --- the parser and the entry point ------------------------------------------------------

# --- workbooks ---------------------------------------------------------------------------

def _print_findings(findings) -> tuple[int, int]:
    from .findings import condense

    for finding in condense(findings):
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    return errors, len(findings) - errors


def _cmd_workbook(args) -> int:
    from datetime import date

    from .fileio import atomic_write
    from .intake import issue_workbook, make_blank
    from .register import display_path, open_register
    from .settings import load_settings

    register = open_register(args.config)
    if bool(args.project) == bool(args.blank):
        raise UserError("give a PROJECT, or --blank COUNCIL for a new project's workbook", field="PROJECT")
    if args.blank:
        payload = make_blank(register, args.blank)
        name = f"nytt-prosjekt-{args.blank}.xlsx"
    else:
        as_of = parse_date(args.as_of) if args.as_of else clock.today()
        ends = register.project(args.project).period.end
        if args.as_of and as_of > ends:
            # its status note could never be used: no status report is made after the end (found by an
            # outside tester: a workbook for 2019-01-01 of a project ended in 2017 was made and imported)
            raise UserError(f"{as_of.isoformat()} is after the project ends ({ends.isoformat()}): the workbook's "
                            "status is for a status report in the project period; after it comes the final "
                            "report", field="--as-of")
        name = f"{args.project}-{as_of.isoformat()}.xlsx"
    target = Path(args.out) if args.out else load_settings(args.config).outputs_dir() / "arbeidsboker" / name
    _file_to_write(target, ".xlsx", "--out", "the workbook")
    if target.exists() and not args.replace:
        # it may be the one the project leader filled in (found by an outside tester: replaced, exit 0)
        raise UserError("exists and is not overwritten (it may be filled in by the project leader): import it "
                        "first, write to another file with -o FILE, or give --replace to write a new one over it",
                        file=display_path(target))
    if args.project:
        # issued (its id recorded for this project and date) only now that it will be written
        payload = issue_workbook(args.config, args.project, as_of,
                                 how=f"grantflow workbook{_by_whom()}: {display_path(target)}")
    atomic_write(target, payload)
    print(display_path(target))
    return 0


def _by_whom() -> str:
    """' (av USER)' for the record of who made a workbook; nothing when the system cannot say."""
    import getpass

    try:
        return f" (av {getpass.getuser()})"
    except (KeyError, OSError):
        return ""


def _report(result, dry_run: bool) -> int:
    errors, warnings = _print_findings(result.findings)
    if dry_run and result.ok and result.changes:
        print(result.diff(), end="")
    print(result.summary() + (" (dry run)" if dry_run and result.ok else ""), file=sys.stderr)
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _cmd_import(args) -> int:
    from .intake import import_workbook

    return _report(import_workbook(args.config, Path(args.file), dry_run=args.dry_run), args.dry_run)


def _cmd_new_project(args) -> int:
    from .intake import new_project

    return _report(new_project(args.config, Path(args.file), dry_run=args.dry_run), args.dry_run)


def _cmd_inbox(args) -> int:
    from .findings import condense
    from .intake import process_inbox

    if args.project:
        _known_project(args.config, args.project)     # a misspelt id read as "the inbox is empty"
    _prefect_api()                                    # a login in its address: refused before anything moves
    items = process_inbox(args.config, args.project)
    for item in items:
        print(f"{item.outcome:9} {item.file} → {item.moved_to}")
        for finding in condense(item.findings):
            if finding.severity == "error":
                print(f"  {finding}")
    if not items:
        from .intake import inbox_others
        from .register import config_root, display_path

        folder = display_path(config_root(args.config) / 'inbox')
        others = inbox_others(args.config, args.project) if args.project else []
        if others:
            # the inbox is not empty: say what is waiting there, for whom
            named = ", ".join(f"{name} ({owner})" for name, owner in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            print(f"no workbook for {args.project} in {folder}/ ({len(others)} for other projects: {named}{more})")
        else:
            print(f"the inbox is empty: nothing in {folder}/ (save the workbooks project leaders send back there)")
    elif os.environ.get("PREFECT_API_URL"):
        # A status cycle waiting (suspended) for one of these leaders goes on with the imported data.
        from flows.status_cycle import resume_answered

        try:
            for line in resume_answered(items):
                print(line)
        except Exception as exc:  # noqa: BLE001 - the import stands; the morning watch resumes the run
            print(f"could not reach the Prefect server to resume waiting status cycles ({type(exc).__name__}); "
                  "resume the run in the Prefect UI (or run 'grantflow inbox' again)")
    return 1 if any(item.outcome == "rejected" for item in items) else 0



def build_parser() -> argparse.ArgumentParser:
    """Every command and option of ``grantflow``, in one place."""
    parser = argparse.ArgumentParser(prog="grantflow", description=(
        "Grant paperwork for Norwegian regional councils: check the data, write the documents, "
        "send them on time. See README.md."))
    parser.add_argument("--version", action="version", version=f"grantflow {__version__}")
    parser.add_argument("--config", default=None, help="config folder (default: $GRANTFLOW_CONFIG or ./config)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # Data and the register.
    p = sub.add_parser("validate", help="check config and data files and cross-check them")
    p.add_argument("path", nargs="?", default=None, help="config folder or one project file")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--all", action="store_true",
                   help="every finding on its own line (default: after 10 in one column of one file, one line for the rest)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("allocate", help="split a project's costs between its municipalities")
    p.add_argument("project")
    p.add_argument("--year", type=int, required=True, help="the budget year to split")
    p.add_argument("--amount", type=_amount, default=None,
                   help="amount in whole kroner, e.g. 412000 or '412 000' (default: the plan's municipal part)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="default: table")
    p.set_defaults(func=_cmd_allocate)

    # Documents and delivery.
    p = sub.add_parser("render", help="write a document (.docx, optionally PDF)")
    _document_arguments(p)
    _new_basis_argument(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("send", help="render (if needed) and send a document to its recipients")
    _document_arguments(p)
    _new_basis_argument(p)
    p.add_argument("--transport", choices=("outbox", "smtp"), help="default: delivery.transport in config/grantflow.yaml (outbox if not set)")
    p.add_argument("--resend", action="store_true", help="send even to recipients who have this version")
    p.add_argument("--recipient", action="append", metavar="EMAIL",
                   help="send to this one of the document's recipients only ('Name <address>' and a "
                        "comma-separated list are read too; repeatable; with --resend: send it to them again, "
                        "e.g. one an earlier send left unsure)")
    p.add_argument("--funder", action="append", metavar="ID",
                   help="also send to this funder of the project (repeatable; default: the funders whose "
                        "deadlines ask for this document)")
    p.add_argument("--yes", action="store_true", help="approve sending without asking")
    p.add_argument("--override-reason", metavar="TEXT",
                   help="send externally although the data have errors, for this reason (recorded)")
    _approval_arguments(p, "the approver's name, recorded with the approval (--yes or the prompt's answer)")
    p.set_defaults(func=_cmd_send)

    p = sub.add_parser("sent", help="list the sent ledger")
    p.add_argument("project", nargs="?", help="only this project, or this council's documents (usage reports "
                                              "and its projects') and notices")
    p.add_argument("--detail", action="store_true",
                   help="also list every delivery attempt with its Message-ID and its attachments' sha256")
    p.set_defaults(func=_cmd_sent)

    p = sub.add_parser("deadlines", help="list upcoming deadlines; export iCalendar for Outlook")
    p.add_argument("--days", type=_days, default=90, help="days ahead (default 90)")
    p.add_argument("--from", dest="start", help="start date YYYY-MM-DD or DD.MM.YYYY (default today)")
    p.add_argument("--ics", type=_path, help="write the deadlines to this .ics file")
    p.set_defaults(func=_cmd_deadlines)

    # Orchestration (Prefect, imported only when one of these runs).
    p = sub.add_parser("demo", help="the main job: every document for the demo projects, to the outbox")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("run", help="trigger a document flow (on the server if PREFECT_API_URL is set)")
    _document_arguments(p)
    p.add_argument("--transport", choices=("outbox", "smtp"), help="default: delivery.transport in config/grantflow.yaml (outbox if not set)")
    p.add_argument("--resend", action="store_true", help="send even to recipients who have this version")
    p.add_argument("--yes", action="store_true", help="approve external sending in advance")
    p.add_argument("--override-reason", metavar="TEXT",
                   help="with --yes: send externally although the data have errors, for this reason (recorded)")
    _approval_arguments(p, "with --yes: the approver's name, recorded with the approval")
    p.add_argument("--no-wait", action="store_true",
                   help="with a server: do not wait for the run to finish (it never waits for an approval)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("serve", help="scheduled mode: local Prefect server + served deployments")
    p.add_argument("--port", type=int, default=4200)
    p.add_argument("--watch-interval", type=_interval, default=None, metavar="SECONDS",
                   help="run deadline_watch every SECONDS instead of weekdays 07:00 (to try the schedule out)")
    p.set_defaults(func=_cmd_serve)

    # Workbooks: collecting from project leaders.
    p = sub.add_parser("workbook", help="write a project's Excel workbook (register + this period's input)")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--blank", metavar="COUNCIL", help="an empty workbook for a new project in COUNCIL")
    p.add_argument("--as-of", dest="as_of", help="status date YYYY-MM-DD or DD.MM.YYYY (default today)")
    p.add_argument("--out", "-o", type=_path, help="file to write (default: outputs/arbeidsboker/...)")
    p.add_argument("--replace", action="store_true", help="write over an existing workbook file")
    p.set_defaults(func=_cmd_workbook)

    p = sub.add_parser("import", help="check a returned workbook and merge it into the register and data files")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check and show the change; write nothing")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("new-project", help="create a project from a filled-in workbook (grantflow workbook --blank)")
    p.add_argument("file", metavar="WORKBOOK")
    p.add_argument("--dry-run", action="store_true", help="check and show the project file; write nothing")
    p.set_defaults(func=_cmd_new_project)

    p = sub.add_parser("inbox", help="import the returned workbooks saved in config/inbox/")
    p.add_argument("project", nargs="?", help="only this project's workbooks")
    p.set_defaults(func=_cmd_inbox)

    # Tools.
    p = sub.add_parser("templates", help="template tools")
    tsub = p.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    c = tsub.add_parser("check", help="render every template with lint data; list problems")
    c.set_defaults(func=_cmd_templates_check)
    # --config is also taken after the command (where users put options); SUPPRESS keeps the value
    # given before it when it is not repeated here
    for command in sub.choices.values():
        command.add_argument("--config", default=argparse.SUPPRESS, metavar="FOLDER",
                             help="config folder (default: $GRANTFLOW_CONFIG or ./config)")
    return parser


def _internal_error(exc: BaseException) -> int:
    """The safety net for bugs: one line for the user, the traceback in a log file."""
    import traceback
    from datetime import datetime

    from .settings import outputs_root

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(exc))
    log = None
    for folder in (outputs_root() / "logs", Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            log = folder / f"internal-error-{stamp}-{os.getpid()}.log"
            log.write_text(f"grantflow {__version__}\nargv: {sys.argv!r}\n\n{text}", encoding="utf-8")
            break
        except OSError:
            log = None
    what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
    where = f"details in {log}" if log else "no log could be written"
    print(f"internal error ({what}); this is a bug in grantflow, not in your data; {where}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    # pydantic looks for plugins in every installed package's metadata when it builds the first
    # model (~20 ms of a cold start); grantflow uses none. Set it to '' to let them load.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        period = getattr(args, "period", None)
        if period and re.fullmatch(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}", period.strip()):
            args.period = parse_date(period, "--period").isoformat()     # a day, as --as-of takes it
        _sweep_temp_files(args)
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (grantflow sent | head): nothing is wrong with grantflow or the data;
        # stdout is pointed at /dev/null so Python's own flush at exit does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:          # noqa: BLE001 - the safety net; user mistakes never get here
        from .fileio import system_problem

        problem = system_problem(exc)   # a full disk, a folder that cannot be used: the machine's state
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
        return _internal_error(exc)


if __name__ == "__main__":
    sys.exit(main())
