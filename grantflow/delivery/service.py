"""Planning and carrying out a delivery (see the package docstring for the steps)."""

from __future__ import annotations

import hashlib

import os
import re
import time
from pathlib import Path
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Callable

from .. import fmt
from ..documents import kind as get_kind
from ..documents.service import (EDITED_HINT, Produced, altered_copies, changed_after_made, delivered_at,
                                 mark_approvals, mark_delivered, mark_issued, pdf_not_made_from, rendered_now,
                                 settlements, version_changes, version_copies)
from ..errors import UserError
from sqlalchemy.exc import SQLAlchemyError
from ..models import Council, Funder, Project
from ..register import Register, display_path
from ..settings import RetrySettings, Settings
from .ledger import NOTICE_HASH, STALE_CLAIM, TRANSMITTING, UNCERTAIN, SentLedger, aware, claim_alive, claim_host, covers, delivers
from .message import Document, Sender, compose, compose_reminder
from .recipients import Recipient, funders_named, payer_contacts, payers_at, resolve
from .transports import OutboxTransport, PermanentError, SmtpTransport, TransientError


@dataclass
class PlannedMessage:
    recipient: Recipient
    message: EmailMessage


@dataclass
class DeliveryPlan:
    """Who will get what; ``already`` had this version before and is left out."""

    document: Document
    project: Project | None
    council: Council
    messages: list[PlannedMessage]
    already: list[Recipient]
    approval_required: bool
    to_funders: tuple[str, ...] = ()   # the addresses that are a funder's: why it is approved whatever the kind
    # of ``already``: who has an earlier version with this very content (recipient -> that version)
    same_content: dict[str, int] = field(default_factory=dict)
    # an office at a new address that had the document at an earlier one: recipient -> (that
    # address, version, when)
    first_sent: dict[str, tuple] = field(default_factory=dict)
    # a cost split: the municipalities with a share in it that have no contact address (not sent to)
    unreached: tuple[str, ...] = ()

    @property
    def attachment_names(self) -> list[str]:
        """The attachments' names as the recipients get them (a reader's first copy is named
        without "-versjon-N"): the approver's copy is named so too. Where the recipients' names
        differ (some have an earlier version), the replacing copy's."""
        names = {tuple(a.get_filename() for a in m.message.iter_attachments()) for m in self.messages}
        if len(names) == 1:
            return list(names.pop())
        return [self.document.attachment_name(p) for p in self.document.attachments]

    def preview(self) -> str:
        """What an approver needs to see: recipients, subject, attachments, key figures."""
        lines = [f"Dokument: {self.document.title} – {self.document.subject_name} ({self.document.period_text}), "
                 f"versjon {self.document.version}"]
        if self.messages:
            lines.append(f"Emne: {self.messages[0].message['Subject']}")
        lines.append("Mottakere: " + (", ".join(f"{m.recipient.name} <{m.recipient.email}> ({m.recipient.role})"
                                                for m in self.messages) or "ingen nye"))
        if self.to_funders:
            lines.append("Til finansiør (godkjennes alltid): " + ", ".join(self.to_funders))
        if self.already:
            lines.append("Har allerede fått denne versjonen: " + ", ".join(r.email for r in self.already))
        if self.unreached:
            lines.append("Betaler en andel, men får den ikke (ingen kontaktadresse i regionrådets fil): "
                         + ", ".join(self.unreached))
        lines.append("Vedlegg: " + ", ".join(self.attachment_names))
        for key, value in self.document.key_figures.items():
            lines.append(f"  {key}: {value}")
        return "\n".join(lines)


@dataclass
class DeliveryReport:
    document: str
    version: int
    transport: str
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # every recipient the document is not known to have reached (the ``uncertain`` among them): what a
    # run retries and reports as not done, as before
    failed: list[tuple[str, str]] = field(default_factory=list)
    # claimed by another sender that has not finished (interrupted, or still sending): not done
    pending: list[tuple[str, str]] = field(default_factory=list)
    held: str = ""    # not sent: waiting for a person (see ``Clearance``)
    # sent, after an attempt whose whole message got no reply (it may have arrived): maybe twice
    doubtful: list[tuple[str, str]] = field(default_factory=list)
    asked: bool = False   # held, and its approval request is new (nobody was asked for this content yet)
    # recipient -> (earlier address, version, when): an office at a new address (``DeliveryPlan.first_sent``)
    first_sent: dict = field(default_factory=dict)
    # the document's file no longer holds what was sent (edited while it went): one line, said after sending
    not_as_sent: str = ""
    # of ``failed``: the server took the whole message and never replied (ledger status ``uncertain``):
    # it may have arrived, so a person asks the recipient before a --resend (a new Message-ID: a
    # second mail). It read "failed", and the county governor got a resent report twice
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    # a cost split's paying municipalities without a contact address: not sent to (``unreached_text``)
    unreached: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.held:
            return f"{self.document} v{self.version}: ikke sendt, {self.held}"
        # a recipient sent "possibly twice" is one of those sent: said beside them (it read "3 sent,
        # 2 already had version 1, 1 of them possibly twice", as if it were one of the 2)
        parts = [f"{len(self.sent)} sent" + (f" ({len(self.doubtful)} of these possibly twice)" if self.doubtful
                                             else "")]
        for email in self.sent:
            if email in self.first_sent:
                address, version, when = self.first_sent[email]
                parts[0] += (f" ({email}: first sent {_when(when)} to {address}, the earlier address"
                             + (f", as version {version}" if version != self.version else "") + ")")
        if self.skipped:
            parts.append(f"{len(self.skipped)} already had version {self.version}")
        if len(self.failed) > len(self.uncertain):
            parts.append(f"{len(self.failed) - len(self.uncertain)} failed")
        if self.uncertain:
            parts.append(f"{len(self.uncertain)} uncertain (may have arrived)")
        if self.pending:
            parts.append(f"{len(self.pending)} pending")
        return f"{self.document} v{self.version} via {self.transport}: " + ", ".join(parts) + \
            (f"; {unreached_text(self.unreached)}" if self.unreached else "")


    def refused(self) -> list[tuple[str, str]]:
        """Of ``failed``, those known not to have it (refused, not tried, no whole copy sent)."""
        unsure = {email for email, _ in self.uncertain}
        return [f for f in self.failed if f[0] not in unsure]

    def undelivered_line(self) -> str:
        """Whom the document is not known to have reached, in one line (a run's final state message,
        what `grantflow run` prints after "error:"), each reason once: "not delivered to 1 of 6
        recipient(s): …" for the refused and the pending only; a mail the server took whole without
        replying is "may have arrived at 1 of 6 recipient(s) …", as ``grantflow sent`` says it, and
        the line starts so when that is all (``MAY_HAVE_ARRIVED``). "" when it reached everyone."""
        total = len(self.failed) + len(self.pending) + len(self.sent) + len(self.skipped)
        missing = [*self.refused(), *self.pending]
        parts = []
        if missing:
            parts.append(f"not delivered to {len(missing)} of {total} recipient(s): " + "; ".join(by_reason(missing)))
        if self.uncertain:
            parts.append(f"{MAY_HAVE_ARRIVED} {len(self.uncertain)} of {total} recipient(s), the mail server took the "
                         "whole message and never replied (ask the recipient before grantflow send --resend): "
                         + "; ".join(by_reason(self.uncertain)))
        return "; and ".join(parts)


