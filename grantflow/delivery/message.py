"""The e-mail that carries a document: Norwegian subject and body (plain text and HTML with the
same content), attachments, Reply-To the secretariat and a deterministic Message-ID."""

from __future__ import annotations

import hashlib
import html
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from datetime import date, datetime, timezone
from pathlib import Path

from ..clock import OSLO
from .. import fmt
from ..errors import UserError
from ..text import _ENCODED_WORD as ENCODED_WORD, line_break

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PDF = ("application", "pdf")


@dataclass(frozen=True)
class Document:
    """A rendered document ready to send."""

    key: str                 # council/project/kind-period
    kind: str
    title: str               # e.g. "Statusrapport"
    subject_name: str        # project or council name
    period_text: str
    version: int
    docx: Path
    pdf: Path | None = None
    key_figures: dict = field(default_factory=dict)
    # what makes two renders the same document (``documents.service.content_hash``): the same in
    # every outputs folder, unlike the .docx bytes (its embedded charts carry the time they were made)
    content_hash: str | None = None
    # the attachment's name as the recipient sees it, without suffix: what, for which project or
    # council, which period ("sluttrapport-kongsbergregionen-erp-2014"); None: the file's own name
    attachment_stem: str | None = None
    # why the county governor has nothing to receive (the project, or the council's projects that
    # year, have no skjønnsmidler); None: the document is about its money
    no_skjonnsmidler: str | None = None
    # the day the document names the county governor by: its mail names the office so too
    addressed: date | None = None
    # what differs from each earlier version (``documents.service.version_changes``): said in the
    # mail of this version to a reader who has that one
    changes: dict = field(default_factory=dict)
    # a draft's words ("UTKAST per 28.11.2026"): in the subject, so that nobody files it as final
    draft: str = ""
    # a cost split: the municipalities with a share in it, which get it at their contact addresses
    payers: tuple[str, ...] = ()
    # the secretariat's comment on this sending (``send --comment``): the mail of a new version and
    # of a re-send says it, as text ("Forklaring på mindreforbruket er lagt til i avsnitt 4.")
    reason: str = ""
    # a new version dated before the version it replaces, which went out: (that version, its day,
    # this version's day) (``Produced.dated_before``), said in the mail to a reader who has that one
    dated_before: tuple[int, date, date] | None = None
    # the case numbers of the awards the document reports on, by the (casefolded) address that files
    # by them, each (reference, project name or ""): ``delivery.service.case_references``
    case_refs: dict = field(default_factory=dict)
    # a final report: the settlement with the municipalities each version stated
    # (``documents.service.settlements``), version -> {"back", "total", "parts"}; each paying
    # municipality's mail says its own part first, and its change from the version it has
    settlements: dict = field(default_factory=dict)

    @property
    def attachments(self) -> list[Path]:
        return [p for p in (self.docx, self.pdf) if p is not None]

    def attachment_name(self, path: Path, first_copy: bool = False) -> str:
        """The attachment's name as a recipient sees it; ``first_copy``: for a reader who has no
        earlier version, without the "-versjon-N" a replacing copy is named by."""
        if not self.attachment_stem:
            return path.name
        stem = self.attachment_stem
        if first_copy:
            stem = stem.removesuffix(f"-versjon-{self.version}")
        return f"{stem}{path.suffix}"

    def ledger_hash(self) -> str:
        """The hash the sent ledger records: the content hash, else the files' bytes."""
        return self.content_hash or self.sha256()

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for path in self.attachments:
            digest.update(path.read_bytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class Sender:
    address: str
    name: str
    reply_to: str
    reply_to_name: str
    organisation: str


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot go into an e-mail header, or None.

    Refused: any line break Python knows (CR, LF, VT, FF, FS/GS/RS, NEL, U+2028, U+2029) and other
    control characters, also inside an RFC 2047 encoded word (``grantflow.text.line_break``, the
    check validation uses too), and any encoded word at all: a name never needs one (we encode on
    output), and Python 3.11.7's email package decodes one carrying CR/LF into a real header line."""
    found = line_break(value)
    if found:
        return f"contains a line break or control character ({found})"
    if ENCODED_WORD.search(value):
        return "contains an RFC 2047 encoded word (=?charset?q?...?=)"
    return None


def single_line(value: str, what: str) -> str:
    """Header values must be one plain line: a line break would let text inject headers."""
    problem = header_problem(value)
    if problem:
        raise UserError(f"{what} {problem}, which is not allowed in e-mail headers: {value!r}", field=what)
    return value


def _address(name: str, email: str, what: str) -> Address:
    single_line(name, what)
    single_line(email, what)
    try:
        user, domain = email.split("@", 1)
        return Address(display_name=name if name != email else "", username=user, domain=domain)
    except (ValueError, IndexError) as exc:
        raise UserError(f"invalid e-mail address {email!r} ({exc})", field=what) from None


# Headers with user text are stored as written: on one line when they fit, else as RFC 2047
# encoded words folded by email.header (the older encoder). EmailMessage's own folder (CPython
# 3.11) loses or adds a space where it folds between two encoded words (the demo's subject
# 'Nord-Gudbrandsdal – 2019–2020' arrived as 'Nord-Gudbrandsdal  –2019–2020'; ~9 % of subjects of
# Norwegian words, and names: '2019–2020' as '2019–202 0'), and drops the quotes of a long display
# name with a colon, which then reads as a group of no addresses (tests/delivery/test_header_folding.py).
_FITS = 78


def _set_text(msg: EmailMessage, header: str, value: str, what: str) -> None:
    single_line(value, what)
    plain = value.isascii() and "=?" not in value and len(header) + 2 + len(value) <= _FITS
    msg.set_raw(header, value if plain else Header(value, "utf-8", header_name=header).encode())


def _set_address(msg: EmailMessage, header: str, name: str, email: str, what: str) -> None:
    address = _address(name, email, what)
    written = formataddr((address.display_name, address.addr_spec))     # quoted as needed
    if address.display_name and not (address.display_name.isascii() and "=?" not in address.display_name
                                     and len(header) + 2 + len(written) <= _FITS):
        folded = Header(header_name=header)
        folded.append(address.display_name, "utf-8")
        folded.append(f"<{address.addr_spec}>", "us-ascii")
        written = folded.encode()
    msg.set_raw(header, written)


def message_id(document: Document, email: str, domain: str, resend: bool = False) -> str:
    """The same (document, version, recipient) always gets the same Message-ID, so a send taken
    over after a crash shows as one message. A deliberate resend (``--resend``) gets a new one:
    mail servers and clients drop a message whose Message-ID they have seen, which would lose
    exactly the copy someone asked for again."""
    seed = f"{document.key}|v{document.version}|{email.casefold()}"
    if resend:
        seed += f"|resend|{uuid.uuid4().hex}"
    token = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return f"<{token}.v{document.version}@{domain}>"


def references(refs, named: bool = True) -> str:
    """Case numbers as a mail writes them: "2024/0101, 2025/0202"; ``named``: each with its project
    where there are several ("2024/0101 (Fjord digital), 2024/0303 (Fjord kompetanse)")."""
    return ", ".join(dict.fromkeys(f"{ref} ({project})" if named and project else ref for ref, project in refs))


def subject(document: Document, replaces: tuple[int, datetime] | None = None,
            again: datetime | None = None, refs=()) -> str:
    """The subject; a version is named only to a reader who has an earlier one (``replaces``): a
    reader's first copy is not "(versjon 2)" of a version 1 that reached nobody (only the outbox).
    ``again``: this version reached the reader before, then (a re-send): said, not "erstatter".
    ``refs``: the reader's own case numbers for it (``Document.case_refs``), "– Deres ref. …" last."""
    text = f"{document.title}: {document.subject_name} – {document.period_text}"
    if document.draft:
        # the running year's usage report went out as "… – 2026" with nothing but "Brukt per
        # 28.11.2026" to say it was a draft (found by a reviewer)
        text += f" ({document.draft})"
    if again:
        # a re-send said "(versjon 3, erstatter versjon 2)" again, byte for byte, with a new
        # Message-ID: the archive filed it as another document (an outside tester)
        text += f" (ny utsending av versjon {document.version}, sendt første gang {_day(again)})"
    elif replaces:
        text += f" (versjon {document.version}, erstatter versjon {replaces[0]})"
    if refs:
        # a case officer files by their own number (the final and usage reports came with none: an outside tester)
        text += f" – Deres ref. {references(refs, named=False)}"
    return single_line(text, "subject")


def _day(moment: datetime) -> str:
    """The day of ``moment`` in Norway, written out: "20. januar 2026"."""
    return fmt.long_date(moment.astimezone(OSLO).date())


def settlement_line(document: Document, name: str, replaces: tuple[int, datetime] | None = None) -> str | None:
    """A paying municipality's own part of the final settlement, as its mail says it first: "Dal
    kommune får tilbake 6 346 kr i avregningen med kommunene (12,7 % av kommunenes ubrukte andel,
    50 000 kr)."; to a reader of an earlier version (``replaces``), with its change from that one.
    None when this version gives it no part and no earlier one it has did."""
    from ..documents.service import settlement_words
    from .recipients import municipality_office

    now = document.settlements.get(document.version)
    if not now:
        return None
    then = document.settlements.get(replaces[0]) if replaces else None
    part = (now.get("parts") or {}).get(name)
    office = municipality_office(name)
    if part:
        text = (f"{office} {'får tilbake' if now.get('back') else 'betaler'} {part[0]} i avregningen med kommunene "
                f"({part[1]} av kommunenes {'ubrukte andel' if now.get('back') else 'merforbruk'}, {now['total']}).")
    elif then and (then.get("parts") or {}).get(name):
        text = f"{office} har ingen andel i avregningen med kommunene i denne versjonen."
    else:
        return None
    if then is not None:
        was, is_ = settlement_words(then, name), settlement_words(now, name)
        text += (f" Endret fra versjon {replaces[0]}: {was} → {is_}." if was != is_ else
                 f" Uendret fra versjon {replaces[0]}.")
    return text


def body_lines(document: Document, recipient_name: str, cc_names: list[str], sender: Sender,
               replaces: tuple[int, datetime] | None = None, sent_to: list[str] | None = None,
               own_copy: bool = False, office: bool = False,
               first_sent: tuple[str, int, datetime] | None = None, again: datetime | None = None,
               refs=(), refs_of=(), own: tuple[str, ...] = ()) -> list:
    """The body as a list of paragraphs; a list item is a (label, value) tuple. ``replaces``: the
    earlier version this recipient has and when it was sent (this one is a new version of it).
    ``sent_to``: for a copy (cc), whom the document is for. ``own_copy``: the copy goes to the
    sender's own reply address (the secretariat's file copy): no greeting to itself, no "questions
    to" itself (it read "Hei Sekretariatet i Haugaland Vekst, … Spørsmål kan rettes til
    Sekretariatet i Haugaland Vekst"). ``office``: the recipient is an office, not a person
    ("Til Statsforvalteren i Rogaland" rather than "Hei Statsforvalteren i Rogaland,").
    ``first_sent``: the office had the document before at another address (address, version, when):
    said, so that it is not registered as a new document. ``again``: when this version first reached
    the recipient (a re-send: said so, not that it replaces anything). The secretariat's comment
    (``document.reason``) is said in the mail of a new version and of a re-send. ``refs``: the
    recipient's own case numbers for the document, under its first line ("Deres ref.: 2024/0101");
    ``refs_of``: for a copy, (addressee, its case numbers) of those it is sent to, said as theirs.
    ``own``: the paying municipalities at this address: each one's part of the final settlement
    first, right under the greeting (``settlement_line``)."""
    first = "Sekretariatets kopi." if own_copy else f"Til {recipient_name}" if office else f"Hei {recipient_name},"
    parts: list = [first + (f"\nDeres ref.: {references(refs)}" if refs else "")]
    parts += [line for line in (settlement_line(document, name, replaces) for name in own) if line]
    parts += [f"Vedlagt følger {document.title.lower()} for {document.subject_name} ({document.period_text})"
                   + (f", versjon {document.version}." if replaces or again else ".")]
    if sent_to:
        parts.append(("Den er sendt til " if own_copy else "Du får den i kopi; den er sendt til ")
                     + fmt.listing(sent_to) + ".")
    if refs_of:
        parts.append("Saksnr. hos " + "; hos ".join(f"{name}: {references(refs)}" for name, refs in refs_of) + ".")
    if first_sent:
        address, version, when = first_sent
        parts.append(f"{document.title} ble sendt første gang {fmt.long_date(when.astimezone(OSLO).date())} til "
                     f"{address} (tidligere adresse)" + (f", som versjon {version}" if version != document.version
                                                          else "")
                     + ". Dette er ikke en ny innsending: den sendes nå til den nye adressen.")
    if again:
        parts.append(f"Dette er en ny utsending av versjon {document.version}, som ble sendt deg første gang "
                     f"{_day(again)}; det er ikke en ny versjon.")
        if document.reason:
            parts.append(f"Sekretariatets kommentar: {document.reason}")
    elif replaces:
        sent = fmt.long_date(replaces[1].astimezone(OSLO).date())
        parts.append(f"Denne versjonen erstatter versjon {replaces[0]}, som ble sendt deg {sent}. "
                     f"Bruk versjon {document.version} og se bort fra den forrige.")
        if document.reason:
            # a text-only correction's mail said only "endringene er i teksten": the reader had to
            # compare two documents to find the new paragraph (an outside tester)
            parts.append(f"Sekretariatets kommentar til den nye versjonen: {document.reason}")
        if document.dated_before and document.dated_before[0] == replaces[0]:
            # the archive files by date: a replacement dated before what it replaces reads as the older
            old, day, made = document.dated_before
            parts.append(f"Merk: versjon {document.version} er datert {fmt.long_date(made)}, før versjon {old} "
                         f"(datert {fmt.long_date(day)}), som den erstatter.")
        changed = document.changes.get(replaces[0])
        if changed:
            items = [c for c in changed if isinstance(c, tuple)]
            parts.append(f"Endret fra versjon {replaces[0]}:" if items else
                         " ".join(c for c in changed if isinstance(c, str)))
            parts.extend(items)
    if document.key_figures:
        parts.append("Nøkkeltall:")
        parts.extend((k, str(v)) for k, v in document.key_figures.items())
    if cc_names:
        parts.append("Kopi til: " + ", ".join(cc_names) + ".")
    if own_copy:
        return parts
    parts.append(f"Spørsmål kan rettes til {sender.reply_to_name} ({sender.reply_to}); "
                 "svar på denne e-posten går dit.")
    parts.append(f"Med vennlig hilsen\n{sender.reply_to_name}\n{sender.organisation}")
    return parts


def _plain(parts: list) -> str:
    out, in_list = [], False
    for part in parts:
        if isinstance(part, tuple):
            out.append(f"- {part[0]}: {part[1]}")
            in_list = True
            continue
        if in_list:
            out.append("")
            in_list = False
        out.append(part)
        out.append("")
    return "\n".join(out).strip() + "\n"


def _html(parts: list) -> str:
    out, items = [], []
    for part in parts:
        if isinstance(part, tuple):
            items.append(f"<li>{html.escape(part[0])}: {html.escape(part[1])}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        out.append("<p>" + html.escape(part).replace("\n", "<br>") + "</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "<!DOCTYPE html><html lang=\"nb\"><body>" + "".join(out) + "</body></html>"


def compose(document: Document, recipient_name: str, recipient_email: str, cc_names: list[str],
            sender: Sender, when: datetime | None = None, resend: bool = False,
            replaces: tuple[int, datetime] | None = None, sent_to: list[str] | None = None,
            office: bool = False, first_sent: tuple[str, int, datetime] | None = None,
            again: datetime | None = None, first_id: str | None = None, refs=(), refs_of=(),
            own: tuple[str, ...] = ()) -> EmailMessage:
    """One RFC 5322 message to one recipient with the document attached; ``replaces``: the earlier
    version the recipient has (version, when sent), named in the subject and the body; ``sent_to``:
    for a copy, the names the document is sent to; ``again``: when this version first reached the
    recipient (a re-send, which refers to that first mail's Message-ID, ``first_id`` where the ledger has it);
    ``refs``, ``refs_of``: the case numbers (``body_lines``), the recipient's own in the subject too."""
    msg = EmailMessage()
    _set_text(msg, "Subject", subject(document, replaces, again, refs), "subject")
    _set_address(msg, "From", sender.name, sender.address, "from_address")
    _set_address(msg, "To", recipient_name, recipient_email, "recipient")
    _set_address(msg, "Reply-To", sender.reply_to_name, sender.reply_to, "reply_to")
    msg["Date"] = format_datetime(when or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id(document, recipient_email, sender.address.split("@", 1)[1], resend)
    if again:
        # the first mail of this version to this recipient: a mail program or archive threads the copy with it
        msg["References"] = single_line(first_id or message_id(document, recipient_email,
                                                               sender.address.split("@", 1)[1]), "References")
    msg["X-Grantflow-Document"] = single_line(f"{document.key} v{document.version}", "document")
    parts = body_lines(document, recipient_name, cc_names, sender, replaces, sent_to,
                       own_copy=sent_to is not None and recipient_email.casefold() == sender.reply_to.casefold(),
                       office=office, first_sent=first_sent, again=again, refs=refs, refs_of=refs_of, own=own)
    msg.set_content(_plain(parts))
    msg.add_alternative(_html(parts), subtype="html")
    for path in document.attachments:
        maintype, subtype = PDF if path.suffix.lower() == ".pdf" else DOCX
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=document.attachment_name(path, first_copy=not replaces))
    return msg


def compose_reminder(key: str, day_token: str, subject_text: str, lines: list[str], to_name: str, to_email: str,
                     sender: Sender, when: datetime | None = None,
                     attachments: tuple[Path | tuple[Path, str], ...] = ()) -> EmailMessage:
    """A note to a person who must act (a reminder, an approval request); one Message-ID per key
    and day token. ``attachments``: files, or (file, the name it is attached by)."""
    msg = EmailMessage()
    _set_text(msg, "Subject", subject_text, "subject")
    _set_address(msg, "From", sender.name, sender.address, "from_address")
    _set_address(msg, "To", to_name, to_email, "recipient")
    _set_address(msg, "Reply-To", sender.reply_to_name, sender.reply_to, "reply_to")
    msg["Date"] = format_datetime(when or datetime.now(timezone.utc))
    token = hashlib.sha256(f"reminder|{key}|{day_token}|{to_email.casefold()}".encode()).hexdigest()[:32]
    msg["Message-ID"] = f"<{token}.reminder@{sender.address.split('@', 1)[1]}>"
    parts = [f"Hei {to_name},", *lines,
             f"Med vennlig hilsen\n{sender.reply_to_name}\n{sender.organisation}"]
    msg.set_content(_plain(parts))
    msg.add_alternative(_html(parts), subtype="html")
    for item in attachments:
        path, name = item if isinstance(item, tuple) else (item, item.name)
        maintype, subtype = PDF if path.suffix.lower() == ".pdf" else DOCX
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    return msg
