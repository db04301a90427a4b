"""The deadline watch's cost split around the turn of the year (session 23).

A council invoicing on 5 January (`invoicing.each_year: "05.01"`) with a key by population on 1
January of each year: the watch made the split for 2025 seven days before the invoice day, on
27.12.2024, and it was refused there, every morning until the catch-up ran out ("the cost split
for 2025 bills by innbyggere on 1 January 2025, a figure that does not exist on 27.12.2024 (the
day --as-of dates it)"): no cost split ever went out. It is now made on the first working day of
its year (2.1.2025), still before the invoice day. A year whose figures are not in the council
file yet says which figure to add where. A split due 20 December for its own year (population on
1 January of that year, known) is made as before.

Expected amounts are worked out by hand from the figures written here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions

from ..docx_text import all_text, tables
from ..documents.test_split_keys import COUNCIL, EACH_YEAR, PROJECT, write
from .test_deadline_watch import eml

NB = "\u00a0"


def _config(root: Path, each_year: str, known: tuple[int, ...]) -> Path:
    """Vestfjell (Åsen 5 000, Berg 12 000, Dal 800 on 1 January of each year in ``known``), a project
    2024–2026 split 30 % equally, the rest by population on 1 January of each year; the council
    invoices on ``each_year``."""
    population = {n: {y: p for y in known} for n, p in (("Åsen", 5000), ("Berg", 12000), ("Dal", 800))}
    config = write(root, split=EACH_YEAR, population=population, years=(2024, 2025, 2026))
    path = config / "councils" / f"{COUNCIL}.yaml"
    council = yaml.safe_load(path.read_text(encoding="utf-8"))
    council["invoicing"]["each_year"] = each_year
    path.write_text(yaml.safe_dump(council, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def _sums(docx: Path) -> dict[str, str]:
    table = next(t for t in tables(docx) if t and t[0][:2] == ["Kommune", "Innbyggere 1.1.2025"])
    column = table[0].index("Sum")
    return {row[0]: row[column].replace(NB, " ") for row in table[1:]}


def test_a_split_invoiced_early_january_is_made_on_the_first_working_day_of_its_year(isolated, tmp_path):
    config = _config(tmp_path, "05.01", known=(2024, 2025))
    opts = DeliveryOptions(config=str(config))
    # 5.1.2025 is a Sunday: invoiced Friday 3.1.2025; seven days before is Friday 27.12.2024
    december = deadline_watch(as_of=date(2024, 12, 27), options=opts)
    assert december["failed"] == [] and december["ran"] == [], december
    made = deadline_watch(as_of=date(2025, 1, 2), options=opts)
    assert made["ran"] == [f"costsplit:{PROJECT}:2025-01-03"] and made["failed"] == [], made
    (docx,) = (p for p in (isolated / "outputs").rglob("costsplit-2025.docx") if ".versjoner" not in p.parts)
    assert "Dato\n2. januar 2025\n" in all_text(docx).replace(NB, " ")
    # by hand: 900 000 kr, 30 % = 270 000 equal (90 000 each), 630 000 by 5 000 / 12 000 / 800 of
    # 17 800: Åsen 266 966,29, Berg 514 719,10, Dal 118 314,61 -> 266 966 / 514 719 / 118 315
    assert 266_966 + 514_719 + 118_315 == 900_000
    assert {k: v for k, v in _sums(docx).items() if k != "Sum"} == \
        {"Åsen": "266 966", "Berg": "514 719", "Dal": "118 315"}
    assert {m["Subject"] for m in eml(isolated)} == {"Kostnadsfordeling: Digital hjemmeoppfølging Vestfjell – 2025"}
    # 2026: nothing in late December; on 2.1.2026 the figures on 1.1.2026 are missing: it says which, where
    assert deadline_watch(as_of=date(2025, 12, 29), options=opts)["failed"] == []
    missing = deadline_watch(as_of=date(2026, 1, 2), options=opts)
    assert missing["ran"] == [] and [key for key, _ in missing["failed"]] == [f"costsplit:{PROJECT}:2026-01-05"]
    said = missing["failed"][0][1]
    assert "no innbyggere figure for Åsen on 1 January 2026" in said, said
    assert f"add them to {config}/councils/{COUNCIL}.yaml (Åsen, population: 2026)" in said, said


def test_a_split_due_20_december_for_its_own_year_is_made_in_december(isolated, tmp_path):
    """Invoiced 20 December (Saturday in 2025: Friday 19.12), population on 1.1.2025 known: made
    Friday 12.12.2025 for 2025, dated that day."""
    config = _config(tmp_path, "20.12", known=(2024, 2025, 2026))
    made = deadline_watch(as_of=date(2025, 12, 12), options=DeliveryOptions(config=str(config)))
    assert made["ran"] == [f"costsplit:{PROJECT}:2025-12-19"] and made["failed"] == [], made
    (docx,) = (p for p in (isolated / "outputs").rglob("costsplit-2025.docx") if ".versjoner" not in p.parts)
    assert "Dato\n12. desember 2025\n" in all_text(docx).replace(NB, " ")
    assert _sums(docx)["Åsen"] == "266 966"
