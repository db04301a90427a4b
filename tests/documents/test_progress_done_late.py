"""Progress is not green when a milestone was delivered late within the report's period.

Nord-Gudbrandsdal's status report for January 2020 rated Fremdrift "Grønn" ("2 av 7 milepæler ferdig
(2 etter planlagt dato); 0 forsinket.") although milestone 02, planned 31.12.2019, was delivered
31.01.2020, 31 days late, in that very month: only milestones still late counted. A milestone
delivered after its date within the period now makes progress amber, and the comment names it.
"""

from __future__ import annotations

from docx import Document
from docx.oxml.ns import qn

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG

NB = "\u00a0"
NG = "smart-velferdsregion-nord-gudbrandsdal"
AMBER, GREEN = "FFEB9C", "C6EFCE"


def _progress(path) -> tuple[str, str, str]:
    for table in Document(str(path)).tables:
        if table.rows[0].cells[0].text == "Område":
            for row in table.rows[1:]:
                if row.cells[0].text == "Fremdrift":
                    shd = row.cells[1]._tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
                    return row.cells[1].text, shd.get(qn("w:fill")).upper(), row.cells[2].text.replace(NB, " ")
    raise AssertionError("no Fremdrift row")


def test_a_milestone_delivered_late_in_the_period_makes_progress_amber(tmp_path):
    # milepaeler.csv: 02 «ferdig» 31.01.2020, planned 31.12.2019 (the YAML): 31 days late, in January;
    # 01 delivered 02.10.2019 (before the period); 03 (31.03.2020) is in progress and not yet due
    made = produce(open_register(CONFIG), "status", NG, period="2020-01", out=tmp_path)
    label, fill, comment = _progress(made.docx)
    assert (label, fill) == ("Gul", AMBER), comment
    assert "0 forsinket" in comment
    assert "Levert etter planlagt dato i rapportperioden: milepæl 02 (31 dager)." in comment
    overall = Document(str(made.docx)).tables[1].rows[1].cells[1].text.replace(NB, " ")
    assert "2 av 7 milepæler er ferdige (1 levert etter planlagt dato i rapportperioden), 0 er forsinket." in overall


def test_late_deliveries_before_the_period_leave_it_green(tmp_path):
    # February 2020: 01 and 02 were delivered late, but before the period; nothing is late now
    made = produce(open_register(CONFIG), "status", NG, period="2020-02", out=tmp_path)
    label, fill, comment = _progress(made.docx)
    assert (label, fill) == ("Grønn", GREEN), comment
    assert "rapportperioden" not in comment
