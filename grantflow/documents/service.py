"""Producing a document: collect → check → build context → render (+PDF) → record.

Each step is a plain function so the Prefect flows can wrap them as tasks; ``produce`` chains
them for the CLI. Output goes to ``outputs/<council>/<project>/<kind>-<period>.docx`` (council-wide
kinds to ``outputs/<council>/``), written atomically, with a ``.json`` record beside it: version,
content hash, generation time, key figures and the snapshot the next report compares with, and
per version the files it was made from (``sources_read``) and the findings it was made with.
Re-rendering unchanged content keeps the version and the file; changed content bumps the version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

from ..clock import OSLO
from .. import clock
from .. import owneffort
from ..data import ProjectData, collect
from ..errors import UserError
from ..fileio import atomic_write
from ..findings import Finding
from ..models import Council, Project
from ..register import Register, display_path
from ..settings import DocumentSettings, load_settings, outputs_root
from ..reporting import default_as_of
from ..validate import check_project
from . import command_for
from . import kind as get_kind
from .common import Context, DocumentRequest
from .render import PdfUnavailable, pdf_each, template_bytes, templates_dir, write_docx




def output_dir(root: Path, council: Council, project: Project | None) -> Path:
    return root / council.id / project.id if project is not None else root / council.id


def held_command(document_key: str, out: str | os.PathLike | None = None) -> str:
    """``send_command`` for the document ``document_key`` names, dated as its record says: the day the
    version that was held (or failed) was made, so the command run days later sends that version, not
    one made and dated that day. No readable record: the kind's default date."""
    council, project, name = document_key.split("/", 2)
    folder = outputs_root(out) / council / ("" if project == "-" else project)
    try:
        made = _read_record(folder / f"{name}.json").get("as_of")
        dated = date.fromisoformat(made) if isinstance(made, str) else None
    except (UserError, ValueError):
        dated = None
    return command_for(document_key, dated)


@dataclass
class Produced:
    """What one production made, and where."""

    kind: str
    council: str
    project: str | None
    period: str
    docx: Path
    version: int
    content_hash: str
    reused: bool
    pdf: Path | None = None
    pdf_message: str | None = None
    pdf_made: dict | None = None      # {"docx_sha256", "sha256"}: the .docx file it was made from, and its own
    key_figures: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    addressed: date | None = None     # the day the document names the county governor by (Context.addressed)
    draft: str = ""                   # Context.draft: said in the mail's subject
    dated: date | None = None         # a file kept unchanged that is dated another day than asked: that day
    # a new version dated before the version that went out and that it replaces: (that version, its
    # day, this version's day)
    dated_before: tuple[int, date, date] | None = None
    payers: tuple[str, ...] = ()      # Context.payers: the municipalities a cost split goes to
    placed: Path | None = None        # the copy of the .docx in a run's own folder inside the outputs folder (``place``)
    # a final report's settlement with the municipalities as this render states it (its snapshot's):
    # a version made before the record kept it still tells each municipality its part
    settlement: dict = field(default_factory=dict)

    @property
    def record(self) -> Path:
        return self.docx.with_suffix(".json")


def collect_checked(register: Register, project: Project, hours: bool = True,
                    ledger: bool = True) -> tuple[ProjectData, list[Finding]]:
    """Collect the project's data; unreadable rows stop here, other findings come back as notes.
    ``hours=False``: the document does not count own-effort hours, and the hours file is not read;
    ``ledger=False`` likewise for the ledger (a mistake there is validate's and the reports' to say)."""
    # money documents are not made from a plan whose own effort cannot be told from its cash
    owneffort.require(project, lambda loc: register.where("project", project.id, loc))
    data = collect(register, project, hours=hours, ledger=ledger)
    for finding in data.findings:
        if finding.severity == "error":
            raise UserError(finding.message, file=finding.file, line=finding.line, field=finding.field)
    notes = [f for f in check_project(register, project, data) if f not in data.findings]
    return data, notes


