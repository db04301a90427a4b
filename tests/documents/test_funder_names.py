"""One funder, one name in a document. A financing line linked to a funder (``funder: ks``) was
named by the line's ``source`` in the final report's tables ("KS digitaliseringsmidlar") and by the
funder entry's ``name`` in its sentences and mail ("KS digitaliseringsfond"): the reader met two
funders. The funder entry's name is the one printed: it is the party of the award letters (case
references, amounts) the rows and sentences report, and a funder's several lines are one row.
Expected names are read here from the project files, never from grantflow."""

from __future__ import annotations

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, find_table
from .test_figures_vestfjord import ID as VESTFJORD, vestfjord  # noqa: F401  (the fixture)

HAUG = "haugaland-velferdsteknologi"


def _linked(config, project: str) -> list[tuple[str, str]]:
    """(line's source, its funder's name) of each financing line linked to a funder entry."""
    plan = yaml.safe_load((config / "projects" / f"{project}.yaml").read_text(encoding="utf-8"))
    names = {f["id"]: f["name"] for f in plan["funders"]}
    return [(line["source"], names[line["funder"]]) for line in plan["budget"]["financing"] if line.get("funder")]


def test_the_vestfjord_final_report_names_ks_by_its_funder_entry_only(vestfjord, tmp_path):  # noqa: F811
    linked = _linked(vestfjord, VESTFJORD)
    assert ("KS digitaliseringsmidlar", "KS digitaliseringsfond") in linked
    made = produce(open_register(vestfjord), "final", VESTFJORD, out=tmp_path)
    # the table of what the money was used for names each source as the table above it does
    used_for = {row[0] for row in find_table(made.docx, "Kilde", "Prosjektleiing")[1:-1]}
    assert "KS digitaliseringsfond" in used_for and "KS digitaliseringsmidlar" not in used_for, used_for
    assert [k for k in made.key_figures if "KS" in k] == ["Ubrukt, KS digitaliseringsfond"], made.key_figures
    text = all_text(made.docx)
    assert "KS digitaliseringsmidlar" not in text
    assert text.count("KS digitaliseringsfond") >= 3          # page 1, the grant table, the used-for table


def test_the_demo_final_report_names_each_linked_funder_one_way(config_dir, tmp_path):
    """Haugaland: 'HV regionrådets fond' in the tables beside 'Haugaland Vekst Regionråds fond' on page 1,
    'Fylkesmannens skjønnsmidler' beside 'Fylkesmannen i Rogaland (skjønnsmidler)'."""
    linked = _linked(config_dir, HAUG)
    assert len(linked) == 2
    made = produce(open_register(config_dir), "final", HAUG, out=tmp_path)
    text = all_text(made.docx)
    rows = [row[0] for row in find_table(made.docx, "Kilde")[1:-1]]
    for source, name in linked:
        assert source not in text, f"{source!r} (the line) beside {name!r} (its funder) in one document"
        assert name in rows, (name, rows)
    # a line without a funder entry keeps its own name
    assert "Kommunene (kostnadsfordeling)" in rows


def test_the_application_names_each_linked_funder_as_the_final_report_does(config_dir, tmp_path):
    """The demo application's financing plan said 'HV regionrådets fond' and 'Fylkesmannens
    skjønnsmidler' where the final report to the same county governor says 'Haugaland Vekst
    Regionråds fond' and 'Fylkesmannen i Rogaland (skjønnsmidler)' (found by a reviewer)."""
    from datetime import date

    linked = _linked(config_dir, HAUG)
    made = produce(open_register(config_dir), "application", HAUG, out=tmp_path, as_of=date(2015, 1, 15))
    text = all_text(made.docx)
    rows = [row[0] for row in find_table(made.docx, "Kilde")[1:-1]]
    for source, name in linked:
        assert source not in text, f"{source!r} (the line) beside {name!r} (its funder)"
        assert name in rows, (name, rows)
    assert "Kommunene (kostnadsfordeling)" in rows