# How a run's state message starts when every recipient it did not reach for sure may have the
# mail (``DeliveryReport.undelivered_line``): the deadline watch counts such a run apart
MAY_HAVE_ARRIVED = "may have arrived at"


def unreached_text(names: list[str] | tuple[str, ...]) -> str:
    """Paying municipalities a cost split did not go to, in one clause (a send's summary, a run's)."""
    if len(names) == 1:
        return f"not sent to {names[0]} (pays a share): no contact address in its council's file"
    return f"not sent to {', '.join(names)} (they pay a share): no contact address in their council's file"


def by_reason(pairs, shown: int = 3) -> list[str]:
    """(recipient, reason) pairs said once per reason: "a, b, c and 2 more: reason" (500 recipients
    refused alike are one line, not 500). ``grantflow send``'s lines and a run's state message."""
    grouped: dict[str, list[str]] = {}
    for email, reason in pairs:
        grouped.setdefault(reason, []).append(email)
    return [", ".join(emails[:shown]) + (f" and {len(emails) - shown} more" if len(emails) > shown else "")
            + f": {reason}" for reason, emails in grouped.items()]


def document_from(produced: Produced, register: Register) -> Document:
    """What is sent of ``produced``. A PDF asked for and not made (LibreOffice is not installed)
    stops the send: its recipients would get the .docx alone, as if that was what was asked."""
    if produced.pdf_message:
        raise UserError("not sent: a PDF was asked for and LibreOffice (soffice) is not installed "
                        "(bash scripts/system-deps.sh installs it); send without the PDF (no --pdf) to send "
                        "the .docx alone", file=display_path(produced.docx), field="pdf")
    kind = get_kind(produced.kind)
    if produced.project:
        project = register.project(produced.project)
        subject_name = project.name
        if produced.kind == "application":
            _refuse_empty_application(project, produced.period, register)
    else:
        subject_name = register.council(produced.council).name
    period_text = produced.period
    if kind.name == "status":
        from datetime import date
        try:
            period_text = fmt.long_date(date.fromisoformat(produced.period))
        except ValueError:
            pass
    elif re.fullmatch(r"\d{4}-\d{4}", period_text):
        period_text = period_text.replace("-", "\u2013")       # years from–to: "2015–2016"
    key = f"{produced.council}/{produced.project or '-'}/{produced.kind}-{produced.period}"
    # Norwegian, ASCII, the project (or council) id and the period: "soknad-haugaland-velferdsteknologi-2015"
    # a later version is named so: saved beside the earlier one, it neither replaces it unseen nor looks the same
    stem = f"{Path(kind.template).stem}-{produced.project or produced.council}-{produced.period}" + \
        (f"-versjon-{produced.version}" if produced.version > 1 else "")
    return Document(key, kind.name, kind.title, subject_name, period_text, produced.version, produced.docx,
                    produced.pdf, dict(produced.key_figures), produced.content_hash, stem,
                    no_skjonnsmidler=_no_skjonnsmidler(produced, register), addressed=produced.addressed,
                    changes=version_changes(produced.docx, produced.version) if produced.version > 1 else {},
                    draft=produced.draft, payers=produced.payers, dated_before=produced.dated_before,
                    case_refs=case_references(produced, register),
                    settlements={**settlements(produced.docx), produced.version: produced.settlement}
                    if produced.settlement else {})


def _reported_on(grant, kind: str, period: str, when) -> bool:
    """Whether a project document of ``kind`` for ``period`` reports on ``grant`` (``case_references``);
    ``when``: the day it is addressed (an application's date)."""
    from datetime import date

    if kind == "final":
        return True
    if kind == "application":
        return period.isdigit() and grant.year == int(period) and (
            grant.decided is None or when is None or grant.decided <= when)
    if kind == "status":
        try:
            day = date.fromisoformat(period)
        except ValueError:
            return False
        return grant.year <= day.year and (grant.decided is None or grant.decided <= day)
    years = [int(y) for y in re.findall(r"\d{4}", period)]     # a cost split: "2016", "2015-2016"
    return bool(years) and grant.year <= max(years)


def case_references(produced: Produced, register: Register) -> dict[str, tuple[tuple[str, str], ...]]:
    """The case numbers (saksnummer, ``funders[].grants[].reference``) of the awards the document
    reports on, by the address that files by them (casefolded): a funder's own address, and the
    council's county governor's for the skjønnsmidler funders (and any funder at that address).
    Each is (reference, project name); the project is named only where the numbers come from
    more than one project (a council's usage report). A grant without a reference gives nothing.

    Which awards: a final report's all (its "Saksnummer (tilsagn)"), a usage report's those up
    to its year of each project it lists (its Saksnr. column), an application's those for its year
    decided by its date (a first application has no case number yet), a status report's those up
    to its day, a cost split's those up to its last year. (The final and usage reports reached the
    county governor with no case reference in subject or body: an outside tester, session 23.)"""
    from ..reporting import grant_usage

    council = register.council(produced.council)
    governor = (council.county_governor.email or "").casefold()
    period = produced.period
    if produced.kind == "usage":
        if not period.isdigit():
            return {}
        year = int(period)
        chosen = []
        for project in register.projects.values():
            if project.council != council.id or project.period.end.year < year:
                continue
            for usage in grant_usage(project, None, year):
                funder = project.funder(usage.funder_id)
                chosen += [(project, funder, g) for g in funder.grants if g.year <= year]
    elif produced.project:
        project = register.project(produced.project)
        chosen = [(project, f, g) for f in project.funders for g in f.grants
                  if _reported_on(g, produced.kind, period, produced.addressed)]
    else:
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for project, funder, grant in chosen:
        if not grant.reference.strip():
            continue
        skjonnsmidler = any(line.funder == funder.id and line.kind == "skjønnsmidler"
                            for line in project.budget.financing)
        addresses = {funder.email.casefold()} if funder.email else set()
        if governor and (skjonnsmidler or funder.email and funder.email.casefold() == governor):
            addresses.add(governor)
        for address in addresses:
            pair = (grant.reference.strip(), project.name)
            if pair not in found.setdefault(address, []):
                found[address].append(pair)
    return {address: tuple((ref, name if len({n for _, n in pairs}) > 1 else "") for ref, name in pairs)
            for address, pairs in found.items()}


