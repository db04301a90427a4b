"""Document kinds: one template plus one context builder each, registered here.

Adding a kind: write ``templates/<file>.docx`` (in ``templates/build_templates.py``), a module
with ``build(request) -> Context`` and its period rule ``period(project, period, as_of, today,
previous_as_of) -> (ReportPeriod, report date)``, and one line in ``KINDS``.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    scope: str = "project"          # "project" or "council"
    uses_hours: bool = False        # counts the hours file (own effort registered); others leave it unread
    uses_ledger: bool = True        # counts the ledger; the cost split (the plan and the council's figures) does not


KINDS: dict[str, DocumentKind] = {k.name: k for k in (
    DocumentKind("application", "Søknad om skjønnsmidler", "soknad.docx", application.build, application.period),
    DocumentKind("status", "Statusrapport", "statusrapport.docx", status_report.build, status_report.period,
                 uses_hours=True),
    DocumentKind("final", "Sluttrapport", "sluttrapport.docx", final_report.build, final_report.period,
                 uses_hours=True),
    DocumentKind("usage", "Rapportering om bruk av skjønnsmidler", "skjonnsmidler-bruk.docx", grant_usage.build,
                 grant_usage.period, scope="council"),
    DocumentKind("costsplit", "Kostnadsfordeling", "kostnadsfordeling.docx", cost_split.build, cost_split.period,
                 uses_ledger=False),
)}


def kind(name: str) -> DocumentKind:
    from ..errors import UserError
    try:
        return KINDS[name]
    except KeyError:
        from ..suggest import unknown_kind
        raise UserError(unknown_kind(name, KINDS), field="KIND") from None
