"""A financing line is linked to its funder by the key ``funder:``; documents name it by that
funder entry's name. A line whose ``source`` is another funder's id or name contradicts its key:
validate says so (never guessing which was meant). A source that merely differs from its own
funder's name ('KS digitaliseringsmidlar' for 'KS digitaliseringsfond') is no finding: the
source is also the ledger's booking word (Finansieringskilde), and the documents print the
funder's name."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "projects/haugaland-velferdsteknologi.yaml"


def _lines(capsys, config) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    out = capsys.readouterr()
    return code, [line for line in (out.out + out.err).splitlines() if "budget.financing[0]" in line]


def test_a_line_named_as_another_funder_is_a_warning(clean, capsys):
    replace_in(clean / HAUG, "{source: HV regionrådets fond, kind: fond, funder: hv-fond,",
               "{source: Fylkesmannen i Rogaland (skjønnsmidler), kind: fond, funder: hv-fond,")
    code, lines = _lines(capsys, clean)
    assert code == 0
    assert [line.split(".yaml:", 1)[1] for line in lines] == [
        "184 budget.financing[0].source: the line 'Fylkesmannen i Rogaland (skjønnsmidler)' is linked to funder "
        "'hv-fond' (funder:), but its source is the name of funder 'fm-rogaland': the documents name the line "
        "'Haugaland Vekst Regionråds fond'; link it to 'fm-rogaland' if that was meant, or name the line otherwise"]
    assert lines[0].startswith("WARNING")


def test_a_line_whose_source_is_another_funders_id_is_an_error(clean, capsys):
    """Ledger rows booked 'fm-rogaland' would count for both funders' money."""
    replace_in(clean / HAUG, "{source: HV regionrådets fond, kind: fond, funder: hv-fond,",
               "{source: FM-Rogaland, kind: fond, funder: hv-fond,")
    code, lines = _lines(capsys, clean)
    assert code == 1
    assert [line.split(".yaml:", 1)[1] for line in lines] == [
        "184 budget.financing[0].source: the line 'FM-Rogaland' is linked to funder 'hv-fond' (funder:), but its "
        "source is the id of funder 'fm-rogaland': ledger rows booked to it would count for both funders; link "
        "the line to 'fm-rogaland' if that was meant, or name the line otherwise"]
    assert lines[0].startswith("ERROR")


def test_a_source_other_than_its_own_funders_name_is_no_finding(clean, capsys):
    code, lines = _lines(capsys, clean)
    assert code == 0 and lines == []