def _refuse_empty_application(project, period: str, register: Register) -> None:
    """An application for 0 kr is not sent: it reached the county governor saying "Omsøkt beløp:
    0 kr" with only a warning (found by an outside tester). A draft may still be rendered."""
    from ..documents.application import applied_amount, applied_years

    if not period.isdigit() or applied_amount(project, [int(period)]):
        return
    if not any(line.kind == "skjønnsmidler" or line.applied_for for line in project.budget.financing):
        return    # a project that applies for nothing at all: the recipient rules say who gets it (no one by default)
    years = applied_years(project)
    source = register.source("project", project.id)
    raise UserError(f"not sent: the application for {period} applies for 0 kr (no applied-for financing line has "
                    f"an amount for {period}"
                    + (f"; the plan applies for {', '.join(map(str, years))}" if years else "") + "): add the amount "
                    "applied for, or send the year that has one", file=source.file if source else None,
                    field="budget.financing")


def _no_skjonnsmidler(produced: Produced, register: Register) -> str | None:
    """Why the county governor has nothing to receive in this document: an application, final
    report or usage report about no skjønnsmidler (a project the municipalities pay alone got
    "Søknad om skjønnsmidler … Omsøkt beløp: 0 kr", a final report "har ikke fått tilsagn" and its
    council a usage report of 0 projects, each mailed to the county governor: found by an outside
    tester). None when the document is about skjønnsmidler, or of another kind."""
    if produced.kind in ("application", "final") and produced.project:
        project = register.project(produced.project)
        if not any(line.kind == "skjønnsmidler" for line in project.budget.financing):
            return f"{project.name} has no skjønnsmidler in its financing plan"
    elif produced.kind == "usage" and produced.period.isdigit():
        from ..reporting import grant_usage, ungranted_skjonnsmidler

        # the projects the report itself lists (an award letter up to the year) or names under its
        # table (skjønnsmidler planned with no award on record): judged by the plan's amounts alone,
        # a grant decided in 2015 for 2016 work withheld the 2015 report (found by a reviewer)
        year = int(produced.period)
        if not any(grant_usage(project, None, year) or ungranted_skjonnsmidler(project, year)
                   for project in register.projects.values()
                   if project.council == produced.council and project.period.end.year >= year):
            return f"no project of {register.council(produced.council).name} has skjønnsmidler in {year}"
    return None


def sender_for(council: Council, settings: Settings) -> Sender:
    reply = council.secretariat
    if not reply.email:
        raise UserError(f"the secretariat of {council.name} has no e-mail address (Reply-To)",
                        field="secretariat.email")
    return Sender(settings.delivery.from_address, settings.delivery.from_name or council.name, reply.email,
                  reply.name, council.name)


class ContentConflict(UserError):
    """The ledger has this document and version with other content (see ``plan``)."""


def _when(moment) -> str:
    return aware(moment).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _numbered_without_ledger(document: Document, ledger: SentLedger) -> str:
    """Why a copy has a version number the ledger has with other content, and what to do."""
    known = sorted(ledger.versions(document.key))
    span = (f"{known[0]}–{known[-1]}" if len(known) > 1 and known == list(range(known[0], known[-1] + 1))
            else ", ".join(map(str, known)))
    return (f"{display_path(document.docx)} was numbered without the ledger (the document's record "
            f"{display_path(document.docx.with_suffix('.json'))} is missing or older than the ledger, which "
            f"knows version{'s' if len(known) > 1 else ''} {span} of it): nothing sent; render it again and "
            "grantflow numbers it by the ledger (--resend sends a version's own content only)")


