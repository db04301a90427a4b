"""Text from people reaches the Prefect UI as text: the run's artifact and the approval form's
description are Markdown, and a data file's cell, a project's name or a mail server's answer
must never become a link, or an image the secretariat's browser fetches when it opens the run."""

from __future__ import annotations

from datetime import date

from markdown_it import MarkdownIt

from flows.documents import DeliveryOptions, status_report

from ..conftest import replace_in
from .test_document_flows import artifact

BEACON = "![b](http://127.0.0.1:9/beacon.png)"
PHISH = "[Godkjenn her](http://evil.example/)"
HOSTILE = f"x` {BEACON} {PHISH} ` <img src=http://127.0.0.1:9/i.png> www.evil.example"


def remote(markdown: str) -> list[str]:
    """Every link and image a CommonMark renderer makes of ``markdown`` that is not a local file,
    and every bare address a GitHub-flavoured one would link by itself (outside code)."""
    found = []
    tokens = MarkdownIt("commonmark").parse(markdown)
    for token in tokens:
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                target = child.attrGet("href") or child.attrGet("src") or ""
                if not target.startswith("file://"):
                    found.append(target)
            if child.type in ("html_inline",):
                found.append(child.content)
            if child.type == "text" and ("http://" in child.content or "www." in child.content):
                # shown as text by CommonMark; GFM would link it unless the source broke it
                line = child.content
                source_ok = "http:\\/\\/" in markdown or "www\\." in markdown
                if not source_ok:
                    found.append(line)
        if token.type == "html_block":
            found.append(token.content)
    return found


def literal(markdown: str) -> str:
    """What a reader sees: the text and code of every inline, joined."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    return " ".join(c.content for t in tokens for c in (t.children or []) if c.type in ("text", "code_inline"))


def test_a_data_files_cell_in_the_runs_artifact_is_text(isolated, scratch_config):
    """A ledger row whose category holds a backtick, an image and a link: the finding naming it was
    put between single backticks, so the backtick closed the code and the image and the link were
    Markdown again in the run's summary."""
    ledger = scratch_config / "data/haugaland-velferdsteknologi/regnskap.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8") + f"15.11.2015;2015;{HOSTILE};Diverse;100,00;hv-fond;\n",
                      encoding="utf-8")
    # the session's server keeps other tests' runs of this flow: read this run's summary only
    before = {a.id for a in artifact("status-haugaland-velferdsteknologi")}
    status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                  options=DeliveryOptions(config=str(scratch_config)))
    (summary,) = [a.data for a in artifact("status-haugaland-velferdsteknologi") if a.id not in before]
    assert remote(summary) == [], summary
    assert f"unknown budget category '{HOSTILE}'" in literal(summary)


def test_a_projects_name_and_the_findings_in_the_approval_form_are_text(isolated, scratch_config, monkeypatch):
    """The approval form's description (Markdown in the Prefect UI) carried the project's name (a
    project leader's workbook can set it) and the findings as they were."""
    from prefect import flow

    import flows.approval as approval
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    name = f"ERP {PHISH} {BEACON}"
    replace_in(scratch_config / "projects/kongsbergregionen-erp.yaml", "name: ERP-prosjektet for 4 kommuner",
               f'name: "{name}"')
    register, settings = open_register(str(scratch_config)), load_settings(str(scratch_config))
    project = register.project("kongsbergregionen-erp")
    council = register.council(project.council)
    shown = []

    def suspend(wait_for_input, key, timeout):
        shown.append(wait_for_input._description)       # what the UI shows above the form
        return approval.ApprovalForm(approver="Kari", decision="avvis", comment="nei")

    monkeypatch.setattr(approval, "suspend_flow_run", suspend)

    @flow
    def asking():
        title = f"Sluttrapport: {project.name} (2014)"
        preview = f"Dokument: Sluttrapport – {project.name} (2014), versjon 1\nEmne: Sluttrapport: {project.name}"
        return approval.await_approval("kongsbergregionen/kongsbergregionen-erp/final-2014", 1, title, preview,
                                       [f"ERROR   regnskap.csv:20 Kategori: unknown budget category '{HOSTILE}'"], 1,
                                       project, council, settings, "outbox", content_hash="abc")

    assert not asking().approved
    (description,) = shown
    assert remote(description) == [], description
    seen = literal(description)
    assert name in seen and HOSTILE in seen, seen


def test_a_milestones_name_and_a_budget_category_in_the_runs_tables_are_text(isolated, scratch_config):
    """The Prefect UI (3.8.8) renders every string cell of a table artifact with its Markdown
    renderer (ArtifactDataTable: ``typeof cell == "string"`` → ``p-markdown-renderer``, which makes an
    image an ``<img src>`` and a link an ``<a href>``): a milestone's name from the project file and a
    budget category were fetched or linked when the secretariat opened the run."""
    import json

    hostile = "Oppstart ![b](http://127.0.0.1:9/x.png) [x](http://evil.example/)"
    project = scratch_config / "projects/haugaland-velferdsteknologi.yaml"
    replace_in(project, "event: Oppstart med å samordne kommuner om hovedaktiviteter}", f'event: "{hostile}"}}')
    replace_in(project, "category: Prosjektkostnader", f'category: "{hostile}"')
    listy = "- 7. Evaluere og avslutte prosjektet"      # a cell is a Markdown document: no list either
    replace_in(project, "event: Evaluere og avslutte prosjektet}", f'event: "{listy}"}}')
    ledger = scratch_config / "data/haugaland-velferdsteknologi/regnskap.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("Prosjektkostnader", hostile), encoding="utf-8")
    keys = ("status-haugaland-velferdsteknologi-milestones", "status-haugaland-velferdsteknologi-budget")
    before = {a.id for key in keys for a in artifact(key)}
    status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                  options=DeliveryOptions(config=str(scratch_config)))
    cells_of = {}
    for key in keys:
        (table,) = [a.data for a in artifact(key) if a.id not in before]
        rows = json.loads(table) if isinstance(table, str) else table
        cells = cells_of[key] = [cell for row in rows for cell in row.values() if isinstance(cell, str)]
        assert all(remote(cell) == [] for cell in cells), (key, cells)
        assert hostile in [literal(cell) for cell in cells], (key, cells)
    assert listy in [literal(cell) for cell in cells_of["status-haugaland-velferdsteknologi-milestones"]]