def _read_record(path: Path) -> dict:
    """A document's .json record; {} when there is none or it cannot be read as JSON. One that is
    JSON but not a record (edited by hand, another program's file) is one line naming it."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    versions = record.get("versions", []) if isinstance(record, dict) else None
    if not isinstance(versions, list) or not all(
            isinstance(v, dict) and isinstance(v.get("version"), int) and isinstance(v.get("content_hash"), str)
            for v in versions) or not isinstance(record.get("delivered", []), list) or \
            not all(isinstance(d, dict) for d in record.get("delivered", [])) or \
            not isinstance(record.get("pdf_made") or {}, dict):
        raise UserError("the document's record is damaged (not what grantflow writes): restore it (undo the "
                        "edit, or from a backup); without it grantflow no longer knows this document's versions",
                        file=display_path(Path(path)))
    return record


def _write_record(path: Path, record: dict) -> None:
    atomic_write(path, json.dumps(record, ensure_ascii=False, indent=2, default=str))


@contextmanager
def document_lock(docx: Path, shared: bool = False):
    """The document's lock (``<folder>/.locks/<name>.lock``): a render holds it exclusively from
    reading the record to writing it (its .docx, PDF and record change together), a check of the
    file against its record holds it shared. Two renders of one document at once ran interleaved:
    one's version was lost from the record, and a send between the new .docx and its record took
    the file for one edited by hand. Where no lock can be made (a read-only folder), none is held."""
    import fcntl

    try:
        folder = Path(docx).parent / ".locks"
        folder.mkdir(exist_ok=True)
        handle = open(folder / f"{Path(docx).stem}.lock", "a+")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def changed_after_made(docx: Path) -> str | None:
    """Why the document's file is not what grantflow made (edited and saved in Word, replaced): one
    sentence naming the version and when it was made; None when it is, or when that cannot be told
    (no file, or a record from before the file's hash was kept). What is sent, approved and recorded
    is what grantflow made: an edited file would go out under the record of another. Read under the
    document's lock, shared: never between a render's new file and its record."""
    with document_lock(docx, shared=True):
        return _changed_after_made(docx)


def _changed_after_made(docx: Path) -> str | None:
    record = _read_record(Path(docx).with_suffix(".json"))
    versions = record.get("versions") or []
    made = versions[-1].get("file_sha256") if versions else None
    if not made:
        return None
    try:
        if _file_sha256(docx) == made:
            return None
    except OSError:
        return None
    return (f"{Path(docx).name} was changed after grantflow made it (version {versions[-1].get('version')}, "
            f"made {_shown(versions[-1].get('generated_at'))}; saved in Word?)")


def pdf_not_made_from(docx: Path, pdf: Path) -> str | None:
    """Why the PDF beside a document is not the one grantflow made from this .docx file (made from
    an earlier version, edited, or from before this was recorded); None when it is."""
    with document_lock(docx, shared=True):
        return _pdf_not_made_from(docx, pdf)


def _pdf_not_made_from(docx: Path, pdf: Path) -> str | None:
    made = _read_record(Path(docx).with_suffix(".json")).get("pdf_made") or {}
    try:
        if made and made.get("docx_sha256") == _file_sha256(docx) and made.get("sha256") == _file_sha256(pdf):
            return None
    except OSError:
        return None
    return f"{Path(pdf).name} is not the PDF grantflow made from {Path(docx).name} (an earlier version's, or edited)"


EDITED_HINT = ("grantflow sends only what it made and recorded: move the changed file away (grantflow makes "
               "it again from the data) and put the change into the data or the notes")


def rendered_now(docx: Path) -> tuple[int, str] | None:
    """(version, content hash) of what the document's file holds now, by its record; None unknown."""
    record = _read_record(Path(docx).with_suffix(".json"))
    return (record["version"], record["content_hash"]) if "version" in record and "content_hash" in record else None


def recorded_errors(docx: Path) -> int:
    """How many of the findings the document's record keeps (its latest render's) are errors."""
    findings = _read_record(Path(docx).with_suffix(".json")).get("findings") or []
    return sum(isinstance(f, str) and f.startswith("ERROR") for f in findings)


def _records(folder: Path, kind: str) -> list[dict]:
    return [r for r in map(_read_record, sorted(folder.glob(f"{kind}-*.json"))) if r]


# Only the key figures, milestone statuses and status dimensions are compared: other figures in the
# document may have changed ("Ingen tall er endret" was said beside a forecast 1 440 355 → 1 452 755 kr
# in the text; found by a reviewer)
NO_FIGURES_CHANGED = ("Nøkkeltallene og milepælenes status er de samme som i den forrige versjonen; "
                      "endringene er i teksten eller i andre tall i dokumentet.")
_DATED = re.compile(r" per \d{2}\.\d{2}(?:\.\d{4})?$")     # "Brukt per 31.01.2016", "Brukt per 31.12"
_DIMENSIONS = (("progress", "Fremdrift"), ("economy", "Økonomi"), ("risk", "Risiko"))


def version_changes(docx: Path, version: int) -> dict[int, list[tuple[str, str] | str]]:
    """What differs between ``version`` of the document and each earlier version, by the figures
    each one's record entry kept (key figures, also one stated by only one of them; milestone
    statuses; the status dimensions; each project's status in the usage report): earlier
    version -> [(what, "before → now"), …], or [NO_FIGURES_CHANGED] when none of them differs (the
    text was corrected). Versions recorded before entries kept figures are left out."""
    entries: dict[int, dict] = {}
    for entry in _read_record(Path(docx).with_suffix(".json")).get("versions") or []:
        if isinstance(entry.get("version"), int) and "key_figures" in entry:
            entries[entry["version"]] = entry          # the last entry of a number is the one that went out
    now = entries.get(version)
    if now is None:
        return {}
    from ..reporting import RAG_LABEL

    out: dict[int, list] = {}
    for earlier, then in entries.items():
        if earlier >= version:
            continue
        lines: list = []
        before, after = then.get("key_figures") or {}, now.get("key_figures") or {}
        # a figure whose label carries its day ("Brukt per 31.01.2016" in a draft) is the same
        # figure in the next draft ("Brukt per 29.02.2016"): it was left out of the list
        undated = {_DATED.sub("", key): value for key, value in before.items()}
        old, new = then.get("snapshot") or {}, now.get("snapshot") or {}
        # a figure one of the two does not state: said as the document means its absence (the
        # usage report's "Merforbruk" is stated only when there is some, ``absent``), else "ikke
        # med"; a new "Merforbruk: 18 469 kr" was left out of the list (found by an outside tester)
        absent = {**(old.get("absent") or {}), **(new.get("absent") or {})}
        for key, value in after.items():
            then_value = before.get(key, undated.get(_DATED.sub("", key)))
            if then_value is None and before:
                then_value = absent.get(key, "(ikke med)")
            if then_value is not None and then_value != value:
                lines.append((key, f"{then_value} → {value}"))
        stated = {_DATED.sub("", key) for key in after}
        for key, value in before.items():
            if key not in after and _DATED.sub("", key) not in stated and after:
                lines.append((key, f"{value} → {absent.get(key, '(ikke med)')}"))
        # each project's status in a report of several (the usage report's Status column): a
        # changed status was not said (found by an outside tester)
        old_st, new_st = old.get("statuses"), new.get("statuses")
        if isinstance(old_st, dict) and isinstance(new_st, dict):
            for name in dict.fromkeys([*new_st, *old_st]):
                if old_st.get(name) != new_st.get(name):
                    lines.append((f"Status, {name}",
                                  f"{old_st.get(name) or '(ikke med)'} → {new_st.get(name) or '(ikke med)'}"))
        old_ms = old.get("milestones") or {}
        for number, status in (new.get("milestones") or {}).items():
            if number in old_ms and old_ms[number] != status:
                lines.append((f"Milepæl {number}", f"{old_ms[number]} → {status}"))
        # each municipality's own part of the final settlement: a late ledger row changed every
        # one's amount, and the mail said the municipalities' total alone (an outside tester)
        old_set, new_set = old.get("settlement"), new.get("settlement")
        if isinstance(old_set, dict) and isinstance(new_set, dict):
            for name in dict.fromkeys([*(new_set.get("parts") or {}), *(old_set.get("parts") or {})]):
                was, now_ = settlement_words(old_set, name), settlement_words(new_set, name)
                if was != now_:
                    lines.append((f"Avregning, {name}", f"{was} → {now_}"))
        for key, label in _DIMENSIONS:
            if old.get(key) in RAG_LABEL and new.get(key) in RAG_LABEL and old[key] != new[key]:
                lines.append((label, f"{RAG_LABEL[old[key]]} → {RAG_LABEL[new[key]]}"))
        out[earlier] = lines or [NO_FIGURES_CHANGED]
    return out


def settlement_words(settlement: dict | None, name: str) -> str:
    """A municipality's part of a final settlement in a few words: "får tilbake 6 346 kr", "betaler
    6 346 kr", "(ikke med)" when it has none."""
    part = ((settlement or {}).get("parts") or {}).get(name)
    if not part:
        return "(ikke med)"
    return f"{'får tilbake' if settlement.get('back') else 'betaler'} {part[0]}"


def settlements(docx: Path) -> dict[int, dict]:
    """The final settlement each version of the document stated (its record's snapshots): version
    -> {"back", "total", "parts": {municipality: [amount, share]}}; none for a document without one."""
    out: dict[int, dict] = {}
    for entry in _read_record(Path(docx).with_suffix(".json")).get("versions") or []:
        found = (entry.get("snapshot") or {}).get("settlement")
        if isinstance(entry.get("version"), int) and isinstance(found, dict):
            out[entry["version"]] = found
    return out


def _sort_key(record: dict) -> str:
    return (record.get("snapshot") or {}).get("as_of") or record.get("period", "")


def previous_record(folder: Path, kind: str, before: str) -> dict | None:
    """The report the readers had last, before ``before``: the latest earlier record of ``kind``
    that was delivered (``mark_delivered``), so a draft rendered and never sent is not "the
    previous report" the next one compares with and counts its period from. Where none was ever
    delivered (drafts only, an installation that only writes to the outbox), the latest earlier one."""
    earlier = [r for r in _records(folder, kind) if _sort_key(r) < before]
    delivered = [r for r in earlier if r.get("delivered")]
    pool = delivered or earlier
    return max(pool, key=_sort_key) if pool else None


def kept_basis(folder: Path, kind: str, label: str, before: str) -> tuple[bool, dict | None]:
    """The previous report's snapshot a document that went out was made with, kept for as long as it
    has a version out: (True, snapshot, None for no previous report) then; (False, None) for a
    document none of whose versions went out (its basis is ``previous_record``'s, as of now). A
    report dated earlier sent after it is not what its readers had: the report of 29 August typed
    again after those of 30 June and 31 July were sent became version 2 to all its readers, its period
    and its changes counted from 31 July (found by an outside tester). A version entry from before
    the basis was recorded (``previous``) gets the one ``previous_record`` chose when it was made.
    A version made with ``--new-basis`` (``prepare``'s ``new_basis``) records its own, kept from then on."""
    record = _read_record(folder / f"{kind}-{label}.json")
    issued = _issued(record)
    versions = record.get("versions") or []
    entry = next((v for v in reversed(versions) if v["version"] in issued), None)
    if entry is None:
        return False, None
    # the latest entry's: one made after the version went out kept it, or was asked a new one
    latest = next((v for v in reversed(versions) if "previous" in v), None)
    if latest is not None:
        return True, latest["previous"]
    made = _when(entry.get("generated_at"))
    if made is None:
        return False, None

    def by_then(stamps) -> bool:
        return any(when is not None and when <= made for when in map(_when, stamps))

    earlier = [r for r in _records(folder, kind) if _sort_key(r) < before]
    delivered = [r for r in earlier if by_then(d.get("at") for d in r.get("delivered") or ())]
    pool = delivered or [r for r in earlier if by_then(v.get("generated_at") for v in r.get("versions") or [])]
    if not pool:
        return True, None
    prev = max(pool, key=_sort_key)
    then = [v for v in prev.get("versions") or [] if by_then([v.get("generated_at")]) and v.get("snapshot")]
    return True, then[-1]["snapshot"] if then else prev.get("snapshot")


def _stamp() -> str:
    """Now, for a record: to the microsecond, so what was made and what was delivered keep their
    order within one second (``kept_basis``: a report of 30 June delivered in the second the report
    of 29 August was made counted as what its readers had had; a CI run found it)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _shown(at) -> str:
    """A record's time stamp as a line shows it: to the second."""
    when = _when(at)
    return when.isoformat(timespec="seconds") if when else "?"


def _when(at) -> datetime | None:
    """A record's UTC time stamp (``generated_at``, a delivery's ``at``); None when unreadable."""
    try:
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _day(at) -> date | None:
    """The day (Oslo time) of a delivery's ``at``, None when unreadable."""
    try:
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    return when.astimezone(OSLO).date() if when.tzinfo else when.date()


def invoiced_on_record(folder: Path, *more: Path) -> dict[int, list]:
    """Per year, the cost splits for it that reached recipients (``mark_delivered``), first
    delivered first, as ``costsplit.Invoiced``: a per-year split and the all-years one both count.
    What the municipalities were invoiced is what these said, not what the plan says today.
    ``more``: other folders whose records count too (the main outputs folder of a run --out)."""
    from ..costsplit import Invoiced

    found = []
    for record in [r for place in dict.fromkeys((folder, *more)) for r in _records(place, "costsplit")]:
        entries = {v["version"]: v for v in record.get("versions") or []
                   if isinstance(v, dict) and isinstance(v.get("version"), int)}
        for delivery in record.get("delivered") or ():
            entry, sent = entries.get(delivery.get("version")), _day(delivery.get("at"))
            snap = (entry or {}).get("snapshot") or {}
            if sent is None or not isinstance(snap.get("totals"), dict):
                continue
            dated = snap.get("as_of")
            figures = (entry or {}).get("key_figures") or {}
            for year, total in snap["totals"].items():
                shares = (snap.get("shares") or {}).get(str(year))
                # a version records what it said of each year's invoice ("invoiced"); one from before
                # that said a correction by its figure "Fakturert før (2016)" (``costsplit.invoiced_by``)
                said = "invoiced" in snap or f"Fakturert før ({year})" in figures
                found.append((delivery["at"], Invoiced(int(year), int(total), shares, str(record.get("period")),
                                                       delivery["version"], sent,
                                                       date.fromisoformat(dated) if dated else None, said)))
    out: dict[int, list] = {}
    seen = set()
    for at, invoiced in sorted(found, key=lambda item: item[0]):
        # one record read through two folder names counts once
        if (at, invoiced.year, invoiced.document, invoiced.version) not in seen:
            seen.add((at, invoiced.year, invoiced.document, invoiced.version))
            out.setdefault(invoiced.year, []).append(invoiced)
    return out


def final_report_made(folder: Path, until: date | None = None) -> tuple[bool, date | None]:
    """Whether the project's final report was made dated on or before ``until`` (a version of it
    in ``folder``'s record with that date), and the date of the first such version that reached
    recipients, the final report's own date (None when none was sent). A usage report dated
    10.01.2026 said milestone 05 "ble levert med sluttrapporten 29. november 2026", the day the
    final report dated 20.01.2026 was sent (found by an outside tester): what a report dated in
    the past knows is what was dated by then."""
    made, first = False, None
    for record in _records(folder, "final"):
        sent = {d.get("version") for d in record.get("delivered") or ()}
        for entry in record.get("versions") or [{"version": record.get("version")}]:
            # the version's own date: its entry's, else (the latest version) the record's
            dated = entry.get("as_of") or (entry.get("snapshot") or {}).get("as_of")
            if not dated and entry.get("version") == record.get("version"):
                dated = (record.get("snapshot") or {}).get("as_of") or record.get("as_of")
            try:
                day = date.fromisoformat(dated)
            except (TypeError, ValueError):
                continue
            if until is not None and day > until:
                continue
            made = True
            if entry.get("version") in sent:
                first = day if first is None else min(first, day)
    return made, first


def delivered_at(docx: Path, version: int) -> str | None:
    """When the document's record says ``version`` first reached recipients (``mark_delivered``)."""
    record = _read_record(Path(docx).with_suffix(".json"))
    return next((_shown(d.get("at")) for d in record.get("delivered") or () if d.get("version") == version), None)


def mark_delivered(docx: Path, version: int, have: int | None = None, of: int | None = None) -> None:
    """Record in the document's record that ``version`` reached recipients (SMTP, not the outbox):
    ``have`` of its ``of`` recipients have it now, ``partly`` while some do not (a refusal, a
    server down: it said "delivered" when one of two had it; found by an outside tester)."""
    with document_lock(docx):
        _mark_delivered(Path(docx), version, have, of)


def _mark_delivered(docx: Path, version: int, have: int | None = None, of: int | None = None) -> None:
    record_path = Path(docx).with_suffix(".json")
    record = _read_record(record_path)
    if not record:
        return                            # not a rendered document (a reminder) or no record
    delivered = record.setdefault("delivered", [])
    entry = next((d for d in delivered if d.get("version") == version), None)
    if entry is None:
        entry = {"version": version, "at": _stamp()}
        delivered.append(entry)
    elif have is None or (entry.get("recipients"), entry.get("of")) == (have, of):
        return
    if have is not None and of is not None:
        entry.update(recipients=have, of=of)
        if have < of:
            entry["partly"] = True
        else:
            entry.pop("partly", None)
    _write_record(record_path, record)


def mark_approvals(docx: Path, version: int, content_hash: str, approvals: list[dict]) -> bool:
    """Write the approvers' decisions on ``version`` (as the sent ledger keeps them: decision,
    by, at, comment, override reason, addresses; ``delivery.service.note_approvals``) into that
    version's entry of the document's record, ``approvals``, so the record says who let it out, when
    and why, whichever way it was approved. Only while the file holds that version and content;
    a document without a record (a reminder) needs nothing. Under the document's lock. True when
    the record holds them now, False when it has no entry for that version and content (deleted,
    or made again from other content)."""
    with document_lock(docx):
        record_path = Path(docx).with_suffix(".json")
        record = _read_record(record_path)
        entry = next((v for v in record.get("versions") or [] if isinstance(v, dict)
                      and v.get("version") == version and v.get("content_hash") == content_hash), None)
        if entry is None:
            return False
        if entry.get("approvals") != approvals:
            entry["approvals"] = approvals
            _write_record(record_path, record)
        return True


def _issued(record: dict) -> set[int]:
    """The versions of a document that left grantflow: sent (to any transport, the outbox included)
    or put before an approver (``mark_issued``), or delivered (``mark_delivered``). A record from
    before this was kept counts every version it lists."""
    issued = record.get("issued")
    if not isinstance(issued, list):
        issued = [v["version"] for v in record.get("versions", [])]
    return {v for v in issued if isinstance(v, int)} | {
        d["version"] for d in record.get("delivered", []) if isinstance(d.get("version"), int)}


def mark_issued(docx: Path, version: int, content_hash: str,
                sent: dict[str, bytes] | None = None) -> tuple[int, str] | None:
    """Record that ``version`` of the document (with ``content_hash``) is about to leave grantflow:
    to be sent, or put before an approver. From then on new content is a new version; until then a
    render with new content keeps the number (``_render``). Done under the document's lock, and
    only if the file still holds that version and content: otherwise nothing is recorded and the
    (version, content hash) it holds now comes back, for the caller to refuse (rendered again
    meanwhile). A document without a record (a reminder) needs nothing. ``sent``: the bytes that
    go out (suffix -> bytes, from the composed mail), kept as the version's copy (``_keep_copy``)."""
    with document_lock(docx):
        record_path = Path(docx).with_suffix(".json")
        record = _read_record(record_path)
        if "versions" not in record:
            return None
        if (record.get("version"), record.get("content_hash")) != (version, content_hash):
            return record.get("version"), record.get("content_hash")
        issued = _issued(record)
        copied = _keep_copy(Path(docx), record, version, sent=sent)
        if copied or version not in issued or not isinstance(record.get("issued"), list):
            record["issued"] = sorted(issued | {version})
            _write_record(record_path, record)
        return None


# Where a copy of each version that left grantflow is kept, beside the documents: hidden (like
# ``.locks``), so the folder the secretariat opens lists each document once, as it is now
COPIES = ".versjoner"


def _keep_copy(docx: Path, record: dict, version: int, keys: tuple[str, ...] = ("copy", "pdf_copy"),
               sent: dict[str, bytes] | None = None) -> bool:
    """Keep the file of ``version`` (the one the document holds now) and its PDF, as they leave:
    ``<folder>/.versjoner/<name>-versjon-<n>.docx`` (and ``.pdf``), written atomically and never
    over another file (a copy by that name with other bytes, from a record made anew, keeps its
    place: this one's name adds the content hash). Each new version writes over the document, so
    what version 3 said was gone once version 4 was made (found by an outside tester). The copy's
    name goes into the version's entry in the record (``copy``, ``pdf_copy``); a file already
    copied is not copied again, so a PDF made after its version went out (``keep_pdf_copy``) joins
    the copy of the .docx. ``keys``: which of the two to keep. ``sent``: the bytes that go out
    (suffix -> bytes), kept instead of the files: a .docx edited in Word while the approver sat at
    the prompt was sent as grantflow made it, and no copy was kept (found by an outside auditor).
    Each copy's sha256 is recorded beside its name (``copy_sha256``, ``pdf_copy_sha256``), so that
    a copy altered afterwards is told (``altered_copies``). Under the document's lock
    (``mark_issued``, a render). True when the record gained a copy."""
    versions = record.get("versions") or []
    entry = versions[-1] if versions else None
    if entry is None or entry.get("version") != version or all(entry.get(key) for key in keys):
        return False
    added = False
    sent = sent or {}
    try:
        if ".docx" not in sent and entry.get("file_sha256") and _file_sha256(docx) != entry["file_sha256"]:
            return False                    # not what grantflow made (``plan`` refuses to send it)
        for source, key in ((docx, "copy"), (docx.parent / (record.get("pdf") or ""), "pdf_copy")):
            if key not in keys or entry.get(key):
                continue
            if key == "pdf_copy" and ".pdf" not in sent and (
                    not record.get("pdf") or not source.is_file() or _pdf_not_made_from(docx, source) is not None):
                continue
            suffix = ".docx" if key == "copy" else ".pdf"
            data = sent[suffix] if suffix in sent else source.read_bytes()
            target = docx.parent / COPIES / f"{docx.stem}-versjon-{version}{suffix}"
            if target.exists() and target.read_bytes() != data:
                target = target.with_name(f"{docx.stem}-versjon-{version}-{entry['content_hash'][:8]}{suffix}")
            if not target.exists() or target.read_bytes() != data:
                atomic_write(target, data)
            entry[key] = f"{COPIES}/{target.name}"
            entry[f"{key}_sha256"] = hashlib.sha256(data).hexdigest()
            added = True
    except OSError:
        return added                        # a read-only folder: the version still goes out, uncopied
    return added


def _keep_pdf_copy(record_path: Path, version: int) -> None:
    """A PDF made for a version that already went out (``render --pdf`` after a send, the same
    content): kept beside that version's copy and named in the record (``pdf_copy``), as when the
    PDF goes out with it. It was not: the record named no PDF of that version. After the record
    with the PDF is written, under the document's lock."""
    record = _read_record(record_path)
    if record.get("pdf") and version in _issued(record) and \
            _keep_copy(record_path.with_name(record.get("docx") or record_path.with_suffix(".docx").name),
                       record, version, keys=("pdf_copy",)):
        _write_record(record_path, record)


def version_copies(record_path: Path) -> dict[int, list[Path]]:
    """The kept copies of a document's versions that left grantflow (``_keep_copy``): version ->
    its files (.docx, and the PDF if one was sent), from the document's record."""
    copies: dict[int, list[Path]] = {}
    for entry in _read_record(Path(record_path)).get("versions") or []:
        for key in ("copy", "pdf_copy"):
            if entry.get(key) and isinstance(entry.get("version"), int):
                copies.setdefault(entry["version"], []).append(Path(record_path).parent / entry[key])
    return copies


def altered_copies(record_path: Path, version: int | None = None) -> dict[Path, str]:
    """The kept copies (of ``version``, or of every version) whose bytes are not those recorded when
    they went out (edited afterwards: 400 000 kr became 600 000 kr in a copy still listed as what
    version 1 said; found by an outside auditor), or that are gone: copy -> why, in a few words. A
    copy kept before its own hash was recorded is checked against its version's file hash (``_kept_hash``)."""
    out: dict[Path, str] = {}
    for entry in _read_record(Path(record_path)).get("versions") or []:
        if version is not None and entry.get("version") != version:
            continue
        for key in ("copy", "pdf_copy"):
            recorded = _kept_hash(entry, key)
            if not entry.get(key) or not recorded:
                continue
            path = Path(record_path).parent / entry[key]
            try:
                if _file_sha256(path) != recorded:
                    out[path] = "altered after it was sent (its bytes are not those recorded when it went out)"
            except OSError:
                out[path] = "gone (not found or not readable)"
    return out


def _kept_hash(entry: dict, key: str) -> str | None:
    """The sha256 a version's kept copy (``copy``, ``pdf_copy``) was written with. A .docx copy kept
    before that was recorded was the file as made: its ``file_sha256`` (``sent_sha256`` once a render
    made the file again)."""
    if entry.get(f"{key}_sha256"):
        return entry[f"{key}_sha256"]
    return (entry.get("sent_sha256") or entry.get("file_sha256")) if key == "copy" else None


def _sent_bytes(folder: Path, entry: dict) -> bytes | None:
    """The .docx bytes a version went out as, from its kept copy; None without an intact one."""
    if not entry.get("copy") or not _kept_hash(entry, "copy"):
        return None
    try:
        data = (folder / entry["copy"]).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == _kept_hash(entry, "copy") else None


def template_digest(template: Path) -> str:
    return _digest(str(template), template.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _digest(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(template_bytes(Path(path))).hexdigest()


def content_hash(context: Context, template: Path) -> str:
    """What makes two renders the same document: values (less date/version), charts, template."""
    return hashlib.sha256(_payload(context, template).encode("utf-8")).hexdigest()


def _payload(context: Context, template: Path, dated: bool = False) -> str:
    """The document's content as one text: values (less version and, unless ``dated``, date), charts
    (unless ``dated``: drawn from the values, with a marker named by the date), template."""
    values = dict(context.values)
    doc = dict(values.get("doc", {}))
    if not dated:
        doc.pop("date", None)
    doc.pop("version", None)
    values["doc"] = doc
    charts = {} if dated else {k: repr(v) for k, v in sorted(context.charts.items())}
    return json.dumps({"values": values, "charts": charts, "template": template_digest(template)},
                      sort_keys=True, default=str, ensure_ascii=False)


def _date_forms(day: date) -> list[str]:
    """How a document's content writes ``day``: ISO, 15.07.2021, 15. juli 2021 (also with
    non-breaking spaces) and as a Python date (charts)."""
    from .. import fmt

    long = fmt.long_date(day)
    return [day.isoformat(), fmt.short_date(day), long, long.replace(" ", "\u00a0"), repr(day)]


def as_it_went(request: DocumentRequest, context: Context, template: Path, entry: dict, then: date) -> Context | None:
    """The context of version ``entry`` (made for ``then``) made again from today's data, when
    ``context`` (the same data asked for ``request.as_of``) differs from it by the date alone:
    the date, and what the date writes itself into (the "Levert" of a milestone delivered with
    the final report, dated by the report). None: the data changed (made for ``then`` it is no
    longer what went out), or more than the date differs (ledger rows cut off by the other date).
    Sending a final report again with another --as-of made "versjon 4, erstatter versjon 3",
    dated before version 3, saying the changes were in the text (an outside tester)."""
    from dataclasses import replace

    try:
        earlier = build_context(replace(request, as_of=then))
    except UserError:
        return None
    if content_hash(earlier, template) != entry.get("content_hash"):
        return None
    # place by place: the same text, or the one date where the other is (a date that is also the
    # project's end, 31.12.2025, stays where it is the end)
    old, new = _date_forms(then), _date_forms(request.as_of)
    written = dict(zip(old, new))
    pattern = re.compile("(" + "|".join(re.escape(form) for form in sorted(set(old + new), key=len, reverse=True))
                         + ")")
    was, now = (pattern.split(_payload(c, template, dated=True)) for c in (earlier, context))
    if len(was) != len(now):
        return None
    for index, (a, b) in enumerate(zip(was, now)):
        if a != b and not (index % 2 and written.get(a) == b):
            return None
    return earlier


def prepare(register: Register, kind_name: str, project_id: str | None = None, council_id: str | None = None,
            period: str | None = None, as_of: date | None = None, today: date | None = None,
            out: str | os.PathLike | None = None,
            include_personal_data: bool = False,
            new_basis: bool = False) -> tuple[DocumentRequest, Path, list[Finding]]:
    """Collect and check the data and assemble the request for a context builder. ``new_basis``: a
    document with a version out is compared with the latest earlier report delivered now, not the
    one it was made with (``kept_basis``)."""
    kind = get_kind(kind_name)
    today = today or clock.today()
    notes: list[Finding] = []
    if kind.scope == "council":
        if not council_id:
            raise UserError(f"'{kind.name}' is made per council: give --council", field="--council")
        council = register.council(council_id)
        projects = []
        for project in sorted(register.projects.values(), key=lambda p: p.name):
            if project.council == council.id:
                data, found = collect_checked(register, project, hours=kind.uses_hours, ledger=kind.uses_ledger)
                projects.append((project, data))
                notes += found
        folder = output_dir(outputs_root(out), council, None)
        per, when = kind.period(None, period, as_of, today)
        request = DocumentRequest(kind.name, council, None, per, when, today, projects=projects)
        for project, _ in projects:
            made, sent = final_report_made(output_dir(outputs_root(out), council, project), when)
            if made:
                request.final_reports[project.id] = sent
    else:
        if not project_id:
            raise UserError(f"'{kind.name}' needs a PROJECT", field="PROJECT")
        project = register.project(project_id)
        council = register.council_of(project)
        data, notes = collect_checked(register, project, hours=kind.uses_hours, ledger=kind.uses_ledger)
        folder = output_dir(outputs_root(out), council, project)
        prev_as_of = None
        if kind.name == "status":
            probe = as_of or default_as_of(project, today)
            prev = previous_record(folder, kind.name, probe.isoformat())
            if prev and (prev.get("snapshot") or {}).get("as_of"):
                prev_as_of = date.fromisoformat(prev["snapshot"]["as_of"])
        per, when = kind.period(project, period, as_of, today, prev_as_of)
        request = DocumentRequest(kind.name, council, project, per, when, today, data=data)
    before = when.isoformat() if kind.name in ("status", "final") else per.label
    kept, snapshot = (False, None) if new_basis else kept_basis(folder, kind.name, per.label, before)
    if kept:
        # a version went out: compared with (and counted from) what its readers had then
        request.previous = snapshot
        if request.project is not None:
            dated = (snapshot or {}).get("as_of")
            request.period, _ = kind.period(request.project, period, as_of, today,
                                            date.fromisoformat(dated) if dated else None)
    else:
        prev = previous_record(folder, kind.name, before)
        request.previous = (prev or {}).get("snapshot")
    request.include_personal_data = include_personal_data
    request.council_source = register.source("council", council.id)
    # the files a document's findings name, as validate names them (not "config/..." whatever --config is)
    for item in [request.project] if request.project else [p for p, _ in request.projects]:
        source = register.source("project", item.id)
        if source is not None:
            request.project_sources[item.id] = source
        for relative in (item.data.milestones, item.data.ledger, item.data.hours, item.data.notes):
            if relative:
                request.data_files[relative] = display_path(register.data_path(relative))
    request.sources = sources_read(register, [request.project] if request.project else [p for p, _ in request.projects],
                                   kind)
    request.options = _document_settings(register.root)
    request.ledger_versions = _ledger_versions(
        register.root, f"{council.id}/{request.project.id if request.project else '-'}/{kind.name}-{per.label}")
    # what a kind reads beyond its data is the kind's to say (its registry line), not a branch here
    if kind.names_addressees:
        request.addressees = _addressees(register, kind.name, request.project, council)
    if kind.uses_invoices:
        # a document written elsewhere (--out) counts the splits delivered from the main outputs
        # folder too: a final report made with --out said "ingen kostnadsfordeling er registrert
        # sendt" after seven had been (found by a member municipality's finance officer)
        request.invoiced = invoiced_on_record(folder, output_dir(outputs_root(), council, request.project))
    if kind.keeps_payers:
        request.sent_payers = sent_payers(folder)
    return request, folder, notes


_SHARE_YEAR = re.compile(r"\((\d{4})\)$")


def sent_payers(folder: Path) -> dict[int, dict]:
    """Per year, whom the cost split that last reached recipients for that year (SMTP: the record's
    ``delivered``) named as paying, by that version's key figures ("Andel Åsen": "206 872 kr", or
    "… (2024), … (2025)" in a split of several years): ``{"names", "document", "version", "at"}``.
    A per-year document and the all-years one are both read, so neither re-bills a year the other sent."""
    out: dict[int, dict] = {}
    for record in _records(folder, "costsplit"):
        versions = {v.get("version"): v for v in record.get("versions") or [] if isinstance(v, dict)}
        for sent in record.get("delivered") or ():
            figures = (versions.get(sent.get("version")) or {}).get("key_figures") or {}
            years = [int(k.rsplit(" ", 1)[1]) for k in figures if k.startswith("Til fordeling ") and k[-4:].isdigit()]
            names: dict[int, set[str]] = {y: set() for y in years}
            for key, value in figures.items():
                if not key.startswith("Andel ") or not isinstance(value, str):
                    continue
                for part in value.split(", "):
                    match = _SHARE_YEAR.search(part.strip())
                    year = int(match.group(1)) if match else (years[0] if len(years) == 1 else None)
                    if year in names:
                        names[year].add(key[len("Andel "):])
            at = str(sent.get("at") or "")
            for year, payers in names.items():
                if payers and (year not in out or at > out[year]["at"]):
                    out[year] = {"names": payers, "document": Path(str(record.get("docx") or "")).stem,
                                 "version": sent.get("version"), "at": at}
    return out


def sources_read(register: Register, projects: list[Project], kind) -> list[dict]:
    """What a document is made from, file by file, as its data were just read: each project's and its
    council's file and the data files the kind reads (the hours only where counted, the ledger not
    for the cost split): ``{"project", "path", "size", "sha256", "modified"}``, the path as the
    register writes it (relative to the config folder), ``modified`` in UTC. The record named none:
    which data a sent version was made from could not be told (found by an outside auditor)."""
    root = Path(register.root)
    out: list[dict] = []
    seen: set[Path] = set()

    def add(project_id: str | None, path: Path, written: str) -> None:
        try:
            path = path.resolve()
            if path in seen:
                return
            stat = path.stat()
            digest = _file_sha256(path)
        except OSError:
            return                          # read already, or said by the reader; nothing to name
        seen.add(path)
        out.append({"project": project_id, "path": written, "size": stat.st_size, "sha256": digest,
                    "modified": datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(timespec="seconds")})

    def config_file(kind_: str, item_id: str, project_id: str | None) -> None:
        src = register.source(kind_, item_id)
        if src is not None:
            path = Path(src.file).resolve()
            written = path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) \
                else display_path(path)
            add(project_id, path, written)

    for project in projects:
        config_file("council", project.council, None)
        config_file("project", project.id, project.id)
        files = project.data
        for relative, used in ((files.milestones, True), (files.ledger, kind.uses_ledger),
                               (files.hours, kind.uses_hours), (files.notes, True)):
            if relative and used:
                add(project.id, register.data_path(relative), relative)
    return out


def _ledger_versions(root: Path, key: str) -> dict[int, set[str]]:
    """What the installation's sent ledger knows of document ``key`` (``SentLedger.versions``);
    nothing when there is no ledger yet (a SQLite file not made: not made by a render either)."""
    from sqlalchemy.engine import make_url

    from ..delivery.ledger import SentLedger

    path = Path(root) / "grantflow.yaml"
    settings = _cached_full_settings(str(path), path.stat().st_mtime_ns) if path.exists() else None
    if settings is None:
        from ..settings import Settings
        settings = Settings()
    url = settings.ledger_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).exists()):
        return {}
    ledger = SentLedger(url)
    try:
        return ledger.versions(key)
    finally:
        ledger.close()


