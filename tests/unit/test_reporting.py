from datetime import date

import pytest

from grantflow.data import collect
from grantflow.errors import UserError
from grantflow.register import open_register
from grantflow.reporting import (economy, grant_usage, milestone_statuses, overall_rag, parse_period,
                                 progress_rag, risk_rag)


@pytest.fixture(scope="module")
def register():
    from ..conftest import CONFIG
    return open_register(CONFIG)


def test_parse_period():
    assert parse_period("2016-Q3").start == date(2016, 7, 1) and parse_period("2016-Q3").end == date(2016, 9, 30)
    assert parse_period("2016-T2").end == date(2016, 8, 31)
    assert parse_period("2016-02").end == date(2016, 2, 29)
    assert parse_period("2016").label == "2016"
    with pytest.raises(UserError, match="cannot read period"):
        parse_period("høst 2016")
    with pytest.raises(UserError, match="no such date"):
        parse_period("2016-02-30")


def test_milestone_status_rules(register):
    project = register.project("haugaland-velferdsteknologi")
    data = collect(register, project)
    statuses = {s.milestone.number: s for s in milestone_statuses(project, data, date(2016, 11, 15))}
    assert statuses[1].status == "done" and statuses[1].actual == date(2015, 10, 15)
    assert statuses[5].status == "late" and statuses[5].days_late == 15   # planned end of October 2016
    assert statuses[6].status == "not_started"
    early = {s.milestone.number: s for s in milestone_statuses(project, data, date(2016, 10, 7))}
    assert early[5].status == "on_track"                                 # in progress, not yet due
    assert progress_rag(list(statuses.values())) == "amber"
    late_all = milestone_statuses(project, data, date(2018, 1, 1))
    assert progress_rag(late_all) == "red"


def test_economy_and_forecast(register):
    project = register.project("haugaland-velferdsteknologi")
    data = collect(register, project)
    econ = economy(project, data, date(2016, 10, 31))
    assert econ.budget_total == 2_334_415
    assert econ.actual_total == 317_261 + 771_000       # ledger to 31.10.2016, credit note included
    by_year = {(l.year, l.category): l for l in econ.lines}
    assert by_year[(2015, "Prosjektkostnader")].deviation == 317_261 - 1_211_321
    assert econ.forecast_by_year[2015] == 317_261       # a past year is its actual
    assert econ.forecast_by_year[2016] == round(771_000 / (305 / 366))


def test_risk_and_overall(register):
    assert risk_rag(register.project("smart-velferdsregion-nord-gudbrandsdal")) == "amber"   # top RF 15
    assert risk_rag(register.project("haugaland-velferdsteknologi")) == "none"
    assert overall_rag("green", "amber", "none") == "amber"
    assert overall_rag("green", "red", "amber") == "red"


def test_grant_usage_unused_and_disposition(register):
    project = register.project("smart-velferdsregion-nord-gudbrandsdal")
    data = collect(register, project)
    (usage,) = grant_usage(project, data, 2019)
    assert usage.granted == 1_400_000 and usage.spent == 198_000 and usage.unused == 1_202_000
    assert usage.disposition == "Søkes overført"     # the project runs into 2020: a request
    haug = register.project("haugaland-velferdsteknologi")
    (h,) = grant_usage(haug, collect(register, haug), 2017)
    assert h.disposition in ("Tilbakebetales", "–")
