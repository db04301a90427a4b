"""A financing plan that does not match the budget, said in the final report. Haugaland's plan
(seed 000 as transcribed: costs 1 211 321 + 1 123 094 kr, financing 200 000 + 400 000 + 412 000
and 200 000 + 1 123 000 kr) is 585 kr over its budget; the final report printed the budget's
unused part (Avvik −1 246 154) and the sources' unused money (Sum Ubrukt 1 246 739,50) with no
word of why they differ. Expected figures are computed here from the project file."""

from __future__ import annotations

from decimal import Decimal

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import find_table, paragraphs

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"


def _plan(config) -> tuple[int, int]:
    """(cash costs, financing) of the whole period in kroner, from the project file."""
    plan = yaml.safe_load((config / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8"))
    unit = plan["budget"].get("unit", 1)
    costs = sum(a for c in plan["budget"]["costs"] for a in c["amounts"].values()) * unit
    financing = sum(a for line in plan["budget"]["financing"] if line.get("kind") != "egeninnsats"
                    for a in line.get("amounts", {}).values()) * unit
    return costs, financing


def _kr(amount: int) -> str:
    return f"{amount:,}".replace(",", NB) + f"{NB}kr"


def _figure(cell: str) -> Decimal:
    return Decimal(cell.replace(NB, "").replace("\u2212", "-").replace(",", "."))


def test_the_final_report_says_the_plan_is_585_kr_over_its_budget(config_dir, tmp_path):
    costs, financing = _plan(config_dir)
    assert (costs, financing) == (2_334_415, 2_335_000)          # the seed's own figures
    made = produce(open_register(config_dir), "final", HAUG, out=tmp_path)
    sentence = (f"Finansieringsplanen er {_kr(financing - costs)} høyere enn budsjettet ({_kr(financing)} mot "
                f"{_kr(costs)}); derfor er ubrukte midler per kilde til sammen tilsvarende mer enn det "
                "som er ubrukt av budsjettet.")
    texts = paragraphs(made.docx)
    assert sentence in texts, [t for t in texts if "Finansieringsplanen" in t]
    # said where both totals stand: in section 6, under the financing table
    assert texts.index("6. Regnskap og finansiering") < texts.index(sentence) < texts.index("7. Resultater")
    # what the sentence claims holds for the printed figures: the sources' unused money less the
    # budget's unused part (budget − used) is the plan's surplus
    grants = find_table(made.docx, "Kilde", "Saksnr.")
    assert grants[-1][0] == "Sum"
    planned, used, unused = (_figure(grants[-1][i]) for i in (2, 4, 5))
    assert planned == financing
    assert unused - (costs - used) == financing - costs == 585


def test_a_balanced_plan_has_no_such_sentence(clean, tmp_path):
    costs, financing = _plan(clean)
    assert costs == financing
    made = produce(open_register(clean), "final", HAUG, out=tmp_path)
    assert not [t for t in paragraphs(made.docx) if t.startswith("Finansieringsplanen er")]


def test_a_plan_under_its_budget_says_lower(scratch_config, tmp_path):
    from ..conftest import replace_in

    replace_in(scratch_config / "projects" / f"{HAUG}.yaml", "{2015: 412000, 2016: 1123000}",
               "{2015: 412000, 2016: 1122000}")
    costs, financing = _plan(scratch_config)
    assert costs - financing == 415
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    assert (f"Finansieringsplanen er {_kr(415)} lavere enn budsjettet ({_kr(financing)} mot {_kr(costs)}); derfor "
            f"er ubrukte midler per kilde til sammen tilsvarende mindre enn det som er ubrukt av budsjettet."
            ) in paragraphs(made.docx)