def _by_ledger(known: dict[int, set[str]], digest: str, version: int, versions: list[dict]) -> int | None:
    """The number ``digest``'s content has by the sent ledger (``known``) when the record
    (``versions``) does not know every version the ledger does and gives another (``version``):
    the version the ledger has with this content, else, when the ledger has ``version`` or a later
    one with other content, the one after the highest it knows. None: the record's number stands.
    (The record was moved away after version 2 went out: the same content went out again as
    "version 1" and the ledger's row of version 1 was written over; an outside auditor.)"""
    if not known or all(any(v.get("version") == number and {v.get("content_hash"), v.get("file_sha256")} & hashes
                            for v in versions) for number, hashes in known.items()):
        return None                   # the record knows every version the ledger knows: its rules stand
    # rows from before content hashes were recorded hold the file's hash
    files = {v["version"]: v.get("file_sha256") for v in versions if v.get("content_hash") == digest}
    same = sorted(v for v, hashes in known.items() if digest in hashes or files.get(v) in hashes)
    if same:
        return None if version in same else same[-1]
    return max(known) + 1 if version <= max(known) else None


def _addressees(register: Register, kind: str, project: Project, council: Council) -> list | None:
    """Whom the document goes to ('to') by the recipient rules, for its "Til" line: a final report
    about no skjønnsmidler goes to the steering group's leader, not the county governor its page 1
    named (found by an outside tester). None when config gives no one (the line names the county
    governor, and sending says what is wrong)."""
    from ..delivery.recipients import resolve

    path = Path(register.root) / "grantflow.yaml"
    settings = _cached_full_settings(str(path), path.stat().st_mtime_ns) if path.exists() else None
    if settings is None:
        from ..settings import Settings
        settings = Settings()
    why = None if any(line.kind == "skjønnsmidler" for line in project.budget.financing) else "no skjønnsmidler"
    try:
        return [r for r in resolve(kind, project, council, settings, (), why) if r.role == "to"]
    except UserError:
        return None


