"""Document kinds: one template plus one context builder each, registered here.

Adding a kind: write ``templates/<file>.docx`` (in ``templates/build_templates.py``), a module
with ``build(request) -> Context``, its period rule ``period(project, period, as_of, today,
previous_as_of) -> (ReportPeriod, report date)`` and that rule's inverse ``options(period label,
report date) -> [CLI options]`` (what ``send_command`` tells people to type), and one line in
``KINDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from . import application, cost_split, final_report, grant_usage, status_report
from .common import Context, DocumentRequest


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document: CLI name, Norwegian title, template file, builder, scope.

    Who receives it is configuration (``settings.DEFAULT_RECIPIENTS``), not part of the kind.
    """

    name: str
    title: str
    template: str
    build: Callable[[DocumentRequest], Context]
    period: Callable[..., tuple]    # (project, --period, --as-of, today, previous as-of) -> (ReportPeriod, date)
    options: Callable[[str | None, date | None], list[str]]   # (period label, date) -> the options making it again
    scope: str = "project"          # "project" or "council"
    uses_hours: bool = False        # counts the hours file (own effort registered); others leave it unread
    uses_ledger: bool = True        # counts the ledger; the cost split (the plan and the council's figures) does not
    names_addressees: bool = False  # page 1's "Til" names who the document goes to (its recipients by name)
    uses_invoices: bool = False     # reads the cost splits that reached their readers (what was invoiced)
    keeps_payers: bool = False      # a year delivered keeps whom it billed (``service.sent_payers``)


KINDS: dict[str, DocumentKind] = {k.name: k for k in (
    DocumentKind("application", "Søknad om skjønnsmidler", "soknad.docx", application.build, application.period,
                 application.options),
    DocumentKind("status", "Statusrapport", "statusrapport.docx", status_report.build, status_report.period,
                 status_report.options, uses_hours=True),
    DocumentKind("final", "Sluttrapport", "sluttrapport.docx", final_report.build, final_report.period,
                 final_report.options, uses_hours=True, names_addressees=True, uses_invoices=True),
    DocumentKind("usage", "Rapportering om bruk av skjønnsmidler", "skjonnsmidler-bruk.docx", grant_usage.build,
                 grant_usage.period, grant_usage.options, scope="council"),
    DocumentKind("costsplit", "Kostnadsfordeling", "kostnadsfordeling.docx", cost_split.build, cost_split.period,
                 cost_split.options, uses_ledger=False, uses_invoices=True, keeps_payers=True),
)}


def kind(name: str) -> DocumentKind:
    from ..errors import UserError
    try:
        return KINDS[name]
    except KeyError:
        from ..suggest import unknown_kind
        raise UserError(unknown_kind(name, KINDS), field="KIND") from None


def send_command(kind_name: str, target: str, period: str | None = None, dated: date | None = None) -> str:
    """The command that makes (or finds unchanged) and sends one document by hand, as a mail or a
    message tells the secretariat to type it: ``target`` the project (the council for a council-wide
    kind), ``period`` the document's period label (``usage-2019``: "2019"), ``dated`` its date.
    Run on any later day it names the same document dated the same day: the version that was held or
    missed, not a new one dated the day it is typed (a cost split's command had no date, and a week
    later made version 2 dated that week)."""
    made = kind(kind_name)
    who = ["--council", target] if made.scope == "council" else [target]
    return " ".join(["grantflow", "send", made.name, *who, *made.options(period, dated)])


def command_for(document_key: str, dated: date | None = None) -> str:
    """``send_command`` for a document key ("haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07",
    "haugaland-vekst/-/usage-2019") and the document's date."""
    council, project, name = document_key.split("/", 2)
    kind_name, _, period = name.partition("-")
    return send_command(kind_name, council if project == "-" else project, period or None, dated)
