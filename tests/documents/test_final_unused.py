"""The final report's unused money is each funder's: the mail to the county governor said
"Ubrukte midler: 344 739 kr" and the Sum row "Tilbakebetales 344 739 kr", while the county
governor's own unused grant was 79 739 kr; the rest was the regional fund's (found by an outside
tester playing the county governor). Recomputed here from the plan and the ledger file."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import find_table

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"


def _unused_by_funder() -> dict[str, int]:
    plan = yaml.safe_load((CONFIG / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8"))
    end = plan["period"]["end"]
    spent: dict[str, Decimal] = {}
    with open(CONFIG / "data" / HAUG / "regnskap.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            day = date(*reversed([int(x) for x in r["Dato"].split(".")]))
            if day <= end:
                amount = Decimal(r["Beløp"].removesuffix(" kr").replace(" ", "").replace(",", "."))
                spent[r["Finansieringskilde"]] = spent.get(r["Finansieringskilde"], Decimal(0)) + amount
    out = {}
    for funder in plan["funders"]:
        granted = sum(Decimal(g["amount"]) for g in funder.get("grants", []))
        if granted:
            out[funder["name"]] = granted - spent.get(funder["id"], Decimal(0))    # to the øre
    return out


def _money(value: Decimal) -> str:
    """'79 739,50 kr', '265 000 kr': an amount with the øre it has."""
    text = f"{value:,.2f}" if value % 1 else f"{int(value):,}"
    return text.replace(",", " ").replace(".", ",") + " kr"


def test_each_funders_unused_money_is_named_and_the_sum_is_not_one_repayment(tmp_path):
    unused = _unused_by_funder()
    assert unused == {"Haugaland Vekst Regionråds fond": 265000,
                      "Fylkesmannen i Rogaland (skjønnsmidler)": Decimal("79739.50")}
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    # the municipalities' unused part (their own row) is tested in test_figures_as_recipients_read_them
    shown = {k: v.replace(NB, " ") for k, v in made.key_figures.items() if k.startswith("Ubrukt")}
    municipal = Decimal(shown.pop("Ubrukt, Kommunene (kostnadsfordeling)").removesuffix(" kr").replace(" ", "")
                        .replace(",", "."))
    assert shown == {f"Ubrukt, {name}": _money(amount) for name, amount in unused.items()}
    (total,) = [r for r in find_table(made.docx, "Kilde") if r[0] == "Sum"]
    assert total[5].replace(NB, " ") == f"{sum(unused.values()) + municipal:,.2f}".replace(",", " ").replace(".", ",")
    assert total[6] == "Hver kilde for seg, se radene"          # was "Tilbakebetales 344 739 kr"


def test_a_project_without_grants_has_no_unused_grant_figure(tmp_path):
    made = produce(open_register(CONFIG), "final", "kongsbergregionen-erp", out=tmp_path)
    # no grant: no unused grant; the municipalities' unused part only (test_figures_as_recipients_read_them)
    assert [k for k in made.key_figures if k.startswith("Ubrukt")] == ["Ubrukt, Kommunene (kostnadsfordeling)"]


def test_a_final_report_from_an_old_ledger_export_is_said(tmp_path):
    """The ERP project's final report per 31.12.2014 was made from a ledger whose last row is
    30.06.2014, and says "Regnskapet for prosjektet er kontrollert" (found by an outside tester)."""
    from openpyxl import load_workbook

    sheet = load_workbook(CONFIG / "data" / "kongsbergregionen-erp" / "regnskap.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    at = [str(h).strip() for h in rows[0]].index("Dato")
    last = max(r[at] for r in rows[1:] if r[at] is not None)
    last = last.date() if hasattr(last, "date") else date(*reversed([int(x) for x in str(last).split(".")]))
    assert last == date(2014, 6, 30)                       # recomputed from the ledger file
    made = produce(open_register(CONFIG), "final", "kongsbergregionen-erp", out=tmp_path)
    (found,) = [f for f in made.findings if "last row is dated" in f.message]
    assert found.severity == "warning" and found.field == "Dato"
    assert f"{last:%d.%m.%Y}, {(date(2014, 12, 31) - last).days} days before the project's end 31.12.2014" \
        in found.message


def test_the_application_signature_does_not_say_the_role_twice(tmp_path):
    """"Styreleder i Haugaland Vekst Regionråd" above "styreleder" (found by an outside tester)."""
    from docx import Document

    made = produce(open_register(CONFIG), "application", HAUG, out=tmp_path)
    lines = [p.text for p in Document(str(made.docx)).paragraphs]
    at = lines.index("Styreleder i Haugaland Vekst Regionråd")
    assert "styreleder" not in [l.strip().casefold() for l in lines[at + 1:at + 3]], lines[at - 2:at + 3]


def test_a_status_reports_mail_names_its_meeting(tmp_path):
    """The status mails did not say which meeting they were for (found by an outside tester)."""
    plan = yaml.safe_load((CONFIG / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8"))
    (meeting,) = [d for d in plan["meetings"]["dates"] if date(2016, 10, 7) <= d <= date(2016, 11, 7)]
    made = produce(open_register(CONFIG), "status", HAUG, as_of=date(2016, 10, 7), out=tmp_path)
    assert list(made.key_figures)[0] == "Til styringsgruppemøtet"
    assert made.key_figures["Til styringsgruppemøtet"].replace(NB, " ") == \
        f"{meeting.day}. {['oktober', 'november'][meeting.month - 10]} {meeting.year}"


def test_the_cost_split_mail_gives_each_municipality_its_share(tmp_path):
    """The mail to the rådmenn gave only the totals per year (found by an outside tester); each
    participating municipality's share is now in it, as the document's tables have it."""
    from docx import Document

    made = produce(open_register(CONFIG), "costsplit", HAUG, out=tmp_path)
    tables = [t for t in Document(str(made.docx)).tables
              if "Lik andel" in [c.text.strip() for c in t.rows[0].cells]]       # one per year
    per_year: dict[str, list[str]] = {}
    for year, table in zip((2015, 2016), tables):
        header = [c.text.strip() for c in table.rows[0].cells]
        for row in table.rows[1:]:
            cells = [c.text.strip() for c in row.cells]
            if cells[0] != "Sum" and cells[header.index("Sum")] != "Deltar ikke":
                per_year.setdefault(cells[0], []).append(f"{cells[header.index('Sum')]} kr ({year})")
    assert len(per_year) == 10
    shown = {k.removeprefix("Andel "): v.replace(NB, " ") for k, v in made.key_figures.items() if k.startswith("Andel ")}
    assert shown == {name: ", ".join(parts).replace(NB, " ") for name, parts in per_year.items()}


def test_a_green_overall_status_says_what_it_rests_on_when_the_leader_rated_nothing(tmp_path):
    """"Samlet vurdering: Grønn" beside Kvalitet and Gevinster "Ikke vurdert" (found by an outside
    tester): the overall colour now says it rests on progress, economy and risk."""
    from docx import Document

    # August 2014 alone: a report per 29.08.2014 reported from the project start, whose period holds
    # milestone 02's delivery 15 days late (15.04.2014), and is amber for it (test_progress_done_late)
    made = produce(open_register(CONFIG), "status", "kongsbergregionen-erp", period="2014-08", out=tmp_path)
    tables = Document(str(made.docx)).tables
    dims = {r.cells[0].text: r.cells[1].text for r in tables[2].rows[1:]}
    assert dims["Kvalitet"] == dims["Gevinster"] == "Ikke vurdert", dims
    overall = tables[1].rows[1].cells
    assert overall[0].text == "Grønn"
    assert overall[1].text.endswith("Samlet status bygger på fremdrift, økonomi og risiko; kvalitet og gevinster "
                                    "er ikke vurdert.")


def test_the_overall_basis_names_only_what_was_rated(scratch_config, tmp_path):
    """A project without risks has no risk colour: the sentence said the overall colour rested on
    risk too (found by a reviewer)."""
    from docx import Document

    path = scratch_config / "projects" / "kongsbergregionen-erp.yaml"
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan["risks"] = []
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    made = produce(open_register(scratch_config), "status", "kongsbergregionen-erp", as_of=date(2014, 8, 29),
                   out=tmp_path)
    overall = Document(str(made.docx)).tables[1].rows[1].cells[1].text
    assert overall.endswith("Samlet status bygger på fremdrift og økonomi; kvalitet og gevinster er ikke vurdert."), \
        overall
