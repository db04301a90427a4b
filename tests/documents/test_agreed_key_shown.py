"""An agreed percentage key is shown as the agreement, without an equal share (session 23).

Since session 22 a key named as a percentage (prosentandel) bills exactly the agreed shares, but
the cost split's year table still had a "Lik andel" column of zeros and an "Etter vekt" column,
its basis line said "Lik andel totalt 0 kr, etter vekt 700 000 kr", and `allocate` printed
"(0 % likt, resten etter prosentandel 2024)" over the same columns (its CSV too). The reader now
sees each municipality, its agreed percentage headed by the year, and its amount; the line above
states the agreement and its decision. Figures are worked out by hand here from the percentages
written in the test (council Vestfjell: Åsen 50, Berg 30, Dal 20; 700 000 kr in 2024)."""

from __future__ import annotations

from pathlib import Path

from ..docx_text import all_text, paragraphs, tables
from .test_split_keys import COUNCIL, PERCENT_KEY, PROJECT, _kr, run, write

NB = "\u00a0"
PERCENT = {"Åsen": 50, "Berg": 30, "Dal": 20}
# by hand: 700 000 × 50 / 100, × 30 / 100, × 20 / 100
BILLED = {"Åsen": 350_000, "Berg": 210_000, "Dal": 140_000}
EQUAL_WORDS = ("Lik andel", "lik andel", "likt", "Etter vekt", "etter vekt")


def _year_table(docx: Path) -> list[list[str]]:
    """The 2024 table: the one with a row per municipality under a heading naming the key's year."""
    return next(t for t in tables(docx)
                if t and t[0] and t[0][0] == "Kommune" and "Prosentandel 2024" in t[0])


def test_the_cost_split_of_an_agreed_key_shows_the_agreement_not_an_equal_share(tmp_path, capsys):
    config = write(tmp_path, split=PERCENT_KEY, percent=PERCENT)
    assert sum(BILLED.values()) == 700_000
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2024.docx"
    table = _year_table(docx)
    assert table == [["Kommune", "Prosentandel 2024", "Sum"],
                     ["Åsen", "50", _kr(350_000)], ["Berg", "30", _kr(210_000)], ["Dal", "20", _kr(140_000)],
                     ["Sum", "100", _kr(700_000)]], table
    text = all_text(docx).replace(NB, " ")
    for words in EQUAL_WORDS:
        assert words not in text, (words, text)
    basis = [p.replace(NB, " ") for p in paragraphs(docx) if p.startswith("Fordelt etter avtalt prosentandel")]
    assert basis == ["Fordelt etter avtalt prosentandel for 2024: hver kommunes andel er dens avtalte prosent av "
                     "beløpet (vedtak: Avtale: Åsen 50 %, Berg 30 %, Dal 20 %)."], paragraphs(docx)


def test_an_agreed_key_without_a_decision_states_the_agreement_alone(tmp_path, capsys):
    config = write(tmp_path, split=PERCENT_KEY.replace('  decision: "Avtale: Åsen 50 %, Berg 30 %, Dal 20 %"\n', ""),
                   percent=PERCENT)
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2024.docx"
    basis = [p.replace(NB, " ") for p in paragraphs(docx) if p.startswith("Fordelt etter avtalt prosentandel")]
    assert basis == ["Fordelt etter avtalt prosentandel for 2024: hver kommunes andel er dens avtalte prosent av "
                     "beløpet."], paragraphs(docx)


def test_percentages_not_adding_up_to_100_say_how_they_are_billed(tmp_path, capsys):
    """50/30/10 (90): each pays its percentage of 90, by hand 700 000 × 50/90 = 388 888,89,
    × 30/90 = 233 333,33, × 10/90 = 77 777,78 → 388 889 / 233 333 / 77 778 (largest remainder)."""
    config = write(tmp_path, split=PERCENT_KEY, percent={"Åsen": 50, "Berg": 30, "Dal": 10})
    assert 388_889 + 233_333 + 77_778 == 700_000
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2024.docx"
    assert _year_table(docx)[1:] == [["Åsen", "50", _kr(388_889)], ["Berg", "30", _kr(233_333)],
                                     ["Dal", "10", _kr(77_778)], ["Sum", "90", _kr(700_000)]]
    text = all_text(docx).replace(NB, " ")
    assert ("Prosentandelene for 2024 summerer til 90, ikke 100: hver kommune betaler sin prosentandel av 90 "
            "(Åsen 50 av 90).") in text, text


def test_allocate_shows_an_agreed_key_without_equal_share_columns(tmp_path, capsys):
    config = write(tmp_path, split=PERCENT_KEY, percent=PERCENT)
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2024", "--format", "csv")
    assert code == 0, err
    lines = out.lstrip("\ufeff").splitlines()
    assert lines == ["Kommune;Deltar;Prosentandel 2024;Sum",
                     "Åsen;ja;50;350000", "Berg;ja;30;210000", "Dal;ja;20;140000", "Sum;;100;700000"], lines
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2024")
    assert code == 0, err
    said = " ".join(out.split())
    for words in EQUAL_WORDS:
        assert words not in said, (words, out)
    assert "700 000 kr (avtalt prosentandel 2024)" in said.replace(NB, " "), out
    rows = [[c.strip() for c in line.replace(NB, " ").split("│")[1:-1]] for line in out.splitlines()
            if line.count("│") == 4]
    assert rows == [["Åsen", "50", "350 000"], ["Berg", "30", "210 000"], ["Dal", "20", "140 000"],
                    ["Sum", "100", "700 000"]], out
    header = next(line for line in out.splitlines() if "Kommune" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["Kommune", "Prosentandel 2024", "Sum"], out


def test_the_application_states_the_agreed_key(tmp_path, capsys):
    config = write(tmp_path, split=PERCENT_KEY, percent=PERCENT)
    code, out, err = run(capsys, config, "render", "application", PROJECT, "--year", "2024", "--as-of", "2024-01-15",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "application-2024.docx"
    text = all_text(docx).replace(NB, " ")
    assert ("Fordelt etter avtalt prosentandel for 2024: hver kommunes andel er dens avtalte prosent av beløpet."
            in text), text
    for words in EQUAL_WORDS:
        assert words not in text, (words, text)


def test_an_agreed_key_for_a_year_is_split_in_the_december_before(tmp_path, capsys):
    """An agreed percentage for 2025 has no day (it is agreed, not counted on 1 January): a split for
    2025 made 27.12.2024 (the deadline watch's day for an invoice on 5 January) was refused as
    billing "by prosentandel on 1 January 2025, a figure that does not exist on 27.12.2024"."""
    split = PERCENT_KEY.replace("  weight_year: 2024\n", "")
    config = write(tmp_path, split=split, percent=PERCENT)
    council = config / "councils" / f"{COUNCIL}.yaml"
    council.write_text(council.read_text(encoding="utf-8").replace("prosentandel:\n      2024:",
                                                                   "prosentandel:\n      2025:"), encoding="utf-8")
    assert "2025: 50" in council.read_text(encoding="utf-8")
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2025", "--as-of", "2024-12-27",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2025.docx"
    # by hand: 900 000 kr in 2025 × 50 / 30 / 20 %
    table = next(t for t in tables(docx) if t and t[0] == ["Kommune", "Prosentandel 2025", "Sum"])
    assert table[1:] == [["Åsen", "50", _kr(450_000)], ["Berg", "30", _kr(270_000)], ["Dal", "20", _kr(180_000)],
                         ["Sum", "100", _kr(900_000)]]
    assert "Dato\n27. desember 2024\n" in all_text(docx).replace(NB, " ")