def plan(document: Document, project: Project | None, council: Council, settings: Settings,
         ledger: SentLedger, resend: bool = False, transport: str | None = None,
         funders: list[Funder] | tuple[Funder, ...] = (), only: tuple[str, ...] = ()) -> DeliveryPlan:
    """Who gets ``document`` now by ``transport`` (the settings' by default; a copy in the local
    outbox is not "already had" for SMTP). Raises ``ContentConflict`` when the ledger has this document
    key and version with a different content hash (a copy numbered without the ledger, which
    ``documents.service`` numbers by): neither "already have" nor sent, with ``resend`` neither.
    ``funders``: whose deadline asks for the document (they get it too)."""
    if resend and document.docx.suffix == ".docx":
        # what this version went out as is kept (``.versjoner``): a copy altered since is no record of it
        for copy, why in altered_copies(document.docx.with_suffix(".json"), document.version).items():
            raise ContentConflict(
                f"the kept copy of version {document.version} of {document.key} ({display_path(copy)}) is no longer "
                f"what went out: {why}; "
                "nothing sent; put back the copy as it was sent (from a backup) before sending this version again")
    # also with ``resend``: a version's rows are never written over with other content (the same
    # content "version 1" again, and version 1's hash and Message-ID were gone; an outside auditor)
    # the content hash; rows written before it was recorded hold the bytes' hash
    other = ledger.other_content(document.key, document.version, {document.ledger_hash(), document.sha256()})
    if other:
        when = (f"sent {_when(other['last_sent'])} to {other['sent']} recipient(s)" if other["sent"]
                else f"tried {_when(other['last'])}, not sent")
        raise ContentConflict(f"the ledger has version {document.version} of {document.key} with other content, "
                              f"{when}; {_numbered_without_ledger(document, ledger)}")
    decided = ledger.other_decision(document.key, document.version, {document.ledger_hash(), document.sha256()})
    if decided:
        what = "approved" if decided["status"] == "approved" else "rejected"
        raise ContentConflict(
            f"the ledger has version {document.version} of {document.key} {what} by "
            f"{decided['decided_by'] or 'unknown'} {_when(decided['decided_at'])} with other content; "
            f"{_numbered_without_ledger(document, ledger)}")
    recipients = resolve(document.kind, project, council, settings, funders, document.no_skjonnsmidler,
                         when=document.addressed, payers=document.payers)
    # paying municipalities it cannot go to: said, never a stop (the others still need it)
    unreached = () if only else tuple(payer_contacts(council, document.payers)[1])
    # the municipalities at each address (a final report's settlement: each one's part first in its mail)
    paying_at = payers_at(council, document.payers) if document.settlements else {}
    if only:
        # some of the document's recipients only (the one an earlier send left unsure, with --resend)
        known = {r.email.casefold() for r in recipients}
        wanted = {}
        for given in only:   # as copied from a mail program: ' a@b ', 'Name <a@b>', 'a@b, c@d'
            emails = [email for _, email in getaddresses([given])]
            if not emails or not all(e.casefold() in known for e in emails):
                raise UserError(f"{given!r} is not a recipient of {document.key} (its recipients: "
                                f"{', '.join(r.email for r in recipients)})", field="--recipient")
            wanted.update((e.casefold(), given) for e in emails)
        recipients = [r for r in recipients if r.email.casefold() in wanted]
    done = set() if resend else ledger.sent_to(document.key, document.version,
                                               transport or settings.delivery.transport)
    if not resend and not done and delivers(transport or settings.delivery.transport) and \
            document.docx.suffix == ".docx":
        went = delivered_at(document.docx, document.version)
        if went:
            # the ledger lost what it knew (emptied, replaced, another ledger_url): everyone would get
            # it again, unasked
            raise ContentConflict(
                f"the sent ledger has no delivery of {document.key} version {document.version}, but the "
                f"document's record says it went out {went}: was the ledger emptied or replaced (another "
                "ledger_url)? nothing sent; grantflow send --resend sends it to every recipient again")
    # who has an earlier version: their mail says this one replaces it
    had = ledger.had_earlier(document.key, document.version, transport or settings.delivery.transport) \
        if document.version > 1 else {}
    # who has an earlier version with this very content (the data changed and changed back): not
    # sent "version 3, replaces version 1" with version 1's content (found by an outside tester)
    same = {}
    if not resend and document.content_hash and document.version > 1:
        same = {email: got for email, (got, digest) in ledger.earlier_content(
            document.key, document.version, transport or settings.delivery.transport).items()
            if digest == document.content_hash}
    # who has this very version (a re-send): their mail says it is a copy of the one they have
    reached = ledger.first_reached(document.key, document.version, transport or settings.delivery.transport) \
        if resend else {}
    sender = sender_for(council, settings)
    # a copy says who it is (role, organisation): "Kopi til: Per Rådmann." named no one a case officer knew
    cc_names = [r.described for r in recipients if r.role == "cc"]
    to_names = [r.name for r in recipients if r.role == "to"]
    # the case numbers each addressee files by; a copy is told whose they are
    refs = {r.email.casefold(): document.case_refs.get(r.email.casefold(), ()) for r in recipients}
    filed_by = [(r.name, refs[r.email.casefold()]) for r in recipients if r.role == "to" and refs[r.email.casefold()]]
    messages, already = [], []
    first_sent: dict[str, tuple] = {}
    current = {r.email.casefold() for r in recipients}
    for recipient in recipients:
        if recipient.email.casefold() in done or recipient.email.casefold() in same:
            already.append(recipient)
            continue
        earlier = None
        if recipient.office and not recipient.payer and not resend and recipient.email.casefold() not in had \
                and all(r.office and not r.payer for r in recipients if r.role == recipient.role):
            # the county governor's mailbox changed: the document is no new submission to them. Only
            # where every recipient in that role is an office: the ledger keeps addresses, not whose,
            # and a funder was told a status report "ble sendt første gang … til
            # radmann@karmoy.example.no (tidligere adresse)", a steering-group member's old address
            # (found by a reviewer)
            earlier = ledger.first_sent_elsewhere(document.key, document.version,
                                                  transport or settings.delivery.transport, recipient.role, current)
            if earlier:
                first_sent[recipient.email] = earlier
        replaces = had.get(recipient.email.casefold())
        if earlier and earlier[1] < document.version:
            # the office had an earlier version at its earlier address: this one replaces it, with
            # what changed (the case officer registered 400 000 kr and got 450 000 kr with no word
            # that it replaces anything, while the copy said "erstatter versjon 1"; a reviewer)
            replaces = (earlier[1], earlier[2])
        msg = compose(document, recipient.name, recipient.email, cc_names if recipient.role == "to" else [], sender,
                      resend=resend, replaces=replaces,
                      sent_to=to_names if recipient.role == "cc" else None, office=recipient.office,
                      first_sent=earlier, refs=refs[recipient.email.casefold()],
                      refs_of=filed_by if recipient.role == "cc" and not refs[recipient.email.casefold()] else (),
                      own=paying_at.get(recipient.email.casefold(), ()),
                      **_again(reached.get(recipient.email.casefold())))
        messages.append(PlannedMessage(recipient, msg))
    # the messages carry the file as it is now: rendered again since (another run, `grantflow render`
    # with changed data), it holds another version than this one, approved or checked as this one
    if document.docx.suffix == ".docx":
        changed = changed_after_made(document.docx)
        if changed:
            raise ContentConflict(f"{changed}: nothing sent; {EDITED_HINT}")
        stale = pdf_not_made_from(document.docx, document.pdf) if document.pdf else None
        if stale:
            raise ContentConflict(f"{stale}: nothing sent; render with --pdf makes it again from the document")
    now = rendered_now(document.docx) if document.content_hash and document.docx.suffix == ".docx" else None
    if now and now != (document.version, document.content_hash):
        raise ContentConflict(rendered_again(document, now))
    # a funder is outside the council: what goes to one is approved first, whatever the kind's setting
    funder_emails = {f.email.casefold() for f in funders if f.email}
    to_funder = tuple(m.recipient.email for m in messages if m.recipient.email.casefold() in funder_emails)
    approval = settings.delivery.approval.get(document.kind, False) or bool(to_funder)
    same_content = {r.email: same[r.email.casefold()] for r in already if r.email.casefold() in same
                    and r.email.casefold() not in done}
    return DeliveryPlan(document, project, council, messages, already, approval, to_funder, same_content,
                        first_sent, unreached)


def _again(reached: tuple | None) -> dict:
    """``compose``'s words for a re-send to a recipient this version reached before (``reached``:
    when, that mail's Message-ID); none for one it did not."""
    return {"again": reached[0], "first_id": reached[1]} if reached else {}


def rendered_again(document, now: tuple[int, str]) -> str:
    """The refusal for a document whose file was rendered again (``now``: the version and content
    it holds) while this version was being sent or put before an approver."""
    what = (f"as version {now[0]}" if now[0] != document.version else
            f"with other content (still version {now[0]}: that number had not gone out)")
    return (f"{display_path(document.docx)} was rendered again {what} while version {document.version} was "
            f"being sent: nothing sent; a new send sends what it holds now")


