"""The period's input as a form: what the project leader answers in the Prefect UI.

``StatusForm`` is a plain pydantic model (the flow wraps it in a RunInput so the UI renders it);
``initial_form`` pre-fills it with the last values, exactly what the workbook's input sheets hold;
``plan_form`` checks an answer and plans the same file changes as a returned workbook, through the
same code (``intake.plan_content``), so both ways write, validate and record who/when alike.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .findings import Finding
from .intake import ImportResult, plan_content, progress_rows
from .models import ProjectNotes
from .data import read_notes
from .register import Register
from .workbook import EXPLAIN, RAG_LABELS, STATUS_CHOICES, WorkbookContent, project_data

Status = Literal["ikke startet", "pågår", "ferdig", "utsatt", "avlyst"]
Rag = Literal["grønn", "gul", "rød"]
FORM_NAME = "skjema"


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MilestoneAnswer(_Form):
    number: int = Field(description="Milepælens nummer (fra planen).")
    event: str = Field("", description="Hendelse (fra planen; endres ikke her).")
    planned: date | None = Field(None, description="Planlagt dato (fra planen).")
    status: Status | None = Field(None, description="Status nå.")
    actual: date | None = Field(None, description="Faktisk dato: når milepælen er nådd, eller for utsatt og avlyst: datoen det ble vedtatt.")
    comment: str = Field("", description="Kort kommentar.")


class Deviation(_Form):
    text: str = Field(description="Avviket.")
    explanation: str = Field("", description="Forklaring.")


class DecisionNeeded(_Form):
    text: str = Field(description="Saken styringsgruppen må ta stilling til.")
    proposal: str = Field("", description="Forslag til vedtak.")


class StatusForm(_Form):
    """Statusrapportering for perioden: det prosjektlederen melder (resten beregnes)."""

    milestones: list[MilestoneAnswer] = Field(default_factory=list, description="Milepælstatus.")
    summary: str = Field("", description="Oppsummering: status i noen setninger.")
    quality: Rag | None = Field(None, description="Kvalitet: grønn, gul eller rød.")
    quality_comment: str = Field("", description="Kvalitet – kommentar.")
    benefits: Rag | None = Field(None, description="Gevinster: grønn, gul eller rød.")
    benefits_comment: str = Field("", description="Gevinster – kommentar.")
    results: str = Field("", description="Resultater så langt.")
    deviations: list[Deviation] = Field(default_factory=list, description="Avvik med forklaring.")
    decisions: list[DecisionNeeded] = Field(default_factory=list,
                                            description="Beslutninger styringsgruppen må ta, med forslag til vedtak.")
    next_period: list[str] = Field(default_factory=list, description="Plan for neste periode.")
    reported_by: str = Field("", description="Hvem som svarer (navn).")


def _split(text: str, marker: str) -> tuple[str, str]:
    head, _, tail = text.partition(marker)
    return head, tail


def initial_form(register: Register, project_id: str, as_of: date) -> StatusForm:
    """The form pre-filled with the plan, the progress so far and the last status note."""
    project = register.project(project_id)
    rows = {row["number"]: row for row in progress_rows(register, project)}
    notes = ProjectNotes()
    if project.data.notes and register.data_path(project.data.notes).exists():
        notes, _ = read_notes(register.data_path(project.data.notes))
    last = notes.note_for(as_of)         # never a note dated after the status date
    milestones = []
    for ms in project.milestones:
        row = rows.get(ms.number, {})
        status = (row.get("status") or "").casefold()
        milestones.append(MilestoneAnswer(number=ms.number, event=ms.event, planned=ms.date,
                                          status=status if status in STATUS_CHOICES else None,
                                          actual=row.get("actual"), comment=row.get("comment") or ""))
    # As the workbook: for a new report date, last period's lists and who reported them start empty.
    same_day = last is not None and last.as_of == as_of
    form = StatusForm(milestones=milestones, reported_by=(last.reported_by or "") if same_day else "")
    if last is not None:
        form.summary, form.results = last.summary, last.results
        if last.quality:
            form.quality, form.quality_comment = RAG_LABELS[last.quality.rag], last.quality.comment
        if last.benefits:
            form.benefits, form.benefits_comment = RAG_LABELS[last.benefits.rag], last.benefits.comment
    if same_day:
        form.deviations = [Deviation(text=a, explanation=b)
                           for a, b in (_split(t, EXPLAIN["deviations"]) for t in last.deviations)]
        form.decisions = [DecisionNeeded(text=a, proposal=b)
                          for a, b in (_split(t, EXPLAIN["decisions"]) for t in last.decisions)]
        form.next_period = list(last.next_period)
    return form


def _content(register: Register, project_id: str, form: StatusForm, as_of: date,
             base: StatusForm | None, offered_at: datetime | None = None) -> WorkbookContent:
    project = register.project(project_id)
    back = {v: k for k, v in RAG_LABELS.items()}
    note: dict = {"as_of": as_of, "summary": form.summary, "results": form.results,
                  "reported_by": form.reported_by}
    for key, rag, comment in (("quality", form.quality, form.quality_comment),
                              ("benefits", form.benefits, form.benefits_comment)):
        if rag:
            note[key] = {"rag": back[rag], "comment": comment}
    note["deviations"] = [d.text + (EXPLAIN["deviations"] + d.explanation if d.explanation else "")
                          for d in form.deviations if d.text]
    note["decisions"] = [d.text + (EXPLAIN["decisions"] + d.proposal if d.proposal else "")
                         for d in form.decisions if d.text]
    note["next_period"] = [t for t in form.next_period if t.strip()]
    progress = [{"number": m.number, "status": m.status or "", "actual": m.actual, "comment": m.comment,
                 "_row": index}
                for index, m in enumerate(form.milestones, start=1) if m.status or m.actual or m.comment]
    base_rows = [{"number": m.number, "status": m.status or "", "actual": m.actual.isoformat() if m.actual else None,
                  "comment": m.comment} for m in (base.milestones if base else []) if m.status or m.actual or m.comment]
    meta = {"format": 1, "kind": "form", "project": project_id, "as_of": as_of.isoformat(),
            "made": f"{offered_at:%d.%m.%Y %H:%M}" if offered_at else as_of.isoformat(), "progress": base_rows if base is not None else None}
    content = WorkbookContent(FORM_NAME, meta, project_data(project), progress, note)
    for index, m in enumerate(form.milestones, start=1):
        content.where[("milestones", index)] = ("milestones", index, "status")
    for key in ("summary", "results", "reported_by", "as_of"):
        content.where[("note", key)] = ("summary" if key == "as_of" else key, None, key)
    return content


def plan_form(register: Register, project_id: str, form: StatusForm, as_of: date, *,
              base: StatusForm | None = None, now: datetime | None = None,
              offered_at: datetime | None = None) -> ImportResult:
    """Check a submitted form and plan the changes (apply them with ``intake.apply``).

    ``base``: the form as it was offered (so progress changed meanwhile in the data file is kept,
    and a change on both sides is a finding), ``offered_at`` when (named in that finding).
    """
    content = _content(register, project_id, form, as_of, base, offered_at)
    if content.meta.get("progress") is None:
        content.meta.pop("progress")
    source = json.dumps(form.model_dump(mode="json"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    rows = _row_findings(register, project_id, form, base)
    result = plan_content(register, content, source, now=now)
    if rows:
        # A row left out or renumbered moves or drops a milestone's progress: nothing is written.
        result.findings = rows + result.findings
        result.changes = []
    return result


def _row_findings(register: Register, project_id: str, form: StatusForm, base: StatusForm | None) -> list[Finding]:
    """The answer's milestone rows against the rows offered: each offered milestone still has its
    row, and a row keeps its milestone's number (as the workbook's locked event does).

    Without ``base`` the rows offered are the plan's, in its order."""
    project = register.project(project_id)
    offered = base.milestones if base is not None else [MilestoneAnswer(number=m.number, event=m.event)
                                                        for m in project.milestones]
    planned = {m.number for m in project.milestones}
    # what names a milestone besides its number: its event and planned date (several milestones
    # may share an event: "Vurdere om prosjektet er i rute")
    names = {m.number: (m.event.strip().casefold(), m.planned) for m in offered}
    unique = {name for name in names.values() if list(names.values()).count(name) == 1}
    findings = []
    listed = {m.number for m in form.milestones}
    missing = [m.number for m in offered if m.number in planned and m.number not in listed]
    if missing:
        which = _and([str(n) for n in missing])
        findings.append(Finding(
            "error", f"{FORM_NAME}:milestones", None, "number",
            f"milestone{'s' if len(missing) > 1 else ''} {which} {'are' if len(missing) > 1 else 'is'} missing from "
            f"the answer; {'their' if len(missing) > 1 else 'its'} progress in the data file would be lost: put "
            f"{'them' if len(missing) > 1 else 'it'} back (to clear a milestone's progress, empty its status, "
            f"actual date and comment)"))
    if len(form.milestones) == len(offered):
        for index, (given, was) in enumerate(zip(form.milestones, offered), start=1):
            name = (given.event.strip().casefold(), given.planned)
            moved = bool(given.event.strip()) and name == names.get(given.number) and name in unique
            if given.number != was.number and not moved:
                # the row's progress would land on another milestone (a swap moves both)
                findings.append(Finding(
                    "error", f"{FORM_NAME}:milestones", index, "number",
                    f"the number was changed from {was.number} to {given.number}; each row keeps its milestone's "
                    f"number ({was.number}: {was.event!r}): put it back"))
    return findings


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# How an answer came when it did not come in the form: said by the inbox after importing a
# workbook, and by the deadline watch on the send date after recording the period as unanswered.
VIA_WORKBOOK, VIA_NONE = "arbeidsbok", "ingen svar"