@lru_cache(maxsize=8)
def _cached_full_settings(path: str, mtime_ns: int):
    return load_settings(Path(path).parent)


def _document_settings(root: Path) -> DocumentSettings:
    """The installation's document settings (defaults when the config has no grantflow.yaml)."""
    path = Path(root) / "grantflow.yaml"
    if not path.exists():
        return DocumentSettings()
    return _cached_settings(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _cached_settings(path: str, mtime_ns: int) -> DocumentSettings:
    return load_settings(Path(path).parent).documents


def build_context(request: DocumentRequest) -> Context:
    return get_kind(request.kind).build(request)


def render(request: DocumentRequest, context: Context, folder: Path, pdf: bool = False,
           notes: list[Finding] | None = None) -> Produced:
    """Render (or reuse an identical earlier render), record it, and convert to PDF if asked; under
    the document's lock (``document_lock``)."""
    kind = get_kind(request.kind)
    target = folder / f"{kind.name}-{request.period.label}.docx"
    with document_lock(target):
        return _render(request, context, folder, pdf, notes, kind, target)


def _render(request: DocumentRequest, context: Context, folder: Path, pdf: bool, notes: list[Finding] | None,
            kind, target: Path) -> Produced:
    template = templates_dir() / kind.template
    record_path = target.with_suffix(".json")
    digest = content_hash(context, template)
    record = _read_record(record_path)
    versions = record.get("versions", [])
    same = bool(versions) and versions[-1]["content_hash"] == digest
    reused = same and target.exists()
    changed = _changed_after_made(target)          # None for no file
    if changed:
        # never written over, never taken as ours: the person who changed it decides
        raise UserError(f"{changed}: nothing made; {EDITED_HINT}", file=display_path(target))
    issued = _issued(record)
    prior_as_of, prior_version = record.get("as_of"), (versions[-1]["version"] if versions else None)
    made_on = request.as_of
    last_as_of = record.get("as_of") if versions and versions[-1]["version"] in issued else None
    if not same and last_as_of and last_as_of != request.as_of.isoformat() and \
            _by_ledger(request.ledger_versions, versions[-1]["content_hash"], versions[-1]["version"], versions) is None:
        # a version that went out, asked for another day with the same data: it stays as it went
        # (where the sent ledger knows versions the record does not, its numbering rules instead)
        then = as_it_went(request, context, template, versions[-1], date.fromisoformat(last_as_of))
        if then is not None:
            context, digest, made_on = then, versions[-1]["content_hash"], date.fromisoformat(last_as_of)
            same, reused = True, target.exists()
    if reused or same:
        ledger = _by_ledger(request.ledger_versions, digest, versions[-1]["version"], versions)
    else:
        ledger = None
    if ledger is not None:
        # the record is missing or knows less than the sent ledger: the ledger's number (below)
        reused = same = False
    if reused and record.get("as_of") not in (None, request.as_of.isoformat()) and \
            versions[-1]["version"] not in issued:
        reused = False              # a version that never left, asked for another day: made again, dated so
    if reused:
        version = versions[-1]["version"]
    elif same:
        # the file was moved away or deleted, the content is what that version holds: made again as
        # that version (a new number would go to everyone as "version 2, replaces version 1")
        version = versions[-1]["version"]
        kept = _sent_bytes(folder, versions[-1]) if version in _issued(record) else None
        if kept is not None:
            # the version went out: it is made again as it went (its copy), byte for byte; a new
            # render is the same bytes only while grantflow and its libraries are unchanged (an
            # update in between would change what its readers were sent)
            atomic_write(target, kept)
        else:
            context.values.setdefault("doc", {})["version"] = version
            write_docx(template, context, target, made_on)
            if version in _issued(record) and versions[-1].get("file_sha256"):
                # no intact copy of what went out: its hash is kept, never written over
                versions[-1].setdefault("sent_sha256", versions[-1]["file_sha256"])
        versions[-1]["file_sha256"] = _file_sha256(target)
    else:
        now = _stamp()
        if ledger is not None:
            version = ledger
        elif versions and versions[-1]["version"] not in issued:
            # the latest version never left (a draft nobody was sent or asked about): this content
            # takes its number, so the first copy a reader sees is not "versjon 3"; the draft stays
            # in the record as made and replaced. Content back to what the last issued version
            # holds is that version again (its readers have it).
            versions[-1]["replaced_at"] = now
            back = next((v for v in reversed(versions) if v["version"] in issued), None)
            version = back["version"] if back and back["content_hash"] == digest else versions[-1]["version"]
        else:
            version = (versions[-1]["version"] + 1) if versions else 1
        if ledger is None:
            ledger = _by_ledger(request.ledger_versions, digest, version, versions)
            version = version if ledger is None else ledger
        # every version the ledger knows left grantflow: new content never takes one of their numbers
        issued |= set(request.ledger_versions)
        context.values.setdefault("doc", {})["version"] = version
        write_docx(template, context, target, request.as_of)
        # what this version said in figures, for the mail of a later version that replaces it
        # ("Regnskap til nå: 125 000 kr → 137 400 kr"): the record's own figures are the latest only
        versions.append({"version": version, "content_hash": digest, "generated_at": now,
                         "file_sha256": _file_sha256(target), "key_figures": context.key_figures,
                         "snapshot": context.snapshot, "sources": request.sources,
                         "as_of": request.as_of.isoformat(), "previous": request.previous})
        record["issued"] = sorted(issued)
    # the file kept (same content) is dated as it was made: the record keeps that day and what the
    # document said then; rendering it again with another --as-of said "unchanged" and the record
    # took the new day while the .docx kept the old one (a cost split re-dated by a helper)
    kept = record.get("as_of") if (reused or made_on != request.as_of) and record.get("as_of") else None
    # a new version dated before the version that went out and that it replaces: said (the archive
    # files it as the later one)
    replaced = next((v for v in reversed(versions[:-1]) if v["version"] in issued and v["version"] < version), None) \
        if not reused and not same else None
    replaced_as_of = replaced and (replaced.get("as_of") or (replaced.get("snapshot") or {}).get("as_of")
                                   or (prior_as_of if replaced["version"] == prior_version else None))
    before = (replaced["version"], date.fromisoformat(replaced_as_of), request.as_of) \
        if replaced_as_of and replaced_as_of > request.as_of.isoformat() else None
    produced = Produced(kind.name, request.council.id, request.project.id if request.project else None,
                        request.period.label, target, version, digest, reused,
                        key_figures=context.key_figures, addressed=context.addressed, draft=context.draft,
                        payers=context.payers, settlement=context.snapshot.get("settlement") or {},
                        findings=list(notes or []) + [f for f in context.findings if f not in (notes or [])],
                        dated=date.fromisoformat(kept) if kept and kept != request.as_of.isoformat() else None,
                        dated_before=before)
    if not reused and not same:
        # the findings this version was made with, kept with it: the record's own are the latest only
        versions[-1]["findings"] = [str(f) for f in produced.findings]
    (failure,) = add_pdfs([produced], record=False) if pdf else (None,)
    record.update({
        "kind": kind.name, "council": request.council.id,
        "project": request.project.id if request.project else None,
        "period": request.period.label, "as_of": kept or request.as_of.isoformat(),
        "docx": target.name, "pdf": produced.pdf.name if produced.pdf else None,
        "pdf_made": produced.pdf_made if produced.pdf else None,
        "version": version, "versions": versions, "content_hash": digest,
        "key_figures": context.key_figures,
        "snapshot": record.get("snapshot", context.snapshot) if kept else context.snapshot,
        "findings": [str(f) for f in produced.findings],
    })
    # a delivery may have been recorded (mark_delivered) while this one rendered: keep it
    record["delivered"] = _read_record(record_path).get("delivered") or record.get("delivered", [])
    _write_record(record_path, record)
    if produced.pdf:
        _keep_pdf_copy(record_path, version)
    if failure is not None:   # the .docx and its record stand; the PDF is what failed
        raise failure
    return produced


def add_pdfs(made: list[Produced], record: bool = True, converters: int | None = None) -> list[UserError | None]:
    """See ``_add_pdfs``; with ``record`` (not from inside a render, which holds its lock) under
    every document's lock, taken in one order."""
    if not record:
        return _add_pdfs(made, record, converters)
    with ExitStack() as locks:
        for docx in sorted({p.docx for p in made}):
            locks.enter_context(document_lock(docx))
        return _add_pdfs(made, record, converters)


def _add_pdfs(made: list[Produced], record: bool = True, converters: int | None = None) -> list[UserError | None]:
    """PDFs for many rendered documents, ``pdf_each``'s converters each started once (an unchanged document keeps
    its PDF); each gets its ``pdf`` (or ``pdf_message`` when LibreOffice is not installed) and,
    with ``record``, its record's ``pdf`` entry. Returns each document's failure (None if none):
    one document LibreOffice cannot convert does not stop the others."""
    failures: list[UserError | None] = [None] * len(made)
    todo = []
    for index, produced in enumerate(made):
        pdf_path = produced.docx.with_suffix(".pdf")
        # kept only when it was made from this very .docx file and is as it was made: a PDF beside
        # a document made again (version 2) or edited by hand is made anew
        if pdf_path.exists() and _pdf_not_made_from(produced.docx, pdf_path) is None:
            produced.pdf, produced.pdf_made = pdf_path, _read_record(produced.record).get("pdf_made")
        else:
            todo.append(index)
    sources = {i: _file_sha256(made[i].docx) for i in todo}     # the .docx each PDF is made from
    try:
        outcomes = pdf_each([made[i].docx for i in todo], converters=converters)
    except PdfUnavailable as exc:
        for i in todo:
            made[i].pdf_message = str(exc)
        return failures
    for i, outcome in zip(todo, outcomes):
        if isinstance(outcome, UserError):
            failures[i] = outcome
            continue
        made[i].pdf = outcome
        made[i].pdf_made = {"docx_sha256": sources[i], "sha256": _file_sha256(outcome)}
        entry = _read_record(made[i].record) if record else {}
        if entry:
            entry["pdf"], entry["pdf_made"] = outcome.name, made[i].pdf_made
            _write_record(made[i].record, entry)
            _keep_pdf_copy(made[i].record, made[i].version)
    return failures


def produce(register: Register, kind_name: str, project_id: str | None = None, council_id: str | None = None,
            period: str | None = None, as_of: date | None = None, out: str | os.PathLike | None = None,
            pdf: bool = False, today: date | None = None, include_personal_data: bool = False,
            new_basis: bool = False) -> Produced:
    """The whole chain for one document (what ``grantflow render`` runs)."""
    request, folder, notes = prepare(register, kind_name, project_id, council_id, period, as_of, today, out,
                                     include_personal_data, new_basis)
    context = build_context(request)
    return render(request, context, folder, pdf=pdf, notes=notes)


def place(produced: Produced, folder: Path) -> Path:
    """A copy of the document's .docx (and its PDF) in ``folder``, where the outputs folder has it
    (``<council>/<project>/status-2014-08-29.docx``): a run's own folder inside the outputs folder
    (``Settings.placed_in``) is where its files go; the record, the kept copies of the versions that
    went out and the sent ledger stay the outputs folder's, so the document is numbered and compared
    as they say. Taken under the document's lock, so never half of a render. The copy of the .docx."""
    where = Path(folder) / produced.council / (produced.project or "")
    with document_lock(produced.docx, shared=True):
        for path in (produced.docx, produced.pdf):
            if path is not None:
                atomic_write(where / path.name, Path(path).read_bytes())
    produced.placed = where / produced.docx.name
    return produced.placed