def issue(document, sent: dict[str, bytes] | None = None) -> None:
    """Record that this version of a rendered document leaves grantflow now -- sent, or put before
    an approver (``documents.service.mark_issued``): from then on new content is a new version.
    Refused (``ContentConflict``, nothing recorded) when its file was rendered again meanwhile.
    Done before the first row of the ledger is written for it, under the document's lock, so a
    render can never give this number to other content once the ledger knows it. ``sent``: the
    attachments' bytes as they go out (``attached``), kept as the version's copy."""
    if document.content_hash and document.docx.suffix == ".docx":
        now = mark_issued(document.docx, document.version, document.content_hash, sent=sent)
        if now is not None:
            raise ContentConflict(rendered_again(document, now))


def note_approvals(document, ledger: SentLedger) -> None:
    """Write every approver's decision on this version and content, as the ledger keeps it (who,
    when, comment, override reason, the addresses), into the document's record .json
    (``documents.service.mark_approvals``): the same for `send --yes`, the prompt, `run --yes`,
    the Prefect form and a batch. Called when an approval is recorded and after each delivery."""
    if not document.content_hash or document.docx.suffix != ".docx":
        return
    note_decisions(ledger, document.key, document.docx, document.version, document.content_hash)


def note_decisions(ledger: SentLedger, key: str, docx: Path, version: int, content_hash: str) -> bool:
    """``note_approvals`` for a document known by its key, file, version and content hash (an
    answer in the approval form, recorded the moment it arrives: a rejection is never delivered).
    True when the record holds the decisions now (or there are none), False when it does not hold
    this version and content (deleted, or made again from other content); a damaged record is
    ``documents.service._read_record``'s one line (UserError)."""
    decisions = [{"decision": {"approved": "godkjent", "rejected": "avvist"}[e["event"]], "by": e["by"] or "",
                  "at": aware(e["at"]).isoformat(timespec="seconds") if e["at"] else None,
                  "comment": e["comment"] or "", "override_reason": e["override_reason"] or "",
                  "recipients": (e["recipients"] or "").split(",") if e["recipients"] else []}
                 for e in ledger.approval_history(document=key)
                 if e["version"] == version and e["event"] in ("approved", "rejected")
                 and e["document_hash"] == content_hash]
    return mark_approvals(docx, version, content_hash, decisions) if decisions else True


def attached(plan_: DeliveryPlan) -> dict[str, bytes]:
    """The document's files as the planned mails carry them (suffix -> bytes): what goes out, read
    when the mails were composed (the file may have been edited since, at the approver's prompt)."""
    if not plan_.messages or plan_.document.docx.suffix != ".docx":
        return {}
    parts = list(plan_.messages[0].message.iter_attachments())
    return {path.suffix: part.get_content() for path, part in zip(plan_.document.attachments, parts)}


def not_as_sent(document, sent: dict[str, bytes]) -> str:
    """One line when the document's file no longer holds the bytes that were sent (edited in Word
    while the approver sat at the prompt: it was sent as made, and nothing was said); "" if it does."""
    if document.docx.suffix != ".docx" or ".docx" not in sent:
        return ""
    try:
        if document.docx.read_bytes() == sent[".docx"]:
            return ""
    except OSError:
        pass
    kept = version_copies(document.docx.with_suffix(".json")).get(document.version) or []
    return (f"{display_path(document.docx)} is not what was sent (changed while it was being sent; saved in "
            f"Word?): the recipients got version {document.version} as grantflow made it"
            + (f", kept in {display_path(kept[0])}" if kept else "")
            + f"; the changed file is not taken as version {document.version}")


def smtp_password(settings: Settings) -> str | None:
    """The SMTP password from the environment (a Prefect Secret block is resolved by the flows)."""
    return os.environ.get(settings.delivery.smtp.password_env) or None


def make_transport(settings: Settings, name: str | None = None, password: str | None = None):
    name = name or settings.delivery.transport
    if name == "outbox":
        return OutboxTransport(settings.outbox_dir())
    if name == "smtp":
        return SmtpTransport(settings.delivery.smtp, password if password is not None else smtp_password(settings),
                             settings.delivery.from_address)
    raise UserError(f"unknown transport {name!r} (use outbox or smtp)", field="--transport")


def _silence(why: list[str]) -> str:
    """What stopped the send for the recipients after the first (``why``: the first's last error):
    a server down (the connection refused, or not reached) is not one that "gave no answer"."""
    text = why[0] if why else ""
    if text.startswith("cannot connect"):
        refused = "refused" in text.casefold()
        return ("the server refused the connection" if refused else "the server could not be reached") + \
            f" ({text.removeprefix('cannot connect to ')[:200]})"
    return "the server gave no answer"


WAIT_FOR_OTHERS = 120.0   # seconds: a live sender finishes a recipient (with retries) well within this


def attachment_hashes(message) -> str | None:
    """The sha256 of each attachment of ``message`` as it goes out, comma-separated in its order
    (None: no attachment): the history of delivery attempts keeps which bytes each mail carried."""
    digests = [hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest() for part in message.iter_attachments()]
    return ",".join(digests) or None


