"""The final report's deviations (section 4) include own effort short of the plan.

An outside tester's final report said in its economy section "500 timer registrert à 500 kr =
250 000 kr (plan: 800 timer … 400 000 kr)" and nothing of it among the deviations. Own effort more
than the categories' threshold (10 %) below the plan is now a deviation with its explanation key
(``egeninnsats``), as a category is. Expected figures are worked out here from the plan and
timer.csv of the Haugaland demo project (no rate of its own: grantflow.yaml's 500 kr).
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

import yaml

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import paragraphs

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"


def _hours(config) -> Decimal:
    with open(config / "data" / HAUG / "timer.csv", encoding="utf-8-sig") as fh:
        return sum((Decimal(r["Timer"].replace(",", ".")) for r in csv.DictReader(fh, delimiter=";")), Decimal(0))


def _section4(config, out) -> list[str]:
    made = produce(open_register(config), "final", HAUG, out=out)
    return [p.replace(NB, " ") for p in paragraphs(made.docx)]


def test_own_effort_short_of_the_plan_is_a_deviation_with_its_explanation(scratch_config, tmp_path, capsys):
    plan = yaml.safe_load((scratch_config / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8"))
    planned = Decimal(plan["budget"]["own_effort_hours"])
    rate = Decimal(yaml.safe_load((scratch_config / "grantflow.yaml").read_text(encoding="utf-8"))
                   ["documents"]["own_effort_hourly_rate"])
    hours = _hours(scratch_config)
    assert (hours, planned, rate) == (Decimal("133.5"), 2073, 500)
    short = planned - hours                                          # 1 939,5 hours
    share = (short / planned * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)   # 93,6 %
    less = int((short * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))               # 969 750 kr
    assert (str(short), str(share), less) == ("1939.5", "93.6", 969750)
    title = ("Egeninnsats: 133,5 timer registrert mot 2 073 timer i planen, 1 939,5 timer færre (93,6 %); "
             "verdsatt til 500 kr timen er det 969 750 kr mindre enn planlagt.")
    text = _section4(scratch_config, tmp_path / "a")
    assert title in text, [p for p in text if "gen" in p]
    assert text[text.index(title) + 1] == "Forklaring mangler."
    # explained under its key in the notes: validate takes the key, the report prints the words
    replace_in(scratch_config / "data" / HAUG / "notater.yaml", "  explanations:\n",
               "  explanations:\n    egeninnsats: Kommunene registrerte bare møtetimer.\n")
    assert main(["--config", str(scratch_config), "validate"]) in (0, 1)
    said = capsys.readouterr()
    assert "explanations.egeninnsats" not in said.out + said.err, said
    text = _section4(scratch_config, tmp_path / "b")
    assert text[text.index(title) + 1] == "Kommunene registrerte bare møtetimer."


def test_own_effort_within_the_threshold_is_no_deviation(scratch_config, tmp_path):
    # 148 hours planned: 14,5 short of 133,5 registered, 9,8 % (not more than 10 %)
    replace_in(scratch_config / "projects" / f"{HAUG}.yaml", "own_effort_hours: 2073", "own_effort_hours: 148")
    assert (Decimal(148) - _hours(scratch_config)) / 148 < Decimal("0.10")
    assert not [p for p in _section4(scratch_config, tmp_path) if p.startswith("Egeninnsats: 133,5 timer registrert mot")]
