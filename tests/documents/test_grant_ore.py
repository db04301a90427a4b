"""Granted, used and unused money printed side by side adds up as printed, to the øre.

A grant's "Brukt" was rounded once across all the funders (largest remainder) in the final
report and half up per grant in the usage report: with 50 000,50 kr on the county governor's
grant and 100 000,50 kr on Helsedirektoratet's, the final report printed Brukt 50 000 / Ubrukt
1 350 000 for the county governor and the usage report to the same office Brukt 50 001 / Ubrukt
1 349 999; either way the unused money to repay was 0,50 kr off what it is. The grant tables now
print øre when the amounts have øre (and whole kroner, as before, when they have none), so every
row's Brukt + Ubrukt is its Tilsagn, each column's Sum is its rows' sum, and the Sum of Brukt is
the ledger's sum. Expected figures are worked out by hand below from the rows this test writes.
"""

from __future__ import annotations

from pathlib import Path

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, find_table

NB = "\u00a0"
NG = "smart-velferdsregion-nord-gudbrandsdal"
HEADER = "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota\n"
CAT1, CAT2 = "Prosjektleder og prosessadministrasjon", "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"


def _ledger(config: Path, rows: list[str]) -> None:
    (config / "data" / NG / "regnskap.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def _cells(row: list[str]) -> list[str]:
    return [c.replace(NB, " ") for c in row]


def _øre(text: str) -> int:
    """A printed amount ('1 349 999,50') in øre, to add printed figures up as printed."""
    whole, _, ore = text.replace(NB, "").replace(" ", "").partition(",")
    return int(whole) * 100 + int(ore or 0)


def test_fifty_ore_on_two_grants_print_as_they_are_and_add_up(scratch_config, tmp_path):
    _ledger(scratch_config, [
        f"31.10.2019;2019;{CAT1};Lønn oktober;30 000,25;fm-innlandet;",
        f"30.11.2019;2019;{CAT2};Kurs;20 000,25;fm-innlandet;",
        f"05.12.2019;2019;{CAT2};Kartleggingsverktøy;100 000,50;helsedir;",
    ])
    # By hand: the county governor's grant 1 400 000 kr, used 30 000,25 + 20 000,25 = 50 000,50,
    # unused 1 349 999,50; Helsedirektoratet's 400 000 kr, used 100 000,50, unused 299 999,50.
    register = open_register(scratch_config)
    final = produce(register, "final", NG, out=tmp_path)
    table = [_cells(r) for r in find_table(final.docx, "Kilde", "Saksnr.")]
    assert table[0] == ["Kilde", "Saksnr.", "Planlagt", "Tilsagn", "Brukt", "Ubrukt", "Disponering"]
    rows = {r[0]: r for r in table[1:]}
    assert rows["Statsforvalteren i Innlandet (skjønnsmidler)"][2:7] == ["1 400 000,00", "1 400 000,00", "50 000,50", "1 349 999,50",
                                          "Tilbakebetales"]
    assert rows["Helsedirektoratet"][2:6] == ["400 000,00", "400 000,00", "100 000,50", "299 999,50"]
    assert rows["Sum"][2:6] == ["1 800 000,00", "1 800 000,00", "150 001,00", "1 649 999,00"]
    for row in table[1:]:                       # as printed: Brukt + Ubrukt = Tilsagn, and the Sum row
        assert _øre(row[4]) + _øre(row[5]) == _øre(row[3]), row
    for col in (2, 3, 4, 5):
        assert sum(_øre(r[col]) for r in table[1:-1]) == _øre(table[-1][col])
    text = all_text(final.docx).replace(NB, " ")
    assert ("Statsforvalteren i Innlandet (skjønnsmidler), saksnr. 2019/1234 (eksempel): tilsagn 1 400 000 kr, "
            "brukt 50 000,50 kr. Ubrukt beløp, 1 349 999,50 kr, tilbakebetales.") in text
    assert {k: v.replace(NB, " ") for k, v in final.key_figures.items() if k.startswith("Ubrukt")} == {
        "Ubrukt, Statsforvalteren i Innlandet (skjønnsmidler)": "1 349 999,50 kr",
        "Ubrukt, Helsedirektoratet": "299 999,50 kr"}
    # what the money was used for: the same øre, by category, adding up to each source's Brukt
    used_for = [_cells(r) for r in find_table(final.docx, "Kilde", "Kategori")]
    assert used_for[1:] == [["Statsforvalteren i Innlandet (skjønnsmidler)", CAT1, "30 000,25"], ["Statsforvalteren i Innlandet (skjønnsmidler)", CAT2, "20 000,25"],
                            ["Helsedirektoratet", CAT2, "100 000,50"], ["Sum", "", "150 001,00"]]

    usage = produce(register, "usage", council_id="nord-gudbrandsdal", period="2019", out=tmp_path)
    table = [_cells(r) for r in find_table(usage.docx, "Prosjekt", "Saksnr.")]
    assert table[1][2:6] == ["1 400 000,00", "50 000,50", "1 349 999,50", "Søkes overført"]
    assert table[2][2:6] == ["1 400 000,00", "50 000,50", "1 349 999,50", "Søkes overført 1 349 999,50 kr"]
    assert {k: v.replace(NB, " ") for k, v in usage.key_figures.items()
            if k in ("Tildelt", "Brukt per 31.12", "Ubrukt")} == {
        "Tildelt": "1 400 000 kr", "Brukt per 31.12": "50 000,50 kr", "Ubrukt": "1 349 999,50 kr"}


def test_whole_kroner_stay_whole_kroner(scratch_config, tmp_path):
    """The demo ledger has no øre: the tables print whole kroner as before, without ',00'."""
    final = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    table = [_cells(r) for r in find_table(final.docx, "Kilde", "Saksnr.")]
    # demo ledger by hand: 66 000 × 3 + 67 500 × 3 = 400 500 (fm-innlandet); 24 500 + 38 750 = 63 250
    assert table[1][2:6] == ["1 400 000", "1 400 000", "400 500", "999 500"]
    assert table[-1][2:6] == ["1 800 000", "1 800 000", "463 750", "1 336 250"]