def deliver(plan_: DeliveryPlan, transport, ledger: SentLedger, retry: RetrySettings,
            sleep: Callable[[float], None] = time.sleep, digest: str | None = None,
            resend: bool = False, wait_for_others: float = WAIT_FOR_OTHERS) -> DeliveryReport:
    """Send every planned message once; transient failures are retried with backoff.

    Each recipient is claimed in the ledger first (see ``ledger``): of two processes delivering
    the same document at once, each recipient gets it from exactly one. A recipient another
    sender holds is waited for (up to ``wait_for_others`` seconds; taken over at once when that
    sender ran on this host and is gone): sent by it counts as "already had", failed is tried
    here, and still ``sending`` is reported as ``pending`` (not done). No exception leaves a claim
    of ours in ``sending``: it is released as failed."""
    doc = plan_.document
    report = DeliveryReport(doc.key, doc.version, transport.name, skipped=[r.email for r in plan_.already],
                            first_sent=dict(plan_.first_sent), unreached=list(plan_.unreached))
    digest = digest or doc.ledger_hash()

    def claim(item: PlannedMessage, abandoned: str | None = None) -> str | None:
        return ledger.claim(document=doc.key, kind=doc.kind, project=plan_.project.id if plan_.project else None,
                            council=plan_.council.id, version=doc.version, document_hash=digest,
                            recipient=item.recipient.email, role=item.recipient.role,
                            message_id=item.message["Message-ID"], transport=transport.name, resend=resend,
                            abandoned=abandoned)

    silent: list[str] = []    # a recipient for whom the server gave no answer through every retry
    silent_why: list[str] = []   # what the last attempt for it said (no connection, no reply)
    silent_before: list[str] = []   # recipients two earlier copies reached without a reply: not sent again
    too_large: list[str] = []  # the server refused the message for its size: every copy has that size

    def send(item: PlannedMessage, token) -> None:
        """Send to one claimed recipient. What the row held before the claim (``token.before``)
        counts: copies an earlier run sent without a reply (each may have arrived) make a further
        copy "possibly twice", and after two no run sends a third unasked (only ``--resend``); a
        sender interrupted after its whole message went counts as one such copy; a row delivered
        before stays delivered when a ``--resend`` of it fails."""
        email = item.recipient.email
        before = getattr(token, "before", None) or {}
        note, went_before = "", False
        earlier = before.get("unanswered") or 0
        if before.get("status") == "sending":
            # taken over from a sender that stopped (gone from this host, or stale)
            host, pid = claim_host(before.get("claim"))
            went_before = before.get("detail") == TRANSMITTING
            earlier += went_before
            note = (f"; taken over from process {pid} on {host}, interrupted while sending since "
                    f"{_when(before['updated_at'])}, " + (
                        "after the whole message had gone to the server: possibly twice (same "
                        "Message-ID: most mail programs show one)" if went_before else
                        "before the message had gone to the server: sent once"))
        taken_over = earlier - (before.get("unanswered") or 0)       # counted here, recorded with the result
        had_it = before.get("delivered_at") is not None        # delivered before (the claim's reading)
        attempts, detail, status, maybe = 0, None, "failed", earlier > 0
        unanswered, went = 0, [False]

        def transmitted() -> None:
            went[0] = True
            ledger.transmitting(doc.key, doc.version, email, token)

        if hasattr(transport, "on_transmit"):
            transport.on_transmit = transmitted
        try:
            if earlier >= 2 and not resend:
                # two whole copies without a reply already: a third could be a third copy
                detail = (f"not sent again: {earlier} copies went to the server without a reply before (it may "
                          f"have them): ask the recipient; grantflow send --resend --recipient {email} sends it "
                          "to this recipient again")
                silent_before.append(email)
            while not silent and not too_large and email not in silent_before:
                attempts += 1
                went[0] = False
                if attempts > 1:          # the claim was made just now for the first
                    ledger.touch(doc.key, doc.version, email, token)
                try:
                    detail = transport.send(item.message)
                    went[0] = False                 # the server's answer came
                    status = "sent"
                    break
                except PermanentError as exc:
                    went[0] = False
                    detail = f"refused: {exc}"
                    if exc.too_large:
                        too_large.append(f"{email}: {exc}")
                    break
                except TransientError as exc:
                    went[0] = False                 # a copy without a reply is counted here
                    detail = f"temporary failure: {exc}"
                    if exc.maybe_delivered:
                        unanswered += 1
                    if exc.maybe_delivered and maybe:
                        # two whole copies without a reply: a third try could make a third copy
                        detail += "; sent twice without a reply, not tried again: ask the recipient"
                        silent.append(email)
                        break
                    maybe = maybe or exc.maybe_delivered
                    if attempts >= retry.attempts:
                        if exc.unreachable:
                            silent.append(email)
                            silent_why.append(str(exc))
                        break
                    backoff = retry.backoff_seconds or [1]
                    sleep(max(0.0, backoff[min(attempts - 1, len(backoff) - 1)]))
            else:
                if email not in silent_before:
                    # the rest would each wait through the same retries for the same silence, or be
                    # refused for the same size
                    detail = (f"not tried: {_silence(silent_why)} when sending to {silent[0]}; "
                              "a new send reaches this recipient") if silent else \
                        f"not tried: the server refused the same message as too large for {too_large[0]}"
            if unanswered and status != "sent" and "it may have arrived" not in (detail or ""):
                detail = f"{detail}; an earlier attempt got no reply after the whole message was sent: it may have arrived"
            detail = f"{detail}{note}"
            if maybe and status == "sent" and not went_before:
                detail += ("; an earlier attempt got no reply after the whole message was sent, so the recipient "
                           "may have it twice (same Message-ID: most mail programs show one)")
        except BaseException as exc:
            # a user error (bad config), a defect or an interrupt: the claim is released as failed;
            # interrupted after the whole message went (waiting for the reply), it may have arrived
            status, detail = "failed", f"interrupted: {str(exc) or type(exc).__name__}"
            if went[0]:
                unanswered += 1
                detail += " after the whole message had gone to the server (it may have arrived)"
            raise
        finally:
            recorded = status
            if status == "failed" and had_it:
                # a --resend that failed: the recipient had it from the earlier delivery
                recorded = "sent"
                detail = f"{detail}; the resend failed, the recipient had it delivered before"
            elif status == "failed" and (unanswered or earlier):
                # a whole copy went without a reply (now or before): not known to have failed
                recorded = UNCERTAIN
            try:
                ledger.finish(doc.key, doc.version, email, recorded, attempts, detail, token,
                              unanswered=unanswered + taken_over,
                              delivered=status == "sent" and delivers(transport.name),
                              message_id=item.message["Message-ID"],
                              attachment_sha256=attachment_hashes(item.message))
            except SQLAlchemyError as exc:
                what = "was accepted by the mail server" if status == "sent" else f"ended {status}"
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
                raise UserError(
                    f"the mail to {email} {what}, but the sent ledger could not record it ({reason}); "
                    "free the space or mend the database, then see grantflow sent: the next send sends it "
                    "again, said there as possibly twice", field="delivery.ledger_url") from None
        if maybe and status == "sent":
            report.doubtful.append((email, detail))
        if status == "sent":
            report.sent.append(email)
        else:
            report.failed.append((email, detail or "unknown error"))
            if recorded == UNCERTAIN:
                report.uncertain.append((email, detail or "unknown error"))

    def pending_text(row: dict) -> str:
        host, pid = claim_host(row.get("claim"))
        since = _when(row["updated_at"])
        if claim_alive(row.get("claim")):
            # a sender still running on this machine is never taken over (README): no time was true
            return (f"being sent by process {pid} on this machine since {since}, still running: it is not "
                    "taken over while it runs; see grantflow sent when it is done")
        takeover = _when(aware(row["updated_at"]) + STALE_CLAIM)
        return (f"being sent by process {pid} on {host} since {since} (still running, or interrupted on "
                f"another host); a send from {takeover} on takes it over (same Message-ID)")

    elsewhere: list[PlannedMessage] = []
    sent = attached(plan_)
    try:
        if plan_.messages:
            issue(doc, sent)
        for item in plan_.messages:
            token = claim(item)
            if token is not None:
                send(item, token)
                continue
            row = ledger.holder(doc.key, doc.version, item.recipient.email)
            if row is not None and row["status"] == "sending":
                elsewhere.append(item)       # another sender holds it: see below
            else:
                report.skipped.append(item.recipient.email)   # sent meanwhile
        deadline = time.monotonic() + wait_for_others
        while elsewhere:
            waiting = []
            for item in elsewhere:
                email = item.recipient.email
                row = ledger.holder(doc.key, doc.version, email)
                if row is None or row["status"] != "sending":
                    token = claim(item)       # failed there: try here; sent there: nothing to do
                    if token is not None:
                        send(item, token)
                        continue
                    row = ledger.holder(doc.key, doc.version, email)
                    if row is None or row["status"] != "sending":
                        report.skipped.append(email)
                        continue
                alive = claim_alive(row.get("claim"))
                if alive is False:
                    # its sender ran here and is gone (killed, crashed): it will never finish; killed
                    # after the whole message went, the server may have it (``send`` says possibly twice)
                    token = claim(item, abandoned=row.get("claim"))
                    if token is not None:
                        send(item, token)
                        continue
                    # another run took it over just now: see what that one does
                if time.monotonic() >= deadline:
                    report.pending.append((email, pending_text(row)))
                else:
                    waiting.append(item)
            elsewhere = waiting
            if elsewhere:
                time.sleep(0.2)
    finally:
        transport.close()
    if report.sent and delivers(transport.name) and doc.docx.suffix == ".docx":
        # the next report compares with this one; how many of its recipients have it now
        have = len(report.sent) + len(report.skipped)
        mark_delivered(doc.docx, doc.version, have, have + len(report.failed) + len(report.pending))
    if report.sent:
        note_approvals(doc, ledger)       # who let it out, in its record (a run's form, a batch's, the CLI's)
        report.not_as_sent = not_as_sent(doc, sent)
    return report


