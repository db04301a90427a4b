"""Messages for mistakes in the data files (ledger, milestones, hours) that an outside tester,
playing a project leader, found unclear: each is one line naming file, row and field that says
what to change, seen through `grantflow validate` (or `render`) and its exit code."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
NGD = "smart-velferdsregion-nord-gudbrandsdal"
DIGITAL = "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"      # an en dash, as in the budget


@pytest.fixture
def clean(scratch_config):
    """The demo config with its two seed errors corrected: validate exits 0 before each change."""
    replace_in(scratch_config / f"projects/{NGD}.yaml", "rf: 12", "rf: 15")
    replace_in(scratch_config / f"projects/{HAUG}.yaml",
               "{2015: 412000, 2016: 1123000}", "{2015: 412000, 2016: 1122415}")
    assert main(["validate", "--config", str(scratch_config)]) == 0
    return scratch_config


def _validate(config, capsys) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "validate"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line.replace(f"{config}/", "config/") for line in captured.out.splitlines()
                  if line.startswith("ERROR")]


def _render(config, tmp_path, capsys, *args) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "render", *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line.replace(f"{config}/", "config/") for line in captured.err.splitlines()
                  if line.startswith("error")]


def _append(path, *rows: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.writelines(row + "\n" for row in rows)


# --- 1. a category that differs from the budget's only in characters that look alike ----------

@pytest.mark.parametrize("written, says", [
    ("Felles prosjekttiltak - digital kompetanse og kunnskapsdeling",
     "only in its dash: the budget has an en dash (–), the file a hyphen (-)"),
    ("Felles prosjekttiltak — digital kompetanse og kunnskapsdeling",
     "only in its dash: the budget has an en dash (–), the file an em dash (—)"),
    ("Felles prosjekttiltak –\u00a0digital kompetanse og kunnskapsdeling",
     "only in a space: the budget has a plain space, the file a non-breaking space (U+00A0) after "
     "'prosjekttiltak –'"),
    ("Felles prosjekttiltak –  digital kompetanse og kunnskapsdeling",
     "only in a space: the budget has a plain space, the file two spaces after 'prosjekttiltak –'"),
], ids=["hyphen", "em dash", "nbsp", "two spaces"])
def test_a_category_that_only_looks_like_the_budgets_says_what_differs(clean, capsys, written, says):
    """A hyphen for the budget's en dash was 'unknown budget category … (known: … – …)': the two
    look the same, nobody could see what to fix. It is still refused (never taken as the budget's)."""
    _append(clean / "data" / NGD / "regnskap.csv", f"06.12.2019;2019;{written};Kurs;2 000;helsedir;")
    code, errors = _validate(clean, capsys)
    assert code == 1
    assert errors == [f"ERROR   config/data/{NGD}/regnskap.csv:10 Kategori: unknown budget category {written!r}: "
                      f"it differs from the budget category {DIGITAL!r} {says}"]


def test_an_unknown_category_unlike_any_still_lists_the_known_ones(clean, capsys):
    _append(clean / "data" / NGD / "regnskap.csv", "06.12.2019;2019;Reise;Kurs;2 000;helsedir;")
    assert _validate(clean, capsys) == (1, [
        f"ERROR   config/data/{NGD}/regnskap.csv:10 Kategori: unknown budget category 'Reise' (known: "
        f"Prosjektleder og prosessadministrasjon, {DIGITAL})"])