def period_note(register: Register, project_id: str, as_of: date):
    """The status note for ``as_of`` in the project's notes file (None: none, or no notes file)."""
    project = register.project(project_id)
    if not project.data.notes or not register.data_path(project.data.notes).exists():
        return None
    notes, _ = read_notes(register.data_path(project.data.notes))
    return next((n for n in notes.status if n.as_of == as_of), None)


def unbacked_claim(register: Register, project_id: str, as_of: date, via: str, today: date) -> str | None:
    """Why an answer that says it came as a workbook or not at all is not believed (None: the data
    files bear it out). Anyone who reaches the form can say so; only the files can show it."""
    project = register.project(project_id)
    note = period_note(register, project_id, as_of)
    if via == VIA_WORKBOOK:
        if note is not None and not note.not_reported:
            return None
        return (f"the answer says it came as a workbook ({via!r}), but no workbook with the status for "
                f"{as_of:%d.%m.%Y} has been taken in: only the inbox resumes a run so, after importing one; "
                f"send the form as «skjema»")
    if via == VIA_NONE:
        if today >= as_of and (note is not None or not project.data.notes):
            return None
        return (f"the answer says the project leader did not answer ({via!r}), but "
                + ("the send date has not come" if today < as_of else
                   f"the status for {as_of:%d.%m.%Y} is not recorded as unanswered")
                + f": only the deadline watch resumes a run so, on the send date ({as_of:%d.%m.%Y}); send the "
                  f"form as «skjema»")
    return None
