"""A ledger shared by many projects (an accounting export with a Prosjekt column): the rows of
every project are found once per table, not by comparing every row once per project (500
projects on a 1 M-row export cost minutes that way). Each project must still get exactly the rows
whose Prosjekt is its code without regard to case, in file order, with the file's findings: the
same as comparing every row, which these tests do independently."""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grantflow import data

CODES = ["p-1", "P-1", "p-2", "", " p-2 ", "Straße", "STRASSE", "strasse", "İ", "i̇", "Ærø", "ÆRØ", "ukjent"]


def rows_naming(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """Every row compared: what ``project_ledger`` did once per project before."""
    names = frame["Prosjekt"].astype(str)
    if not (names != "").any():
        return frame
    return frame[names.str.casefold() == code.casefold()]


def write(path, projects: list[str], bad: list[bool]) -> None:
    lines = ["Dato;Kategori;Beløp;Prosjekt"]
    for i, (code, wrong) in enumerate(zip(projects, itertools.chain(bad, itertools.repeat(False)))):
        lines.append(f"0{1 + i % 9}.03.2024;Drift;{'abc' if wrong else f'{i + 1},50'};{code}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(projects=st.lists(st.sampled_from(CODES), max_size=25), bad=st.lists(st.booleans(), max_size=25))
def test_each_project_gets_the_rows_naming_it(tmp_path, projects, bad):
    path = tmp_path / "felles.csv"
    write(path, projects, bad)                 # a bad amount drops its row, its project stays a category
    table = data.read_ledger(path)
    for code in [*CODES, "p-1 ", "nobody"] * 2:                      # the second time from what was found
        got = data.project_ledger(table, code)
        pd.testing.assert_frame_equal(got.frame, rows_naming(table.frame, code))
        assert got.findings == table.findings and got.file == table.file
        if not (table.frame["Prosjekt"].astype(str) != "").any():
            assert got is table                                       # no project named: the whole ledger


def test_a_changed_frame_is_split_again(tmp_path):
    path = tmp_path / "felles.csv"
    write(path, ["a", "b", "a"], [])
    table = data.read_ledger(path)
    assert data.project_ledger(table, "A").frame["Beløp"].tolist() == [1.5, 3.5]
    table.frame = table.frame.iloc[1:]
    assert data.project_ledger(table, "a").frame["Beløp"].tolist() == [3.5]


def test_a_big_shared_export_gives_every_project_its_sums(tmp_path):
    """Per project, the sums by year and category from the split are those of the whole file
    grouped by project with pandas (an independent reading of the same text)."""
    import random

    rnd = random.Random(3)
    lines = ["Dato;År;Kategori;Beløp;Prosjekt"]
    for i in range(60_000):
        day = rnd.randint(1, 28)
        lines.append(f"{day:02d}.0{rnd.randint(1, 9)}.202{rnd.randint(4, 5)};;K{rnd.randint(1, 3)};"
                     f"{rnd.randint(1, 99999)},{rnd.randint(0, 99):02d};{rnd.choice(['p-1', 'P-1', 'p-2', 'p-3'])}")
    path = tmp_path / "felles.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = data.read_ledger(path)
    assert table.ok
    bare = pd.read_csv(path, sep=";", decimal=",", dtype={"Prosjekt": str})
    bare["År"] = pd.to_datetime(bare["Dato"], format="%d.%m.%Y").dt.year
    for code in ("p-1", "p-2", "p-3"):
        got = data.project_ledger(table, code).frame.groupby(["År", "Kategori"], observed=True)["Beløp"].sum()
        want = bare[bare["Prosjekt"].str.casefold() == code].groupby(["År", "Kategori"])["Beløp"].sum()
        assert got.round(2).tolist() == want.round(2).tolist()
        assert [(y, str(k)) for y, k in got.index] == list(want.index)
