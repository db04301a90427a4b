"""The quick paths for big files (pyarrow's CSV reader; each distinct value read once) read a big
ledger exactly as the cell-by-cell path does: same rows, values and findings, errors included."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from grantflow import data

CELLS = {
    "Beløp": ["1 234,50", "350.000", "12,000", "1234", "-500", "abc", "", "1e400", "nan", "1.234.567,89",
              "2 000", "99999999999999", "0,5", "12.5", "1,234,567"],
    "Dato": ["15.12.2024", "2024-03-01", "31.02.2024", "01.01.1899", "", "3/4/2024", "2101-01-01", "07.10.16"],
    "Kategori": ["Prosjektledelse", " Kompetanse ", "", "Reise\x07", "Utstyr"],
    "Kreditnota": ["", "ja", "Ja ", "nei"],
    "År": ["2024", "", "2025", "20x4", "2024,5"],
}


def ledger(rows: int, seed: int, clean: bool) -> str:
    rnd = random.Random(seed)
    pick = {k: (v[:2] if clean else v) for k, v in CELLS.items()}
    lines = ["Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota;Prosjekt"]
    for i in range(rows):
        amount = rnd.choice(pick["Beløp"]) if rnd.random() < 0.3 else f"{rnd.randint(1, 9999)},{rnd.randint(0, 99):02d}"
        lines.append(";".join([rnd.choice(pick["Dato"]), rnd.choice(pick["År"]), rnd.choice(pick["Kategori"]),
                               "Faktura", amount, "sf", rnd.choice(pick["Kreditnota"]), f"p-{i % 7}"]))
    return "\n".join(lines) + "\n"


def read_both(path, monkeypatch):
    quick = data.read_ledger(path)
    with monkeypatch.context() as m:
        m.setattr(data, "ARROW_MIN_BYTES", 1 << 62)
        m.setattr(data, "_read_distinct", lambda *a: None)
        slow = data.read_ledger(path)
    return quick, slow


@pytest.mark.parametrize("seed,clean", [(1, True), (2, False), (3, False)])
def test_quick_paths_read_a_big_ledger_like_the_slow_one(tmp_path, monkeypatch, seed, clean):
    path = tmp_path / "ledger.csv"
    path.write_text(ledger(30_000, seed, clean), encoding="utf-8")
    assert path.stat().st_size >= data.ARROW_MIN_BYTES          # the pyarrow path is taken
    quick, slow = read_both(path, monkeypatch)
    assert [str(f) for f in quick.findings] == [str(f) for f in slow.findings]
    pd.testing.assert_frame_equal(quick.frame, slow.frame)
    if not clean:
        messages = "\n".join(str(f) for f in quick.findings)
        assert "350.000" in messages and "abc" in messages and "31.02.2024" in messages


def test_quoted_or_ragged_big_files_take_the_careful_path(tmp_path, monkeypatch):
    text = ledger(30_000, 4, True).splitlines()
    text[5000] += ";extra"
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(data.UserError, match="row 5001 has 9 fields"):
        data.read_ledger(path)
