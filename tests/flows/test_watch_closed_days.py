"""The watch on julaften and nyttårsaften (setting ``closed_days``, by default 24.12 and 31.12): an
outside tester's steering group got its status report on a day the municipalities are closed."""

from datetime import date

import pytest

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions

from ..conftest import replace_in
from ..docx_text import all_text
from .test_deadline_watch import eml


@pytest.fixture(autouse=True)
def _default_closed_days():
    """A test's closed_days: [] is the process's until settings are read again: not the next test's."""
    yield
    from grantflow.deadlines import set_closed_days

    set_closed_days(None)


MEETING = "dates: [2015-11-20, 2016-01-07, "     # Thursday 7.1.2016, lead_days 7: Thursday 31.12.2015


def test_the_status_report_goes_the_day_before_new_years_eve(isolated, scratch_config):
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "dates: [2015-11-20, ", MEETING)
    opts = DeliveryOptions(config=str(scratch_config))
    closed = deadline_watch(as_of=date(2015, 12, 31), options=opts)
    assert closed["closed"] == "Nyttårsaften" and closed["ran"] == [] and eml(isolated) == []
    made = deadline_watch(as_of=date(2015, 12, 30), options=opts)
    assert made["ran"] == ["status:haugaland-velferdsteknologi:2015-12-30"]
    (docx,) = (isolated / "outputs").rglob("status-2015-12-30.docx")
    assert "Haugaland Vekst · 30.\xa0desember\xa02015" in all_text(docx)     # the date the reader sees
    assert eml(isolated) and all(m["Subject"].startswith("Statusrapport") for m in eml(isolated))


def test_closed_days_empty_makes_new_years_eve_a_working_day(isolated, scratch_config, config_dir):
    # the demo's own settings first (31.12 closed), as a served watch's process may have read them
    deadline_watch(as_of=date(2016, 7, 1), options=DeliveryOptions(config=str(config_dir)))
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "dates: [2015-11-20, ", MEETING)
    with open(scratch_config / "grantflow.yaml", "a", encoding="utf-8") as f:
        f.write("closed_days: []\n")
    result = deadline_watch(as_of=date(2015, 12, 31), options=DeliveryOptions(config=str(scratch_config)))
    assert "closed" not in result and result["ran"] == ["status:haugaland-velferdsteknologi:2015-12-31"], result
