"""The sent ledger: every delivery attempt and its result (SQLAlchemy; SQLite by default).

One row per (document, version, recipient), unique in the database. Before talking to SMTP a
sender *claims* the row: it inserts it in state ``sending`` (or turns a ``failed`` row into
``sending``) in one statement, so of two processes sending the same document at once exactly one
gets each recipient; the other skips that recipient. Works the same on SQLite and PostgreSQL: the
unique constraint decides between two inserts, a conditional UPDATE between two takeovers.

A claim left ``sending`` by a crashed process is taken over by the next run: at once when that
process ran on this host and is gone (``claim_alive``), never while it runs here, else once it is
stale after ``STALE_CLAIM`` (30 minutes since its last attempt began; ``touch``), since whether the
holder still runs can be told only on its own host (and in its own process-id namespace). The taker sends again with the same Message-ID, so at worst
a recipient gets one duplicate that mail clients show as one message (the crash may have come after
the server had the message); a document is never lost. ``grantflow sent`` shows rows still
``sending``; until a run takes one over, a sender that meets it reports the recipient as pending
(``service.deliver``), not as done.

A send to the local outbox (``LOCAL``) is recorded like any other, but it is a copy on
this machine, not a delivery: for a transport that delivers (SMTP) such a row is neither "already
had" (``sent_to``) nor in the way of a claim, which takes it over. A row sent by SMTP counts as
had for the outbox too. A reader is told which is which (``outcome``: ``LOCAL_COPY``), and the row's
``attempts``, which count the outbox copy too, less the history's outbox copies (``server_attempts``).

A send that ended without the server's yes after a whole copy went to it unanswered is recorded
``uncertain`` (it may have arrived), not ``failed``; it is claimed and retried as a failed one is.

``document_hash`` is the document's content hash (rows from before hold the files' hash): the
same version of a document with another hash is other content (``service.plan`` refuses it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, false, func, inspect, true, or_, select, text, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..errors import UserError
from ..text import url_shown, url_shown_in
from ..fileio import process_alive

metadata = MetaData()
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", String(300), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("project", String(120)),
    Column("council", String(120), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("role", String(4), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("transport", String(20), nullable=False),
    # sending | sent | failed | uncertain (``UNCERTAIN``; pending: older versions)
    Column("status", String(10), nullable=False),
    Column("claim", String(120)),                       # who is sending: host:pid:random
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # whole copies that went to the server without a reply (each may have arrived), over every run:
    # a further copy is "possibly twice", and after two no run sends a third unasked (``service.deliver``)
    Column("unanswered", Integer),
    # when a delivering transport last had the server's yes for this recipient: a --resend that fails
    # afterwards leaves the row sent (the recipient has the document), and a copy to the local outbox
    # sent over it does not make it "not had" for SMTP
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("document", "version", "recipient", name="one_row_per_delivery"),
)


watch_items = Table(
    "watch_items", metadata,
    Column("key", String(300), primary_key=True),
    Column("status", String(10), nullable=False),      # done | failed
    Column("runs", Integer, nullable=False, default=0),
    Column("detail", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


approvals = Table(
    "approvals", metadata,
    Column("document", String(300), primary_key=True),
    Column("version", Integer, primary_key=True),
    # requested | approved | rejected | withdrawn | superseded | unreasoned (``approval_without_reason``)
    Column("status", String(10), nullable=False),
    Column("flow_run_id", String(64)),
    Column("approver_email", String(320)),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("reminded_at", DateTime(timezone=True)),
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("comment", Text),
    Column("override_reason", Text),
    # the content the request and decision were for (``documents.service.content_hash``); NULL in
    # rows from before it was recorded
    Column("document_hash", String(64)),
    # the addresses the approval was asked and given for (casefolded, sorted, comma-separated): the
    # preview's, the form's, or what `send --yes` / an approval in advance was about to send; a
    # decision covers those (``covers``). NULL in rows from before they were recorded: covers nobody
    Column("recipients", Text),
)


# The history of every approval request and decision, append-only: ``approvals`` holds one row
# per document version, the current state the code reads, written over by each new request or
# decision (a second `send --yes` with another override reason, two sends at once); this keeps
# each one -- who, when, what, why, for which content and addresses -- in the order they came.
approval_events = Table(
    "approval_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", String(300), nullable=False),
    Column("version", Integer, nullable=False),
    # requested | approved | rejected | withdrawn | superseded | unreasoned; declined | refused
    # (``approval_answered``)
    Column("event", String(12), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("flow_run_id", String(64)),
    Column("by", String(200)),
    Column("comment", Text),
    Column("override_reason", Text),
    Column("document_hash", String(64)),
    Column("recipients", Text),                         # as ``approvals.recipients``
)


# Every ended attempt to deliver (document, version, recipient), append-only: the ``deliveries``
# row keeps the latest result only, so a refusal (550) later followed by a delivery was gone. Each
# attempt keeps the Message-ID it carried and the sha256 of its attachments: the row's Message-ID is
# the latest only (a ``--resend`` gets a new one), so which mail carried which bytes was lost.
delivery_events = Table(
    "delivery_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document", String(300), nullable=False),
    Column("version", Integer, nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("transport", String(20)),
    Column("status", String(10), nullable=False),      # sent | failed | uncertain
    Column("attempts", Integer, nullable=False),
    Column("detail", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("message_id", String(200)),                 # NULL in rows from before it was recorded
    # the sha256 of each attachment the message carried, in its order, comma-separated (NULL: none,
    # or a row from before it was recorded)
    Column("attachment_sha256", Text),
)


# An answer to an approval form that came after the document had gone out anyway (approved and
# sent by hand meanwhile): kept beside the approval, never written over it. One row per run that
# asked (a resumed run started again records it once).
late_answers = Table(
    "late_answers", metadata,
    Column("document", String(300), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("flow_run_id", String(64), primary_key=True),
    Column("decision", String(10), nullable=False),    # godkjenn | avvis (the form's words)
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("comment", Text),
    Column("document_hash", String(64)),
    Column("override_reason", Text),                   # as typed in the form (NULL in rows from before)
)


def recipients_text(recipients) -> str | None:
    """How ``approvals.recipients`` holds a set of addresses (None for none)."""
    return ",".join(sorted({r.casefold() for r in recipients})) or None


def covers(row: dict, recipients) -> bool:
    """Whether the approval ``row`` was given with every address in ``recipients`` shown. A row that
    recorded none (written before the addresses were recorded, also by ``grantflow send --yes``)
    covers nobody: for whom it was given is not known, so an unattended send asks anew rather than
    send to an address no approver saw (found by an outside tester)."""
    shown = row.get("recipients")
    return bool(shown) and {r.casefold() for r in recipients} <= set(shown.split(","))


@dataclass(frozen=True)
class LedgerRow:
    document: str
    kind: str
    project: str | None
    council: str
    version: int
    document_hash: str
    recipient: str
    role: str
    message_id: str
    transport: str
    status: str
    attempts: int
    detail: str | None
    updated_at: datetime
    unanswered: int | None = None
    delivered_at: datetime | None = None


class Claim(str):
    """A claim token (``claim``), with the row as it was just before it was taken (None for a row
    inserted now): whether an earlier sender left it, and how far it got."""

    before: dict | None = None


# the hash a notice to a person (a reminder, an approval request: ``service.notify``) is recorded
# with: it carries no document
NOTICE_HASH = "-"
STALE_CLAIM = timedelta(minutes=30)
# the detail of a claimed row while its whole message goes to the server (see ``transmitting``)
TRANSMITTING = "message transmitted, waiting for the server's reply"
LOCAL = "outbox"       # the transport that keeps a copy on this machine; every other one delivers
# a send that ended without the server's yes after a whole copy had gone to it without a reply (now or
# in an earlier run): it may have arrived. Retried as a failed one is (``service.deliver``: at most two
# such copies, the same Message-ID); a ledger from before recorded it ``failed`` with ``unanswered``
UNCERTAIN = "uncertain"
# what ``outcome`` calls a send that only made a copy in the local outbox: not delivered to anyone
LOCAL_COPY = "local copy"


def delivers(transport_name: str) -> bool:
    """Whether a send by this transport reaches the recipient (SMTP) rather than a local copy
    (the outbox: a preview, the demo). A local copy is never "already had" for a delivery."""
    return transport_name != LOCAL


def outcome(status: str, transport: str | None, unanswered: int | None = None,
            delivered_at: datetime | None = None) -> str:
    """What happened to a mail, for a reader of the ledger: ``sent`` only when a delivering transport
    had the server's yes (``delivered_at``, or a row sent by one), ``LOCAL_COPY`` when the local
    outbox is all that has it, ``UNCERTAIN`` when it may have arrived (also a ``failed`` row from
    before that status, its unanswered copies counted), else the status as recorded."""
    if status == "sent":
        return LOCAL_COPY if transport == LOCAL and delivered_at is None else "sent"
    if status == "failed" and (unanswered or 0) > 0 and delivered_at is None:
        return UNCERTAIN
    return status


def server_attempts(attempts: int, transport: str | None, delivered_at: datetime | None,
                    local_attempts: int) -> int:
    """How many of a row's ``attempts`` went to a mail server: the row counts every send, a copy to
    the local outbox too (``local_attempts``, from its history), and a delivery takes such a row
    over. A row only the outbox ever had went to none."""
    if transport == LOCAL and delivered_at is None:
        return 0
    return max(0, attempts - local_attempts)


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def this_host() -> str:
    """This host as a claim names it: its name and, where Linux tells, its process-id namespace. Two
    containers with the same host name each number their processes from 1: a process id of the
    other one can only be asked on its own side."""
    try:
        space = os.readlink("/proc/self/ns/pid")          # 'pid:[4026531836]'
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}#{space.strip('pid:[]')}"


def claim_alive(token: str | None) -> bool | None:
    """Whether the process that holds a claim still runs: True or False when it ran on this host
    (its process id is looked up), None when that cannot be known here (another host, or another
    process-id namespace)."""
    try:
        host, pid, _ = (token or "").rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return None
    # a claim written before the namespace was part of the host (an upgrade mid-send) names the host alone
    if host not in (this_host(), socket.gethostname()) or pid <= 0:
        return None
    return process_alive(pid)


def claim_host(token: str | None) -> tuple[str, str]:
    """(host name, process id) of a claim, for messages."""
    host, pid = ((token or "?:?:?").rsplit(":", 2) + ["?", "?"])[:2]
    return host.split("#", 1)[0], pid


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _add_missing_columns(engine: Engine) -> None:
    """Ledgers made by an earlier grantflow lack some nullable columns: add them."""
    for table, column, sql_type in (("deliveries", "claim", "VARCHAR(120)"),
                                    ("deliveries", "unanswered", "INTEGER"),
                                    ("deliveries", "delivered_at", "TIMESTAMP WITH TIME ZONE"),
                                    ("approvals", "document_hash", "VARCHAR(64)"),
                                    ("approvals", "recipients", "TEXT"),
                                    ("late_answers", "override_reason", "TEXT"),
                                    ("delivery_events", "message_id", "VARCHAR(200)"),
                                    ("delivery_events", "attachment_sha256", "TEXT")):
        if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
            except SQLAlchemyError:
                # another process added it meanwhile
                if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
                    raise


def _approval_event(conn, document: str, version: int, event: str, at: datetime, **values) -> None:
    """Append one event to ``approval_events`` (in the caller's transaction)."""
    conn.execute(approval_events.insert().values(document=document, version=version, event=event, at=at, **values))


def _of_documents(query, table, project: str | None = None, council: str | None = None,
                  document: str | None = None):
    """``query`` narrowed to one project's, one council's or one document's rows of ``table``."""
    if project:
        query = query.where(table.c.document.like(f"%/{project}/%"))
    if council:
        query = query.where(table.c.document.startswith(f"{council}/", autoescape=True))
    if document:
        query = query.where(table.c.document == document)
    return query


class SentLedger:
    """What was sent, to whom, when and how."""

    def __init__(self, url: str):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            # SQLite: wait for another process's write instead of failing at once
            args = {"timeout": 30} if url.startswith("sqlite") else {}
            self.engine: Engine = create_engine(url, future=True, connect_args=args)
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError:
                # Several workers creating the tables at once race on PostgreSQL's catalog; the
                # loser finds them made on a second look.
                time.sleep(0.5)
                metadata.create_all(self.engine)
            _add_missing_columns(self.engine)
        except SQLAlchemyError as exc:
            # the URL may hold the database password: shown without it, here and in the run's state
            raise UserError(f"cannot open the sent ledger at {url_shown(url)}: {exc.__class__.__name__}: "
                            f"{url_shown_in(str(exc), url)}".splitlines()[0],
                            field="$GRANTFLOW_LEDGER_URL" if os.environ.get("GRANTFLOW_LEDGER_URL") == url
                            else "delivery.ledger_url") from None

    def sent_to(self, document: str, version: int, transport: str) -> set[str]:
        """Who has this version already, for a send by ``transport``: a copy in the local outbox
        counts only for the outbox."""
        where = [deliveries.c.document == document, deliveries.c.version == version, deliveries.c.status == "sent"]
        if delivers(transport):
            where.append(or_(deliveries.c.transport != LOCAL, deliveries.c.delivered_at.is_not(None)))
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.recipient).where(*where)).all()
        return {r[0].casefold() for r in rows}

    def had_earlier(self, document: str, version: int, transport: str) -> dict[str, tuple[int, datetime]]:
        """Who has an earlier version of this document, for a send by ``transport`` (a copy in the
        local outbox counts only for the outbox): recipient (casefolded) -> (the latest version they
        have, when it was sent)."""
        return {key: (got, aware(when)) for key, (got, when) in
                self._latest_earlier(document, version, transport, deliveries.c.updated_at).items()}

    def first_sent_elsewhere(self, document: str, version: int, transport: str, role: str,
                             current: set[str]) -> tuple[str, int, datetime] | None:
        """The first copy of this document (this version or an earlier one) that reached an address
        in ``role`` that is none of ``current`` (casefolded): (address, version, when), or None. For
        an office whose address changed (the county governor's new mailbox): what it had before.
        A copy in the local outbox counts only for the outbox (as ``had_earlier``)."""
        where = [deliveries.c.document == document, deliveries.c.version <= version, deliveries.c.status == "sent",
                 deliveries.c.role == role]
        if delivers(transport):
            where.append(or_(deliveries.c.transport != LOCAL, deliveries.c.delivered_at.is_not(None)))
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.recipient, deliveries.c.version,
                                       deliveries.c.delivered_at, deliveries.c.updated_at).where(*where)).all()
        found = [(r.recipient, r.version, aware(r.delivered_at or r.updated_at)) for r in rows
                 if r.recipient.casefold() not in current]
        return min(found, key=lambda f: f[2]) if found else None

    def first_reached(self, document: str, version: int, transport: str) -> dict[str, tuple[datetime, str | None]]:
        """Recipient (casefolded) -> (when this version first reached them, that mail's Message-ID),
        for a send by ``transport`` (a copy in the local outbox counts only for the outbox): what a
        re-send is a copy of. Rows from before the history was kept: the row's own time and Message-ID."""
        first: dict[str, tuple[datetime, str | None]] = {}
        where = [delivery_events.c.document == document, delivery_events.c.version == version,
                 delivery_events.c.status == "sent"]
        if delivers(transport):
            where.append(or_(delivery_events.c.transport.is_(None), delivery_events.c.transport != LOCAL))
        with self.engine.connect() as conn:
            for recipient, at, mid in conn.execute(select(delivery_events.c.recipient, delivery_events.c.at,
                                                          delivery_events.c.message_id).where(*where)):
                key = recipient.casefold()
                if key not in first or aware(at) < first[key][0]:
                    first[key] = (aware(at), mid)
            rows = conn.execute(select(deliveries.c.recipient, deliveries.c.delivered_at, deliveries.c.updated_at,
                                       deliveries.c.message_id, deliveries.c.transport).where(
                deliveries.c.document == document, deliveries.c.version == version,
                deliveries.c.status == "sent")).all()
        for row in rows:
            if delivers(transport) and row.transport == LOCAL and row.delivered_at is None:
                continue
            first.setdefault(row.recipient.casefold(), (aware(row.delivered_at or row.updated_at), row.message_id))
        return first

    def earlier_content(self, document: str, version: int, transport: str) -> dict[str, tuple[int, str]]:
        """Recipient (casefolded) -> (the latest earlier version they have, its recorded hash), for a
        send by ``transport`` (as ``had_earlier``)."""
        return self._latest_earlier(document, version, transport, deliveries.c.document_hash)

    def _latest_earlier(self, document: str, version: int, transport: str, column) -> dict[str, tuple[int, object]]:
        """Recipient (casefolded) -> (the latest version before ``version`` they have, ``column`` of it)."""
        where = [deliveries.c.document == document, deliveries.c.version < version, deliveries.c.status == "sent"]
        if delivers(transport):
            where.append(or_(deliveries.c.transport != LOCAL, deliveries.c.delivered_at.is_not(None)))
        latest: dict[str, tuple[int, object]] = {}
        with self.engine.connect() as conn:
            for recipient, got, value in conn.execute(select(
                    deliveries.c.recipient, deliveries.c.version, column).where(*where)):
                key = recipient.casefold()
                if key not in latest or latest[key][0] < got:
                    latest[key] = (got, value)
        return latest

    def claim(self, *, document: str, kind: str, project: str | None, council: str, version: int,
              document_hash: str, recipient: str, role: str, message_id: str, transport: str,
              resend: bool = False, stale_after: timedelta = STALE_CLAIM,
              abandoned: str | None = None) -> Claim | None:
        """Take (document, version, recipient) for sending; the claim token (with the row as it was,
        ``Claim.before``), or None if another sender has it (``sending``, and its process alive on
        this host or, elsewhere, not stale) or it was sent already (unless ``resend``; a copy in the
        local outbox is not "sent" for a transport that delivers). ``abandoned``: the claim of a
        sender known to be gone (``claim_alive`` False), taken over at once. A sender on this host
        whose process still runs is never taken over, however long it takes."""
        now = _now()
        token = Claim(f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}")
        values = dict(kind=kind, project=project, council=council, document_hash=document_hash, role=role,
                      message_id=message_id, transport=transport, status="sending", claim=token, updated_at=now)
        try:
            with self.engine.begin() as conn:
                conn.execute(deliveries.insert().values(document=document, version=version, recipient=recipient,
                                                        attempts=0, created_at=now, **values))
            return token
        except IntegrityError:
            pass                          # the row exists: take it over only if nobody holds it
        key = (deliveries.c.document == document, deliveries.c.version == version,
               deliveries.c.recipient == recipient)
        for _ in range(5):
            with self.engine.connect() as conn:
                row = conn.execute(select(deliveries.c.status, deliveries.c.claim, deliveries.c.updated_at,
                                          deliveries.c.detail, deliveries.c.transport, deliveries.c.unanswered,
                                          deliveries.c.delivered_at).where(*key)).first()
            if row is None:
                return None
            before = dict(row._mapping)
            if row.status == "sending":
                free = bool(abandoned) and row.claim == abandoned or \
                    aware(row.updated_at) < now - stale_after and claim_alive(row.claim) is not True
            elif row.status == "sent":
                free = resend or delivers(transport) and row.transport == LOCAL and row.delivered_at is None
            else:
                free = True               # failed, uncertain (``service.deliver`` decides), or pending
            if not free:
                return None
            # a row sent by a delivering transport before delivered_at was recorded: when it was
            delivered = row.delivered_at or (row.updated_at if row.status == "sent" and row.transport != LOCAL
                                             else None)
            same = deliveries.c.claim.is_(None) if row.claim is None else deliveries.c.claim == row.claim
            with self.engine.begin() as conn:
                taken = conn.execute(update(deliveries).where(*key, deliveries.c.status == row.status, same)
                                     .values(delivered_at=delivered, **values)).rowcount
            if taken == 1:
                token.before = dict(before, delivered_at=delivered)    # as the row now records it
                return token
            # another sender changed the row between the look and the update: look again
        return None

    def transmitting(self, document: str, version: int, recipient: str, claim: str) -> None:
        """Note on a claimed row that the whole message is going to the server now: a sender killed
        from here on may have delivered it (``TRANSMITTING``), one killed before has not."""
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(
                deliveries.c.document == document, deliveries.c.version == version,
                deliveries.c.recipient == recipient, deliveries.c.claim == claim).values(detail=TRANSMITTING,
                                                                                         updated_at=_now()))

    def touch(self, document: str, version: int, recipient: str, claim: str) -> None:
        """Our claim is still being worked on (each attempt): a sender elsewhere does not take it
        over as stale while one recipient's retries go on."""
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(
                deliveries.c.document == document, deliveries.c.version == version,
                deliveries.c.recipient == recipient, deliveries.c.claim == claim,
                deliveries.c.status == "sending").values(updated_at=_now()))

    def holder(self, document: str, version: int, recipient: str) -> dict | None:
        """The row of (document, version, recipient): status, claim, updated_at, detail, unanswered,
        delivered_at (None if absent)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries.c.status, deliveries.c.claim, deliveries.c.updated_at,
                                      deliveries.c.detail, deliveries.c.unanswered,
                                      deliveries.c.delivered_at).where(
                deliveries.c.document == document, deliveries.c.version == version,
                deliveries.c.recipient == recipient)).first()
        return dict(row._mapping) if row else None

    def other_content(self, document: str, version: int, hashes: set[str]) -> dict | None:
        """What the ledger has of this document and version with a hash not in ``hashes`` (other
        content): ``{"sent": n, "rows": n, "last_sent": datetime | None, "last": datetime}``, or None."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.status, deliveries.c.updated_at).where(
                deliveries.c.document == document, deliveries.c.version == version,
                deliveries.c.document_hash.not_in(sorted(hashes)))).all()
        if not rows:
            return None
        sent = [r.updated_at for r in rows if r.status == "sent"]
        return {"sent": len(sent), "rows": len(rows), "last_sent": max(sent) if sent else None,
                "last": max(r.updated_at for r in rows)}

    def finish(self, document: str, version: int, recipient: str, status: str, attempts: int,
               detail: str | None, claim: str | None = None, unanswered: int = 0,
               delivered: bool = False, message_id: str | None = None,
               attachment_sha256: str | None = None) -> bool:
        """Record the result of a claimed send (only while the claim is still ours; True if it was).
        ``unanswered``: copies of this send that went without a reply (added to the row's);
        ``delivered``: a delivering transport had the server's yes now; ``message_id`` (the row's
        when not given) and ``attachment_sha256``: what this attempt's message carried, kept in its
        history row (``delivery_events``)."""
        where = [deliveries.c.document == document, deliveries.c.version == version,
                 deliveries.c.recipient == recipient]
        if claim is not None:
            where.append(deliveries.c.claim == claim)
        now = _now()
        values = dict(status=status, attempts=deliveries.c.attempts + attempts, detail=detail, updated_at=now)
        if unanswered:
            values["unanswered"] = func.coalesce(deliveries.c.unanswered, 0) + unanswered
        if delivered:
            values["delivered_at"] = now
        with self.engine.begin() as conn:
            if conn.execute(update(deliveries).where(*where).values(**values)).rowcount != 1:
                return False
            row = conn.execute(select(deliveries.c.transport, deliveries.c.message_id).where(*where)).first()
            conn.execute(delivery_events.insert().values(document=document, version=version, recipient=recipient,
                                                         transport=row.transport, status=status, attempts=attempts,
                                                         detail=detail, at=now,
                                                         message_id=message_id or row.message_id,
                                                         attachment_sha256=attachment_sha256))
            return True

    def _dicts(self, query) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def attempts(self, project: str | None = None, document: str | None = None,
                 council: str | None = None) -> list[dict]:
        """Every ended delivery attempt (``delivery_events``), oldest first."""
        query = select(delivery_events).order_by(delivery_events.c.at, delivery_events.c.id)
        return self._dicts(_of_documents(query, delivery_events, project, council, document))

    def rows(self, project: str | None = None, document: str | None = None,
             council: str | None = None) -> list[LedgerRow]:
        query = select(*[c for c in deliveries.c if c.name not in ("id", "created_at", "claim")]).order_by(
            deliveries.c.updated_at, deliveries.c.id)
        if project:
            query = query.where(deliveries.c.project == project)
        if council:           # a document's name starts with its council ('council/project/kind-period');
            # a notice's ('missed/<item>/-') does not: its council is the row's
            query = query.where(or_(deliveries.c.document.startswith(f"{council}/", autoescape=True),
                                    deliveries.c.council == council))
        if document:
            query = query.where(deliveries.c.document == document)
        with self.engine.connect() as conn:
            return [LedgerRow(**row._mapping) for row in conn.execute(query)]

    # ---- approvals: who decided what about a document version, and when
    def approval(self, document: str, version: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(approvals).where(approvals.c.document == document,
                                                       approvals.c.version == version)).first()
        return dict(row._mapping) if row else None

    def approval_requested(self, document: str, version: int, flow_run_id: str | None,
                           approver_email: str | None, content_hash: str | None = None,
                           keep_open: bool = False, recipients=None, replace: bool = False) -> bool:
        """Record a (new) request for this content; a decision already made for it is kept. A
        decision made for other content under the same version (a copy from another outputs
        folder, sent with ``--resend``) is replaced by the new request: it never covered this one.
        ``keep_open`` (a batch holding the document): a request already open for this content is
        left as it is -- a run waiting for that answer keeps it (its link in the reminders), and the
        reminders count from when it was first asked; one withdrawn (``approval_withdrawn``) is
        asked anew, as is one approved without the reason the data's errors need
        (``approval_without_reason``). ``recipients``: the addresses the approver is
        shown; ``replace``: this request replaces the row whatever it holds (a decision given for
        fewer recipients than the document now goes to). True when a request was recorded now (a new
        row, or one that replaced what the row held): of two processes asking at once, one."""
        now = _now()
        values = dict(status="requested", flow_run_id=flow_run_id, approver_email=approver_email,
                      requested_at=now, reminded_at=None, document_hash=content_hash,
                      recipients=recipients_text(recipients or ()))
        if content_hash:
            values.update(decided_by=None, decided_at=None, comment=None, override_reason=None)
        event = dict(flow_run_id=flow_run_id, by=approver_email, document_hash=content_hash,
                     recipients=values["recipients"])
        try:
            with self.engine.begin() as conn:
                conn.execute(approvals.insert().values(document=document, version=version, **values))
                _approval_event(conn, document, version, "requested", now, **event)
            return True
        except IntegrityError:
            # a request closed as superseded asked about content that is the document again: asked
            # anew; one withdrawn (its last day passed unapproved) is asked anew by whoever asks
            # again -- the ledger keeps one row per version, so the withdrawal stays in the watch's
            # record ('missed') and its mail. A batch does not ask again: delivery.service.withdrawal
            # holds the document before (only the secretariat sends it now, by hand)
            open_or_other = true() if replace else approvals.c.status.in_(["withdrawn", "unreasoned"]) \
                if keep_open else approvals.c.status.in_(["requested", "superseded", "withdrawn", "unreasoned"])
            if content_hash:
                open_or_other = or_(open_or_other, approvals.c.document_hash.is_not(None)
                                    & (approvals.c.document_hash != content_hash))
            with self.engine.begin() as conn:
                if conn.execute(update(approvals).where(
                        approvals.c.document == document, approvals.c.version == version,
                        open_or_other).values(**values)).rowcount != 1:
                    return False
                _approval_event(conn, document, version, "requested", now, **event)
                return True

    def approval_answered(self, document: str, version: int, event: str, by: str, comment: str,
                          content_hash: str | None = None, recipients=None) -> None:
        """Record an answer at ``grantflow send``'s prompt that sent nothing, in the history only
        (``approval_events``): ``declined`` (answered no) or ``refused`` (answered yes, but the file
        was rendered again meanwhile). Neither is an approver's decision on the version: the
        ``approvals`` row (a later ``send --yes``, a batch) is left as it is."""
        with self.engine.begin() as conn:
            _approval_event(conn, document, version, event, _now(), by=by or None, comment=comment or None,
                            document_hash=content_hash, recipients=recipients_text(recipients or ()))

    def approval_reminded(self, document: str, version: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(approvals).where(approvals.c.document == document, approvals.c.version == version)
                         .values(reminded_at=_now()))

    def approval_decided(self, document: str, version: int, approved: bool, by: str, comment: str,
                         override_reason: str, content_hash: str | None = None, recipients=None) -> bool:
        """Record the decision on this version's request. A request withdrawn (the document's last day
        passed, see ``approval_withdrawn``) stays withdrawn: a decision arriving for it afterwards lets
        no batch send the document late; whoever sends it now asks anew (``approval_requested``).
        ``recipients``: the addresses this decision was given for (``grantflow send``'s preview, an
        approval in advance: the plan's); an approval of the same content given before keeps its own
        (each was seen by someone who said yes), any other row takes these alone. None: the
        request's. True when recorded."""
        where = (approvals.c.document == document, approvals.c.version == version, approvals.c.status != "withdrawn")
        now = _now()
        values = dict(status="approved" if approved else "rejected", decided_by=by, decided_at=now,
                      comment=comment or None, override_reason=override_reason or None)
        if content_hash:
            values["document_hash"] = content_hash
        with self.engine.begin() as conn:
            if recipients is not None:
                # the row is locked first (a write), so two decisions at once each add their addresses
                conn.execute(update(approvals).where(*where).values(version=approvals.c.version))
                row = conn.execute(select(approvals).where(*where)).first()
                shown = {r.casefold() for r in recipients}
                if row is not None and approved and row.status == "approved" and row.recipients and \
                        row.document_hash == (content_hash or row.document_hash):
                    shown |= set(row.recipients.split(","))
                values["recipients"] = recipients_text(shown)
            if conn.execute(update(approvals).where(*where).values(**values)).rowcount != 1:
                return False
            row = conn.execute(select(approvals.c.flow_run_id, approvals.c.document_hash, approvals.c.recipients)
                               .where(approvals.c.document == document, approvals.c.version == version)).first()
            # the event names the addresses this decision was given for (the request's, if none are given)
            _approval_event(conn, document, version, values["status"], now, flow_run_id=row.flow_run_id, by=by,
                            comment=comment or None, override_reason=override_reason or None,
                            document_hash=row.document_hash,
                            recipients=recipients_text(recipients) if recipients is not None else row.recipients)
            return True

    def approval_without_reason(self, document: str, version: int, by: str, comment: str,
                                content_hash: str | None = None) -> bool:
        """Record an approval given in a run's form without the override reason the data's errors
        need (asked three times): status ``unreasoned``. No decision: nothing was sent, the request
        is closed (no reminders; the run that asked has ended), nobody rejected it -- a later
        ``send --yes --override-reason`` or a new run goes ahead, and whoever asks again records a
        new request over it. Before, it was recorded as a rejection by the approver, which then
        refused every later ``send --yes``. True when recorded."""
        where = (approvals.c.document == document, approvals.c.version == version, approvals.c.status != "withdrawn")
        now = _now()
        values = dict(status="unreasoned", decided_by=by or None, decided_at=now, comment=comment or None,
                      override_reason=None)
        if content_hash:
            values["document_hash"] = content_hash
        with self.engine.begin() as conn:
            if conn.execute(update(approvals).where(*where).values(**values)).rowcount != 1:
                return False
            row = conn.execute(select(approvals.c.flow_run_id, approvals.c.document_hash, approvals.c.recipients)
                               .where(approvals.c.document == document, approvals.c.version == version)).first()
            _approval_event(conn, document, version, "unreasoned", now, flow_run_id=row.flow_run_id, by=by or None,
                            comment=comment or None, document_hash=row.document_hash, recipients=row.recipients)
            return True

    def approval_withdrawn(self, flow_run_id: str | None, why: str, document: str | None = None,
                           version: int | None = None) -> list[str]:
        """Close the open requests of a run that was cancelled before anyone answered (a status
        report whose meeting passed) or, with ``document`` and ``version``, that request (one a batch
        held, no run waiting for it): status ``withdrawn``, no more reminders, and a decision given
        later is not recorded over it (``approval_decided``). The documents closed."""
        where = (approvals.c.document == document, approvals.c.version == version) if document is not None \
            else (approvals.c.flow_run_id == flow_run_id,)
        where += (approvals.c.status == "requested",)
        now = _now()
        with self.engine.begin() as conn:
            closed = conn.execute(select(approvals.c.document, approvals.c.version, approvals.c.flow_run_id,
                                         approvals.c.document_hash, approvals.c.recipients).where(*where)).all()
            conn.execute(update(approvals).where(*where).values(status="withdrawn", comment=why, decided_at=now))
            for row in closed:
                _approval_event(conn, row.document, row.version, "withdrawn", now, flow_run_id=row.flow_run_id,
                                comment=why, document_hash=row.document_hash, recipients=row.recipients)
        return [f"{r.document} v{r.version}" for r in closed]

    def approval_superseded(self, document: str, version: int, content_hash: str | None, by_version: int) -> bool:
        """Close this version's open request for this content (``content_hash``; None: whatever it
        holds) once an answer came for it after the content had changed and ``by_version`` is what
        the document now is: status ``superseded``, comment "erstattet av versjon N". It said
        "venter" in ``grantflow sent`` for ever, and its approver was reminded of it. True when closed."""
        where = [approvals.c.document == document, approvals.c.version == version, approvals.c.status == "requested"]
        if content_hash:
            where.append(or_(approvals.c.document_hash.is_(None), approvals.c.document_hash == content_hash))
        now, why = _now(), f"erstattet av versjon {by_version}"
        with self.engine.begin() as conn:
            row = conn.execute(select(approvals.c.flow_run_id, approvals.c.document_hash, approvals.c.recipients)
                               .where(*where)).first()
            if row is None or conn.execute(update(approvals).where(*where).values(
                    status="superseded", comment=why, decided_at=now)).rowcount != 1:
                return False
            _approval_event(conn, document, version, "superseded", now, flow_run_id=row.flow_run_id, comment=why,
                            document_hash=row.document_hash, recipients=row.recipients)
            return True

    def other_decision(self, document: str, version: int, hashes: set[str]) -> dict | None:
        """A decision the ledger has on this document and version for other content (its hash not in
        ``hashes``; rows from before hashes were recorded are taken as this content), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(approvals).where(
                approvals.c.document == document, approvals.c.version == version,
                approvals.c.status.in_(["approved", "rejected"]), approvals.c.document_hash.is_not(None),
                approvals.c.document_hash.not_in(sorted(hashes)))).first()
        return dict(row._mapping) if row else None

    def versions(self, document: str) -> dict[int, set[str]]:
        """The versions of this document the ledger knows -- a delivery row (any status) or an
        approval request -- and the content hash(es) each was recorded with: version -> hashes. The
        ledger is the authority on a document's versions (``documents.service`` numbers by it)."""
        known: dict[int, set[str]] = {}
        with self.engine.connect() as conn:
            for version, digest in conn.execute(select(deliveries.c.version, deliveries.c.document_hash).where(
                    deliveries.c.document == document)):
                known.setdefault(version, set()).add(digest)
            for version, digest in conn.execute(select(approvals.c.version, approvals.c.document_hash).where(
                    approvals.c.document == document, approvals.c.document_hash.is_not(None))):
                known.setdefault(version, set()).add(digest)
        return known

    def approvals(self, status: str | None = None, project: str | None = None,
                  council: str | None = None) -> list[dict]:
        query = select(approvals).order_by(approvals.c.requested_at)
        if status:
            query = query.where(approvals.c.status == status)
        return self._dicts(_of_documents(query, approvals, project, council))

    def approval_history(self, project: str | None = None, document: str | None = None,
                         council: str | None = None) -> list[dict]:
        """Every approval request and decision (``approval_events``), oldest first."""
        query = select(approval_events).order_by(approval_events.c.at, approval_events.c.id)
        return self._dicts(_of_documents(query, approval_events, project, council, document))

    def late_answer(self, document: str, version: int, flow_run_id: str, decision: str, by: str,
                    comment: str, content_hash: str | None = None, override_reason: str = "") -> bool:
        """Record an answer given in a run's form after the document had gone out (see
        ``late_answers``); True when recorded now, False when this run's answer was recorded before."""
        try:
            with self.engine.begin() as conn:
                conn.execute(late_answers.insert().values(
                    document=document, version=version, flow_run_id=flow_run_id, decision=decision,
                    decided_by=by or None, decided_at=_now(), comment=comment or None, document_hash=content_hash,
                    override_reason=override_reason or None))
            return True
        except IntegrityError:
            return False

    def late_answers(self, project: str | None = None, document: str | None = None,
                     council: str | None = None) -> list[dict]:
        """Answers that came after the document had gone out, oldest first."""
        query = select(late_answers).order_by(late_answers.c.decided_at)
        return self._dicts(_of_documents(query, late_answers, project, council, document))

    # ---- the deadline watch: which due items have run
    def watch_done(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(watch_items.c.key).where(
                watch_items.c.status.in_(["done", "rejected"])))}

    def watch_record(self, key: str, status: str, detail: str | None = None) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(watch_items.c.runs).where(watch_items.c.key == key)).first()
            if row is None:
                conn.execute(watch_items.insert().values(key=key, status=status, runs=1, detail=detail,
                                                         updated_at=_now()))
            else:
                conn.execute(update(watch_items).where(watch_items.c.key == key).values(
                    status=status, runs=row[0] + 1, detail=detail, updated_at=_now()))

    def watch_rows(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(watch_items).order_by(watch_items.c.key))]

    def close(self) -> None:
        self.engine.dispose()
