"""The yearly usage report says of a project's final-report milestone what the final report says.

Nord-Gudbrandsdal's final report shows milestone 07 «Sluttrapport levert» (``final_report: true``)
as "Leveres med denne rapporten", but the usage report per 31.12.2021, made beside it, said
"Avsluttet: Milepælene 03, 04, 05, 06, 07 er ikke levert." (found by a reviewer). Once the final
report is made (its record in the outputs), the milestone is said to go with it; once the record
says it was sent, delivered with it on the final report's own date (not the day it was sent: a
usage report dated 10.01.2026 said "levert med sluttrapporten 29. november 2026", the machine's
send day, of a final report dated 20.01.2026; found by an outside tester). A final report dated
after the usage report is not known to it. Without a final report it is not delivered, as before.
"""

from __future__ import annotations

import csv
from datetime import date

import yaml

from grantflow.documents.service import mark_delivered, produce
from grantflow.register import open_register

from ..docx_text import find_table

NB = "\u00a0"
NG = "smart-velferdsregion-nord-gudbrandsdal"
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def _expected(config) -> tuple[list[str], str]:
    """The milestones not done by the project end, other than the final report's, and that one."""
    plan = yaml.safe_load((config / "projects" / f"{NG}.yaml").read_text(encoding="utf-8"))
    end = plan["period"]["end"]
    with open(config / "data" / NG / "milepaeler.csv", encoding="utf-8-sig") as fh:
        done = {int(r["Milepæl"]) for r in csv.DictReader(fh, delimiter=";")
                if r["Status"].strip().casefold() == "ferdig"
                and date(*reversed([int(x) for x in r["Faktisk dato"].split(".")])) <= end}
    (own,) = [m["number"] for m in plan["milestones"] if m.get("final_report")]
    undone = [f"{m['number']:02d}" for m in plan["milestones"] if m["number"] not in done and m["number"] != own]
    return undone, f"{own:02d}"


def _and(numbers: list[str]) -> str:
    """'03, 04 og 05', as Norwegian lists them."""
    return numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " og " + numbers[-1]


def _status(config, out, as_of: date | None = None) -> str:
    made = produce(open_register(config), "usage", council_id="nord-gudbrandsdal", period="2021", out=out,
                   as_of=as_of)
    (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
    return row[6].replace(NB, " ")


def test_without_a_final_report_the_milestone_is_not_delivered(scratch_config, tmp_path):
    undone, own = _expected(scratch_config)
    assert (undone, own) == (["03", "04", "05", "06"], "07")
    assert _status(scratch_config, tmp_path) == f"Avsluttet: Milepælene {_and(undone + [own])} er ikke levert."


def test_a_final_report_made_carries_its_milestone_and_one_sent_delivered_it_that_day(scratch_config, tmp_path):
    undone, own = _expected(scratch_config)
    final = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    assert _status(scratch_config, tmp_path) == (f"Avsluttet: Milepælene {_and(undone)} er ikke levert; "
                                                 f"milepæl {own} leveres med sluttrapporten.")
    mark_delivered(final.docx, final.version, 2, 2)
    # dated by the final report's own date: the project end (no --as-of), from the plan
    end = yaml.safe_load((scratch_config / "projects" / f"{NG}.yaml").read_text(encoding="utf-8"))["period"]["end"]
    assert _status(scratch_config, tmp_path) == (
        f"Avsluttet: Milepælene {_and(undone)} er ikke levert; milepæl {own} ble levert med "
        f"sluttrapporten {end.day}. {MONTHS[end.month - 1]} {end.year}.")


def test_a_usage_report_knows_only_a_final_report_dated_by_its_own_date(scratch_config, tmp_path):
    """Final report dated 20.01.2022 and sent; the usage report per 31.12.2021 dated 10.01.2022
    does not know it, one dated 25.01.2022 says it was delivered 20. januar 2022."""
    undone, own = _expected(scratch_config)
    final = produce(open_register(scratch_config), "final", NG, as_of=date(2022, 1, 20), out=tmp_path)
    mark_delivered(final.docx, final.version, 2, 2)
    assert _status(scratch_config, tmp_path, date(2022, 1, 10)) == \
        f"Avsluttet: Milepælene {_and(undone + [own])} er ikke levert."
    assert _status(scratch_config, tmp_path, date(2022, 1, 25)) == (
        f"Avsluttet: Milepælene {_and(undone)} er ikke levert; milepæl {own} ble levert med "
        "sluttrapporten 20. januar 2022.")
