"""Findings of an outside tester reading the demo's documents as the county governor and the
steering group would. Each figure is recomputed here from the config and data files."""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import all_text, find_table, tables, with_ore

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"
ERP = "kongsbergregionen-erp"


def _plan(project: str) -> dict:
    return yaml.safe_load((CONFIG / "projects" / f"{project}.yaml").read_text(encoding="utf-8"))


def _kr(amount) -> str:
    return f"{int(amount):,}".replace(",", NB)


def _municipal_budget(plan: dict) -> Decimal:
    """The municipalities' part: their own amounts, else costs minus the other financing."""
    unit = Decimal(str(plan["budget"].get("unit", 1)))
    (line,) = [l for l in plan["budget"]["financing"] if l["kind"] == "kommunene"]
    if line.get("amounts"):
        return sum(Decimal(v) for v in line["amounts"].values()) * unit
    costs = sum(Decimal(v) for c in plan["budget"]["costs"] for v in c["amounts"].values())
    other = sum(Decimal(v) for l in plan["budget"]["financing"] if l["kind"] not in ("kommunene", "egeninnsats")
                for v in l.get("amounts", {}).values())
    return (costs - other) * unit


def _erp_spent() -> Decimal:
    from openpyxl import load_workbook

    sheet = load_workbook(CONFIG / "data" / ERP / "regnskap.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    head = [str(h).strip() for h in rows[0]]
    return sum(Decimal(str(r[head.index("Beløp")])) for r in rows[1:] if r[head.index("Beløp")] is not None)


def _haug_municipal_spent() -> Decimal:
    plan = _plan(HAUG)
    named = {l["source"].casefold() for l in plan["budget"]["financing"]} | {f["id"] for f in plan["funders"]}
    total = Decimal(0)
    with open(CONFIG / "data" / HAUG / "regnskap.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            src = r["Finansieringskilde"].strip().casefold()
            if src not in named or src == "kommunene (kostnadsfordeling)":
                total += Decimal(r["Beløp"].replace(" ", "").replace(",", "."))
    return total


def test_the_municipalities_unused_money_is_stated(tmp_path):
    """ERP: "Prosjektet har ikke fått tilsagn om tilskudd; det er ingen ubrukte midler" beside
    5 450 000 kr of the municipalities' money and 4 779 500 kr spent, Sum Ubrukt 0."""
    planned, spent = _municipal_budget(_plan(ERP)), _erp_spent()
    unused = planned - spent
    assert unused == 670500
    made = produce(open_register(CONFIG), "final", ERP, out=tmp_path)
    table = find_table(made.docx, "Kilde", "Saksnr.")
    head = table[0]
    (row,) = [r for r in table if r[0] == "Kommunene (kostnadsfordeling)"]
    (total,) = [r for r in table if r[0] == "Sum"]
    assert row[head.index("Planlagt")] == _kr(planned) and row[head.index("Brukt")] == _kr(spent)
    assert row[head.index("Ubrukt")] == _kr(unused)
    assert row[head.index("Disponering")] == "Avregnes med kommunene"
    assert total[head.index("Ubrukt")] == _kr(unused)
    text = all_text(made.docx)
    assert "ingen ubrukte midler" not in text
    assert (f"Det ubrukte beløpet, {_kr(unused)}{NB}kr, avregnes med kommunene etter fordelingsnøkkelen "
            "i kostnadsfordelingen.") in text
    assert made.key_figures["Ubrukt, Kommunene (kostnadsfordeling)"] == f"{_kr(unused)}{NB}kr"


def test_the_municipalities_row_of_a_granted_project_has_its_unused_money(tmp_path):
    planned, spent = _municipal_budget(_plan(HAUG)), _haug_municipal_spent()
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    table = find_table(made.docx, "Kilde", "Saksnr.")
    head = table[0]
    (row,) = [r for r in table if r[0] == "Kommunene (kostnadsfordeling)"]
    # the table prints øre (the skjønnsmidler's 48 320,50 kr), so every amount in it has two decimals
    assert row[head.index("Brukt")] == with_ore(spent)
    assert row[head.index("Ubrukt")] == with_ore(planned - spent)
    (total,) = [r for r in table if r[0] == "Sum"]
    others = [r for r in table[1:] if r[0] not in ("Sum",)]
    assert total[head.index("Ubrukt")] == with_ore(sum(
        Decimal(r[head.index("Ubrukt")].replace(NB, "").replace(",", ".") or 0)
        for r in others if r[head.index("Ubrukt")] != "–"))


def test_the_final_report_is_addressed_to_whom_it_goes(tmp_path):
    """ERP has no skjønnsmidler: its final report goes to the steering group's leader alone, and
    page 1 said "Til | Fylkesmannen i Buskerud"."""
    plan = _plan(ERP)
    assert not [l for l in plan["budget"]["financing"] if l["kind"] == "skjønnsmidler"]
    (chair,) = [m for m in plan["steering_group"] if m["role"] == "leder"]
    made = produce(open_register(CONFIG), "final", ERP, out=tmp_path)
    (til,) = [row for t in tables(made.docx) for row in t if row and row[0] == "Til"]
    assert til[1] == f"{chair['name']}, leder av styringsgruppen"
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    (til,) = [row for t in tables(made.docx) for row in t if row and row[0] == "Til"]
    assert til[1] == "Fylkesmannen i Rogaland"          # 2017: before the office was renamed


def _applied(plan: dict, year: int) -> int:
    return sum(int(l.get("amounts", {}).get(year, 0)) for l in plan["budget"]["financing"] if l.get("applied_for"))


def test_an_application_for_nothing_is_not_sent(tmp_path, monkeypatch, capsys):
    """`send application haugaland-velferdsteknologi --period 2016 --yes --override-reason x`
    mailed "Omsøkt beløp: 0 kr" to the county governor with only a warning."""
    from grantflow.cli import main

    plan = _plan(HAUG)
    assert _applied(plan, 2016) == 0 and _applied(plan, 2015) > 0
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "application", HAUG, "--period", "2016", "--yes",
                 "--override-reason", "x"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: config/projects/haugaland-velferdsteknologi.yaml: budget.financing: not sent: the "
                   "application for 2016 applies for 0 kr (no applied-for financing line has an amount for 2016; "
                   "the plan applies for 2015): add the amount applied for, or send the year that has one"]
    assert not list((tmp_path / "outputs").rglob("*.eml"))
    # a draft may still be rendered
    assert main(["--config", str(CONFIG), "render", "application", HAUG, "--period", "2016"]) == 0


def test_the_calendar_lists_no_application_round_for_a_year_with_nothing_applied_for(capsys):
    """The funder's round of 01.09.2016 ("for år 2") was listed, and made, as the application for
    2016, a year the plan applies for nothing in (nor in 2017)."""
    from grantflow.cli import main

    plan = _plan(HAUG)
    rounds = [d for f in plan["funders"] for d in f.get("deadlines", []) if d["kind"] == "application"]
    assert [d["date"] for d in rounds] == [date(2016, 9, 1)]
    assert _applied(plan, 2016) == _applied(plan, 2017) == 0
    assert main(["--config", str(CONFIG), "deadlines", "--from", "2014-01-01", "--days", "3650"]) == 0
    out = capsys.readouterr().out
    assert "01.09.2016" not in out and "Søknad om skjønnsmidler for år 2" not in out
    assert "17.01.2019  Søknad" in out          # Nord-Gudbrandsdal's round applies for 2019: listed


def _erp_last_row() -> date:
    from openpyxl import load_workbook

    sheet = load_workbook(CONFIG / "data" / ERP / "regnskap.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    at = [str(h).strip() for h in rows[0]].index("Dato")
    days = [r[at] for r in rows[1:] if r[at] is not None]
    return max(d.date() if hasattr(d, "date") else date(*reversed([int(x) for x in str(d).split(".")])) for d in days)


def test_a_status_report_on_an_old_ledger_export_says_so_near_the_economy(tmp_path):
    """`render status kongsbergregionen-erp --as-of 2014-11-21`, ledger's last row 30.06.2014:
    Økonomi Grønn, a forecast from five missing months, no warning (the final report warned)."""
    from docx import Document

    last, as_of = _erp_last_row(), date(2014, 11, 21)
    assert last == date(2014, 6, 30) and (as_of - last).days == 144
    made = produce(open_register(CONFIG), "status", ERP, as_of=as_of, out=tmp_path)
    (found,) = [f for f in made.findings if "last row is dated" in f.message]
    assert found.severity == "warning" and found.field == "Dato"
    assert "30.06.2014, 144 days before the report date 21.11.2014" in found.message
    lines = [p.text for p in Document(str(made.docx)).paragraphs]
    (said,) = [l for l in lines if l.startswith("Regnskapet har siste postering")]
    assert said.startswith(f"Regnskapet har siste postering 30.{NB}juni{NB}2014, 144{NB}dager før rapportdatoen")
    # in section 4, after its figures and before section 5
    assert lines.index("4. Økonomi (i kr)") < lines.index(said) < lines.index("5. Største risikoer")
    (row,) = [r for t in tables(made.docx) for r in t if r and r[0] == "Økonomi"]
    assert f"Regnskapet er ført til 30.{NB}juni{NB}2014" in row[-1]
    # a ledger within the threshold: no word (the demo's status report per 29.08.2014, 60 days)
    made = produce(open_register(CONFIG), "status", ERP, as_of=date(2014, 8, 29), out=tmp_path)
    assert not [f for f in made.findings if "last row is dated" in f.message]
    assert not [p.text for p in Document(str(made.docx)).paragraphs if p.text.startswith("Regnskapet har siste")]


def test_a_final_report_rendered_later_counts_delays_to_the_project_end(tmp_path):
    """`render final haugaland-velferdsteknologi --as-of 2018-01-10` counted undelivered
    milestones' delays to 10.01.2018 (05: 324 → 436 days; 07 newly "102 dager forsinket")."""
    import calendar as cal

    plan = _plan(HAUG)
    end = plan["period"]["end"]
    with open(CONFIG / "data" / HAUG / "milepaeler.csv", encoding="utf-8-sig") as fh:
        done = {int(r["Milepæl"]) for r in csv.DictReader(fh, delimiter=";") if r["Status"] == "ferdig"}
    expected = {}
    for ms in plan["milestones"]:
        if ms["number"] in done:
            continue
        year, month = map(int, str(ms["date"]).split("-"))
        planned = date(year, month, cal.monthrange(year, month)[1])       # a month-only date: its last day
        expected[f"{ms['number']:02d}"] = max((end - planned).days, 0)
    assert expected == {"05": 324, "06": 112, "07": 0}
    for as_of in (None, date(2018, 1, 10)):
        made = produce(open_register(CONFIG), "final", HAUG, as_of=as_of, out=tmp_path / str(as_of))
        table = find_table(made.docx, "Nr", "Ikke levert")
        head = table[0]
        shown = {r[0]: r[head.index("Forsinkelse (dager)")] for r in table[1:] if r[0] in expected}
        assert shown == {k: str(v) if v else "" for k, v in expected.items()}, (as_of, shown)
        text = all_text(made.docx)
        assert "436" not in text and "102 dager" not in text
        # the timeline chart's delays end at the project's end too, and its marker says so
        import zipfile
        with zipfile.ZipFile(made.docx) as z:
            charts = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/charts/chart"))
        assert f"{'Prosjektslutt' if as_of else 'Rapportdato'} {end:%d.%m.%Y}" in charts
        assert "10.01.2018" not in charts


def test_own_effort_hours_are_shown_as_exact_as_the_kroner_beside_them_need(scratch_config, tmp_path):
    """A timer.csv line changed to 3,25 gave "133,8 timer registrert à 500 kr = 66 875 kr"
    (133,8 × 500 = 66 900)."""
    from docx import Document

    from ..conftest import replace_in

    hours_file = scratch_config / "data" / HAUG / "timer.csv"
    replace_in(hours_file, "12.02.2016;Utsira;3;Arbeidsgruppe", "12.02.2016;Utsira;3,25;Arbeidsgruppe")
    end = _plan(HAUG)["period"]["end"]
    with open(hours_file, encoding="utf-8-sig") as fh:
        total = sum(Decimal(r["Timer"].replace(",", ".")) for r in csv.DictReader(fh, delimiter=";")
                    if date(*reversed([int(x) for x in r["Dato"].split(".")])) <= end)
    rate = Decimal(yaml.safe_load((scratch_config / "grantflow.yaml").read_text(encoding="utf-8"))
                   ["documents"]["own_effort_hourly_rate"])
    assert total == Decimal("133.75") and rate == 500
    value = (total * rate).quantize(Decimal(1), ROUND_HALF_UP)
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    # section 6's line (section 4 names the shortfall against the plan too)
    (line,) = [p.text for p in Document(str(made.docx)).paragraphs
               if p.text.startswith("Egeninnsats:") and " registrert à " in p.text]
    shown = f"133,75{NB}timer registrert à 500{NB}kr = {_kr(value)}{NB}kr"
    assert shown in line, line
    # and it adds up as printed
    assert Decimal("133.75") * rate == value


def test_the_applications_planned_hours_add_up_with_their_value(scratch_config, tmp_path):
    from docx import Document

    from ..conftest import replace_in

    replace_in(scratch_config / "projects" / f"{HAUG}.yaml", "own_effort_hours: 2073", "own_effort_hours: 2073.125")
    made = produce(open_register(scratch_config), "application", HAUG, out=tmp_path)
    (line,) = [p.text for p in Document(str(made.docx)).paragraphs if p.text.startswith("Egeninnsats:")]
    value = (Decimal("2073.125") * 500).quantize(Decimal(1), ROUND_HALF_UP)
    assert line.startswith(f"Egeninnsats: 2{NB}073,125{NB}timer à 500{NB}kr = {_kr(value)}{NB}kr"), line


def test_an_application_shows_only_its_own_years_round(tmp_path):
    """`render application smart-velferdsregion-nord-gudbrandsdal --year 2020` showed "Søknadsrunde |
    … søknadsfrist 17. januar 2019", the 2019 round."""
    ng = "smart-velferdsregion-nord-gudbrandsdal"
    plan = _plan(ng)
    (round_,) = [d for f in plan["funders"] for d in f.get("deadlines", []) if d["kind"] == "application"]
    assert round_["date"] == date(2019, 1, 17) and _applied(plan, 2019) > 0     # the 2019 round

    def shown(year, as_of=None):
        made = produce(open_register(CONFIG), "application", ng, period=str(year), as_of=as_of,
                       out=tmp_path / f"{year}-{as_of}")
        (row,) = [r for t in tables(made.docx) for r in t if r and r[0] == "Søknadsrunde"]
        return row[1]
    # dated as the demo dates it (config/grantflow.yaml: 15.01.2019, before the round's deadline)
    assert shown(2019, date(2019, 1, 15)).endswith(f"søknadsfrist 17.{NB}januar{NB}2019")
    # dated today, after the round: never its round (session 23), the passed round said as passed
    assert shown(2019).endswith(f"søknadsfrist 17.{NB}januar{NB}2019 var før søknadens dato")
    assert shown(2020) == "Ikke angitt i prosjektets frister"


def test_one_document_and_its_mails_name_the_county_governor_one_way(tmp_path, monkeypatch, capsys):
    """"Statsforvalteren i Rogaland" and "Fylkesmannen i Rogaland" within one package, sometimes
    one document (the application's Til line vs its round line; the final and usage reports' Til
    vs the mail's greeting). The office was renamed Statsforvalteren on 1 January 2021: each
    document and its mails now name it as on the document's date."""
    import email
    import re
    from email import policy

    from grantflow.cli import main

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    ng = "smart-velferdsregion-nord-gudbrandsdal"
    today = date.today()
    sends = {  # document key -> the day it names the office by
        f"haugaland-vekst/{HAUG}/final-2017": _plan(HAUG)["period"]["end"],
        f"nord-gudbrandsdal/{ng}/final-2021": _plan(ng)["period"]["end"],
        f"nord-gudbrandsdal/{ng}/application-2019": today,              # dated the day it is made
        "haugaland-vekst/-/usage-2015": date(2016, 1, 1),                # sent after the year's end
    }
    for args in (["final", HAUG], ["final", ng], ["application", ng, "--year", "2019"],
                 ["usage", "--council", "haugaland-vekst", "--year", "2015"]):
        assert main(["--config", str(CONFIG), "send", *args, "--yes", "--override-reason", "test"]) == 0
    capsys.readouterr()
    pattern = re.compile(r"(Fylkesmannen|Statsforvalteren)s?[ \u00a0]i[ \u00a0]\w+|(Fylkesmannen|Statsforvalteren)s\b")
    words: dict[str, set] = {key: set() for key in sends}
    for path in (tmp_path / "outputs" / "outbox").glob("*.eml"):
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        key = mail["X-Grantflow-Document"].split()[0]
        text = mail.get_body(("plain",)).get_content() + str(mail["To"])
        words[key] |= {m.group(1) or m.group(2) for m in pattern.finditer(text)}
    for key in sends:
        council, project, name = key.split("/")
        docx = tmp_path / "outputs" / council / ("" if project == "-" else project) / f"{name}.docx"
        words[key] |= {m.group(1) or m.group(2) for m in pattern.finditer(all_text(docx))}
    for key, day in sends.items():
        want = "Statsforvalteren" if day >= date(2021, 1, 1) else "Fylkesmannen"
        assert words[key] == {want}, (key, words[key])


def _usage_status(council: str, year: int, tmp_path) -> tuple[str, list]:
    made = produce(open_register(CONFIG), "usage", council_id=council, period=str(year), out=tmp_path / str(year))
    table = find_table(made.docx, "Prosjekt", "Saksnr.")
    (row,) = [r for r in table[1:] if r[0] != "Sum"][:1]
    return row[table[0].index("Status")].replace(NB, " "), made.findings


def test_a_past_dated_usage_report_quotes_nothing_written_after_its_date(tmp_path):
    """The usage report per 31.12.2015 explained its red status with the final evaluation's
    explanations (written at the project's end 2017, one naming 11 April 2016); the one per
    31.12.2020 quoted March 2020's note about milestone 02 for the delays of 03-05."""
    notes = yaml.safe_load((CONFIG / "data" / HAUG / "notater.yaml").read_text(encoding="utf-8"))
    assert all(n["as_of"] > date(2015, 12, 31) for n in notes["status"])      # no note by 31.12.2015
    assert _plan(HAUG)["period"]["end"] > date(2015, 12, 31)                  # the evaluation came after
    status, findings = _usage_status("haugaland-vekst", 2015, tmp_path)
    for text in notes["evaluation"]["explanations"].values():
        assert text.rstrip(".")[:40] not in status
    assert status.startswith("Alvorlig avvik:") and status.endswith("Forklaring mangler."), status
    assert [f for f in findings if f.field == "status.explanation"]
    ng = "smart-velferdsregion-nord-gudbrandsdal"
    ng_notes = yaml.safe_load((CONFIG / "data" / ng / "notater.yaml").read_text(encoding="utf-8"))
    (march,) = ng_notes["status"]
    assert march["as_of"] == date(2020, 3, 1) and not march.get("explanation")
    status, _ = _usage_status("nord-gudbrandsdal", 2020, tmp_path)
    assert "Milepælene 03" in status and march["deviations"][0].rstrip(".") not in status, status
    assert status.endswith("Forklaring mangler."), status
    # an old note's deviation naming the milestone late now is still quoted, marked old
    autumn = [n for n in notes["status"] if n["as_of"] == date(2016, 10, 1)][0]
    status, _ = _usage_status("haugaland-vekst", 2016, tmp_path)
    assert "Milepæl 05 (" in status and (f"Prosjektleder: «{autumn['deviations'][0].rstrip('.')}» (fra statusnotatet "
                                         "1. oktober 2016, ikke oppdatert).") in status, status
