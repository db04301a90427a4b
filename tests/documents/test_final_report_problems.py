"""The final report's "Problemer underveis" does not say there were none beside milestones its own
table shows as late or not delivered.

Kongsbergregionen's final report (31.12.2014) said "Ingen problemer er registrert." two pages after
a milestone table with 02 "Ferdig, 15 dager forsinket", 03 "Ikke levert, 92 dager forsinket" and
04 "Ikke levert". Those milestones are now listed there, in the words of section 4; the empty text
stays for a project with truly nothing to list. Expected days are worked out by hand from the
plan's dates and the progress file below.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document

from grantflow.documents.service import produce
from grantflow.register import open_register

NB = "\u00a0"
ERP, NG = "kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"


def _problems(path: Path) -> list[str]:
    lines = [p.text.replace(NB, " ") for p in Document(str(path)).paragraphs]
    at = lines.index("Problemer underveis")
    end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith("9. "))
    return [l for l in lines[at + 1:end] if l.strip()]


def test_late_and_undelivered_milestones_are_problems(scratch_config, tmp_path):
    made = produce(open_register(scratch_config), "final", ERP, out=tmp_path)
    # plan: 02 due 31.03.2014, done 15.04.2014 (15 days); 03 due 30.09.2014, open at the end
    # 31.12.2014 (92 days); 04 due 31.12.2014, open (0 days); 01 done 28.06.2013, before its date
    assert _problems(made.docx) == [
        "Milepæl 02 «Økonomimodul i drift i alle fire kommuner» ble levert 15 dager etter planen.",
        "Milepæl 03 «Lønn/personal i drift i alle fire kommuner» er ikke levert (92 dager etter planlagt dato).",
        "Milepæl 04 «Implementering ferdigstilt; innspill om videre samarbeid» er ikke levert.",
    ]


def test_the_projects_own_problems_come_first(scratch_config, tmp_path):
    made = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    problems = _problems(made.docx)
    assert problems[0] == "Forsinket oppstart av kursprogrammet"          # notater.yaml, as written
    assert [p[:10] for p in problems[1:]] == [f"Milepæl 0{n}" for n in range(1, 7)]   # 07 is this report
    assert problems[3] == ("Milepæl 03 «Første kurs i kompetanseprogrammet gjennomført» er ikke levert "
                           "(456 dager etter planlagt dato).")              # 31.03.2020 – 30.06.2021


def test_nothing_to_list_says_so(scratch_config, tmp_path):
    (scratch_config / "data" / ERP / "milepaeler.csv").write_text(
        "Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;28.06.2013;\n2;ferdig;31.03.2014;\n"
        "3;ferdig;30.09.2014;\n4;ferdig;31.12.2014;\n", encoding="utf-8")
    made = produce(open_register(scratch_config), "final", ERP, out=tmp_path)
    assert _problems(made.docx) == ["Ingen problemer er registrert."]
