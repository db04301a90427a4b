"""Real ERP and spreadsheet exports an outside tester fed grantflow: total and balance rows,
decimal commas in a comma-separated file, Debet/Kredit columns, Excel's own cell types, a status
written by a Mac. Each mistake is one line naming file, row and column that says what to do, and
a non-zero exit; nothing is guessed."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
LEDGER = f"data/{HAUG}/regnskap.csv"
HOURS = f"data/{HAUG}/timer.csv"


def run(capsys, config, *args):
    code = main(["--config", str(config), *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "internal error" not in out.out + out.err
    return code, out.out, out.err


def errors(text: str, file: str) -> list[str]:
    return [line.split(file, 1)[1] for line in text.splitlines() if line.startswith(("ERROR", "error")) and file in line]


def append(path, *rows: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.writelines(row + "\n" for row in rows)


# --- 1. total and balance rows ----------------------------------------------------------------

TOTAL_ROWS = [
    ("31.10.2016;2016;Prosjektkostnader;Sum 2016;771 000,00;Kommunene (kostnadsfordeling);", "Sum 2016"),
    ("01.01.2016;2016;Prosjektkostnader;Inngående balanse;412 000,00;hv-fond;", "Inngående balanse"),
    ("31.12.2016;2016;Prosjektkostnader;UB 2016;412 000,00;hv-fond;", "UB 2016"),
    ("31.12.2016;2016;Prosjektkostnader;Prosjektledelse Totalt;412 000,00;hv-fond;", "Prosjektledelse Totalt"),
    ("31.12.2016;2016;Prosjektkostnader;  DELSUM:;412 000,00;hv-fond;", "  DELSUM:"),
    ("31.12.2016;2016;Prosjektkostnader;Overført saldo fra 2015;412 000,00;hv-fond;", "Overført saldo fra 2015"),
    ("31.12.2016;2016;Prosjektkostnader;IB;412 000,00;hv-fond;", "IB"),
]


@pytest.mark.parametrize("row, text", TOTAL_ROWS, ids=[t for _, t in TOTAL_ROWS])
def test_a_total_or_balance_row_is_refused_not_counted(clean, capsys, tmp_path, row, text):
    """'Sum 2016' with a date and a category made the final report's Regnskap 1 088 261 ->
    1 859 261 kr, and validate said nothing."""
    append(clean / LEDGER, row)
    code, out, _ = run(capsys, clean, "validate")
    assert code == 1
    assert errors(out, "regnskap.csv") == [
        f":20 Beskrivelse: {text!r} looks like a total or balance row from the export, not a cost: grantflow "
        "adds up the rows itself, so its amount would be counted twice; delete the row (a real cost line "
        "should be described otherwise)"]
    code, _, err = run(capsys, clean, "render", "final", HAUG, "--out", str(tmp_path / "out"))
    assert code == 1 and errors(err, "regnskap.csv")[0].startswith(":20: Beskrivelse:")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))


def test_a_total_row_without_a_date_says_to_remove_it(clean, capsys):
    """It said 'Dato: value is missing', as if a date were all the row lacked."""
    append(clean / LEDGER, ";;;Totalt;1 088 261,00;;", ";2016;Prosjektkostnader;Sum;771 000,00;;")
    code, out, _ = run(capsys, clean, "validate")
    assert code == 1
    assert errors(out, "regnskap.csv") == [
        f":{row} Beskrivelse: {text!r} with no date looks like a total or balance row from the export, not a "
        "cost: delete the row" for row, text in ((20, "Totalt"), (21, "Sum"))]


@pytest.mark.parametrize("text", ["Summer school", "Sumatra-reise", "Totalentreprise", "Saldobalanse-kurs",
                                  "Lønn prosjektleder", "Kurs i sum og totaler", "Ubåt", "Ibsen-seminar"])
def test_a_cost_line_that_only_contains_such_letters_is_read(clean, capsys, text):
    append(clean / LEDGER, f"31.10.2016;2016;Prosjektkostnader;{text};1 000,00;hv-fond;")
    code, out, _ = run(capsys, clean, "validate")
    assert code == 0, out


@pytest.mark.parametrize("reader", ["split", "pandas", "arrow"])
def test_every_reader_refuses_total_rows(tmp_path, monkeypatch, reader):
    from grantflow import data

    monkeypatch.setattr(data, "CSV_READER", reader)
    path = tmp_path / "r.csv"
    path.write_text("Dato;Kategori;Beskrivelse;Beløp\n" + "01.03.2016;Drift;Kurs;1 000,50\n" * 50
                    + "31.03.2016;Drift;Sum mars;50 025,00\n;;Totalt;50 025,00\n"
                    + "01.04.2016;Drift;Reise totalt\u00a0;10,00\n", encoding="utf-8")
    table = data.read_ledger(path)
    assert [(f.line, f.field, f.message.split(" looks like")[0]) for f in table.findings] == [
        (52, "Beskrivelse", "'Sum mars'"), (53, "Beskrivelse", "'Totalt' with no date"),
        (54, "Beskrivelse", "'Reise totalt\\xa0'")]
    assert table.frame["Beløp"].tolist() == [1000.5] * 50