@dataclass(frozen=True)
class Clearance:
    """May a document go out now, or must a person act first? The one rule for every way of
    sending (document flows, ``grantflow send``, the batch): to an external transport (not the
    outbox), a kind that needs approval waits for an approver, and errors in the document's
    findings block sending unless an approver overrides them with a recorded reason."""

    external: bool
    approval_required: bool
    errors: tuple[str, ...]

    @property
    def needs_person(self) -> bool:
        return self.external and (self.approval_required or bool(self.errors))

    def given(self, approved: bool, override_reason: str = "") -> bool:
        """Whether an approval given (in advance, or by an approver) covers this document."""
        return approved and (not self.errors or bool((override_reason or "").strip()))

    def may_send(self, approved: bool = False, override_reason: str = "") -> bool:
        return not self.needs_person or self.given(approved, override_reason)

    def waiting_text(self) -> str:
        """Why an unattended run left the document unsent (Norwegian: shown to the secretariat)."""
        if self.errors:
            return (f"venter på godkjenning: dataene har {len(self.errors)} feil; kjør dokumentflyten "
                    "(en godkjenner må overstyre med begrunnelse)")
        return "venter på godkjenning: kjør dokumentflyten"


def rejection(ledger: SentLedger, document: Document, norwegian: bool = False) -> str | None:
    """Why this content may not go out on an approval given in advance (``--yes``, a batch or a
    run started approved): an approver rejected it (this version, this content; a decision from
    before hashes were recorded is taken as this content). None if nobody did. A rejection stands
    until a person decides again (interactively, in the form) or the document changes (a new
    version is asked for anew)."""
    row = ledger.approval(document.key, document.version)
    if not row or row["status"] != "rejected" or \
            row["document_hash"] not in (None, document.ledger_hash(), document.sha256()):
        return None
    why = f": {row['comment']}" if row["comment"] else ""
    verb = "avvist av" if norwegian else "rejected by"
    return f"{verb} {row['decided_by'] or 'unknown'} {_when(row['decided_at'])}{why}"


def withdrawal(ledger: SentLedger, document: Document) -> str | None:
    """Why no unattended send (a batch, also one approved in advance) may deliver this version: its
    approval request was withdrawn when the document's last day passed unapproved (the deadline
    watch, which told the secretariat). Only the secretariat sends it now, by hand (``grantflow
    send``, which asks anew). None if it was not withdrawn."""
    row = ledger.approval(document.key, document.version)
    if not row or row["status"] != "withdrawn":
        return None
    return (f"forespørselen om godkjenning ble trukket tilbake {_when(row['decided_at'])}"
            + (f": {row['comment']}" if row["comment"] else "")
            + "; bunkekjøringen sender den ikke, sekretariatet sender den for hånd med grantflow send")


def standing_approval(ledger: SentLedger, document: Document, recipients: list[str],
                      errors: tuple[str, ...]) -> dict | None:
    """The approval in the ledger that lets an unattended send (the batch) deliver this content now:
    approved for this version and content (not a decision from before hashes were recorded), shown
    with these recipients (``covers``), and with an override reason where the data have errors --
    what an approver said yes to goes out without someone typing ``send``. None if there is none.
    Never twice: ``deliver`` claims each recipient, also against another process sending it."""
    row = ledger.approval(document.key, document.version)
    if not row or row["status"] != "approved" or row["document_hash"] not in (document.ledger_hash(),
                                                                               document.sha256()):
        return None
    if not covers(row, recipients) or (errors and not (row["override_reason"] or "").strip()):
        return None
    return row


def clearance(findings, approval_required: bool, transport_name: str) -> Clearance:
    """The ``Clearance`` of a document with these findings, for this transport."""
    external = delivers(transport_name)
    errors = tuple(str(f) for f in findings if f.severity == "error") if external else ()
    return Clearance(external, bool(approval_required), errors)


def send_produced(produced: Produced, register: Register, settings: Settings, transport_name: str,
                  password: str | None = None, resend: bool = False, unattended: bool = False,
                  approved: bool = False, run_id: str | None = None, funders: list[str] | tuple[str, ...] = (),
                  unknown_funders_ok: bool = False, approver: tuple[str, str] | None = None) -> DeliveryReport:
    """Plan and deliver a rendered document in one go. Attended (default): the caller has already
    taken the approval step. ``unattended`` (the batch): a document that needs a person
    (``Clearance``) is not sent; its approval request is recorded in the ledger and the report's
    ``held`` says why. ``approved``: approval given in advance (covers no data errors), recorded as
    given by ``approver`` (name, how: ``flows.documents.advance_approver``), else by nobody known
    ("ukjent": a scheduled batch has nobody behind it). ``funders``:
    ids of funders to send it to besides those whose deadline asks for it (``unknown_funders_ok``:
    an id no longer in config is passed over, see ``funders_named``)."""
    project = register.project(produced.project) if produced.project else None
    council = register.council(produced.council)
    named = funders_named(funders, register, project, council, produced.kind, produced.period,
                          settings.deadline_shift, unknown_funders_ok)
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document_from(produced, register), project, council,
                        settings, ledger, resend, transport_name, named)
        doc = the_plan.document
        if unattended and the_plan.messages:
            gate = clearance(produced.findings, the_plan.approval_required, transport_name)
            refused = rejection(ledger, doc, norwegian=True) if gate.needs_person else None
            if refused:   # approval in advance does not undo an approver's "no"; the decision is kept
                return DeliveryReport(doc.key, doc.version, transport_name,
                                      skipped=[r.email for r in the_plan.already],
                                      held=f"{refused}; rett dataene (en ny versjon spørres på nytt) eller "
                                           "avgjør på nytt med grantflow send uten --yes")
            withdrawn = withdrawal(ledger, doc) if gate.needs_person else None
            if withdrawn:  # its last day passed unapproved: only the secretariat sends it now, by hand
                return DeliveryReport(doc.key, doc.version, transport_name,
                                      skipped=[r.email for r in the_plan.already], held=withdrawn)
            shown = [m.recipient.email for m in the_plan.messages]
            standing = standing_approval(ledger, doc, shown, gate.errors) if gate.needs_person else None
            if not gate.may_send(approved) and standing is None:
                # no run waits for this answer (the batch goes on): no run is linked, and a run
                # that does wait for it (a document flow asking the approver) keeps its request
                issue(doc)
                # approved for other addresses than it goes to now (the config changed since): asked
                # anew for these, so that the approver is told (the earlier decision stays in the history)
                earlier = ledger.approval(doc.key, doc.version) if gate.needs_person else None
                widened = bool(earlier and earlier["status"] == "approved" and not covers(earlier, shown))
                asked = ledger.approval_requested(doc.key, doc.version, None, None, doc.ledger_hash(),
                                                  keep_open=True, recipients=shown, replace=widened)
                return DeliveryReport(doc.key, doc.version, transport_name,
                                      skipped=[r.email for r in the_plan.already], held=gate.waiting_text(),
                                      asked=asked)
            if gate.needs_person and standing is None:   # approved in advance: recorded like `grantflow send --yes`
                issue(doc)
                ledger.approval_requested(doc.key, doc.version, run_id, None, doc.ledger_hash(), recipients=shown)
                by, how = approver or ("ukjent", "godkjent på forhånd (approved) uten navn")
                ledger.approval_decided(doc.key, doc.version, True, by, how, "", doc.ledger_hash(), recipients=shown)
        return deliver(the_plan, make_transport(settings, transport_name, password), ledger,
                       settings.delivery.retry, resend=resend)
    finally:
        ledger.close()


def notify(key: str, day: str, subject_text: str, lines: list[str], name: str, email: str, project: Project | None,
           council: Council, settings: Settings, ledger: SentLedger, transport, retry: RetrySettings,
           sleep: Callable[[float], None] = time.sleep,
           attachments: tuple[Path | tuple[Path, str], ...] = ()) -> DeliveryReport:
    """Mail one person who must act (reminder, approval request); at most once per key and day."""
    if not email:
        transport.close()
        raise UserError(f"{name} has no e-mail address to send a notice to", field="email")
    ledger_key = f"{key}/{day}"
    report = DeliveryReport(ledger_key, 1, transport.name)
    if email.casefold() in ledger.sent_to(ledger_key, 1, transport.name):
        report.skipped.append(email)
        transport.close()
        return report
    msg = compose_reminder(key, day, subject_text, lines, name, email, sender_for(council, settings),
                           attachments=attachments)
    note = Document(ledger_key, key.split("/", 1)[0][:40], subject_text, project.name if project else council.name,
                    day, 1, Path(), None)
    the_plan = DeliveryPlan(note, project, council, [PlannedMessage(Recipient(name, email, "to"), msg)], [], False)
    return deliver(the_plan, transport, ledger, retry, sleep, digest=NOTICE_HASH)


def remind(item_key: str, day: str, title: str, project: Project, council: Council, problem: str, due_text: str,
           settings: Settings, ledger: SentLedger, transport, retry: RetrySettings,
           sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Tell the project leader that a due document needs their input; at most once per item and day."""
    leader = project.leader
    if not leader.email:
        transport.close()
        raise UserError(f"the project leader of {project.name} has no e-mail address", field="leader.email")
    lines = [f"{title} for {project.name} skal sendes innen {due_text}, men grantflow kunne ikke lage den:",
             problem,
             "Rett opp i dataene og kjør på nytt, eller vent til neste automatiske kjøring."]
    return notify(f"reminder/{item_key}", day, f"Påminnelse: {title} for {project.name} trenger data", lines,
                  leader.name, leader.email, project, council, settings, ledger, transport, retry, sleep)


def where_configured(root: Path, email: str) -> list[str]:
    """Where under the config folder ``root`` the address ``email`` is written ("projects/x.yaml:22"),
    for a secretariat told that a mail server refused it: the line to correct."""
    out = []
    for path in sorted(Path(root).rglob("*.y*ml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out += [f"{path.relative_to(root).as_posix()}:{number}" for number, line in enumerate(text.splitlines(), 1)
                if email.casefold() in line.casefold()]
    return out


def uncertain_advice(email: str) -> str:
    """What to do about a mail that may have arrived (``DeliveryReport.uncertain``), in one line of
    Norwegian: ``grantflow sent`` and the secretariat's mail say it alike."""
    return (f"kan ha kommet fram: spør mottakeren før grantflow send --resend --recipient {email} "
            "(da får mottakeren en ny e-post)")


def refused_lines(failed: list[tuple[str, str]], root: Path) -> list[str]:
    """One line per recipient a mail server refused: the address, the server's words, and where the
    address is written in the config; then what to do. In Norwegian, for the secretariat."""
    lines = []
    for email, reason in failed:
        where = where_configured(root, email)
        lines.append(f"- {email}: serveren svarte «{reason}»"
                     + (f" (adressen står i {', '.join(where)} i konfigurasjonsmappen)" if where else ""))
    permanent = [e for e, reason in failed if re.search(r"\b5\d\d\b", reason)]   # "refused: 550 5.1.1 …"
    if permanent:
        lines.append("Dette er et adresseproblem, ikke en feil i dataene: mottakerens e-postserver avviste "
                     "adressen (en 5xx-feil, som ikke går over av seg selv). Rett adressen i filen som er nevnt "
                     "(spør mottakeren om riktig adresse), eller fjern mottakeren. Fristvakten sender da dokumentet "
                     "neste virkedag til dem som ikke har fått det; de andre får det ikke to ganger.")
    else:
        lines.append("E-postserveren tok ikke imot dokumentet for disse mottakerne nå. Fristvakten prøver igjen "
                     "neste virkedag for dem som ikke har fått det; de andre får det ikke to ganger.")
    return lines
