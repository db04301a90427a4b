"""Command-line values a careless user types: one line and a non-zero exit, nothing written,
never an empty answer that reads as "nothing there"."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import CONFIG, replace_in

HAUG = "haugaland-velferdsteknologi"
ERP = "projects/kongsbergregionen-erp.yaml"


def run(capsys, *args) -> tuple[int, str, list[str]]:
    try:
        code = main(["--config", str(args[0]), *args[1:]])
    except SystemExit as exc:                 # argparse refuses a value
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


@pytest.mark.parametrize("command", [
    ("render", "status", HAUG, "--as-of", "2016-10-07", "--out", "{tmp}/a\nb"),
    ("deadlines", "--from", "2016-01-01", "--ics", "{tmp}/frister\n.ics"),
    ("workbook", HAUG, "--as-of", "2016-10-07", "-o", "{tmp}/a\u2028b.xlsx"),
])
def test_a_path_with_a_line_break_is_refused_and_nothing_is_written(tmp_path, capsys, command):
    """It made a folder 'a⏎b' and printed its path over two lines."""
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    code, _, err = run(capsys, CONFIG, *args)
    assert code == 2 and "give a path on one line" in err[-1]
    assert list(tmp_path.iterdir()) == []


def test_sent_for_a_misspelt_project_says_so(tmp_path, capsys, monkeypatch):
    """It printed an empty table, exit 0: "nothing was sent" for a project that had everything."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "status", HAUG, "--as-of", "2016-10-07"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, CONFIG, "sent", "haugaland-velferdsteknologii")
    assert code == 1 and out == "" and len(err) == 1
    assert ("unknown project 'haugaland-velferdsteknologii': did you mean 'haugaland-velferdsteknologi'? "
            "(known: haugaland-velferdsteknologi,") in err[0]
    code, out, _ = run(capsys, CONFIG, "sent", HAUG)
    assert code == 0 and out.count(" outbox ") == 7      # the Via column (the detail names the file)


def test_inbox_for_a_misspelt_project_says_so(scratch_config, capsys):
    """'the inbox is empty', exit 0, while the leader's workbook waited in it."""
    (scratch_config / "inbox").mkdir()
    (scratch_config / "inbox" / f"{HAUG}.xlsx").write_bytes(b"PK")
    code, out, err = run(capsys, scratch_config, "inbox", "haugaland")
    assert code == 1 and "the inbox is empty" not in out and len(err) == 1
    assert "unknown project 'haugaland'" in err[0]
    assert (scratch_config / "inbox" / f"{HAUG}.xlsx").exists()


def test_a_status_report_dated_after_the_project_is_refused(tmp_path, capsys):
    """--as-of 2099-01-01 (for 2019) made 'status-2099-01-01.docx' for a project that ended in
    2017, and `send` mailed it to the steering group."""
    code, _, err = run(capsys, CONFIG, "render", "status", HAUG, "--as-of", "2099-01-01", "--out", str(tmp_path))
    assert code == 1 and len(err) == 1
    assert err[0] == ("error: --as-of: 2099-01-01 is after the project ends (2017-09-20): a status report needs a "
                      "date in the project period; after it comes the final report")
    assert not list(tmp_path.rglob("*.docx"))


@pytest.mark.parametrize("old, new, says", [
    # YAML's 1.0: amounts meant in thousands read as kroner (or the reverse), off by 1 000
    ("unit: 1\n", "unit: 1.000\n", f"{ERP}:57 budget.unit: write 1 (kroner) or 1000"),
    ("name: ERP-prosjektet for 4 kommuner", "name: ''", f"{ERP}:8 name: String should have at least 1 character"),
    ("{name: Rådmannen i Tinn,", "{name: '',", f"{ERP}:22 steering_group[2].name: String should have at least"),
    # a share written as a fraction: 0.3 was taken as 0.3 % (30 % meant), the cost split "0 % likt"
    ("{equal_percent: 0,", "{equal_percent: 0.3,", f"{ERP}:25 split.equal_percent: 0.3 is ambiguous (30 % or 0,3 %?): "
     "write the percent shared equally as a number from 0 to 100, e.g. 30 for 30 %"),
    # no municipalities, and a municipal share: only render refused it (found by an outside tester)
    ("municipalities: [Notodden, Tinn, Hjartdal, Kongsberg]", "municipalities: []",
     f"{ERP}:65 budget.financing[0].kind: 'Kommunene (kostnadsfordeling)' is the municipalities' share, but the "
     "project lists no participating municipalities"),
])
def test_project_file_values_no_one_means(scratch_config, capsys, old, new, says):
    replace_in(scratch_config / ERP, old, new)
    code = main(["validate", str(scratch_config)])
    lines = [line for line in capsys.readouterr().out.splitlines() if "kongsbergregionen-erp.yaml" in line]
    assert code == 1 and len(lines) == 1 and says in lines[0], lines


@pytest.mark.parametrize("command", [("sent",), ("validate",), ("render", "usage", "--council", "x", "--year", "2019")])
def test_a_file_given_as_the_config_folder_is_refused(tmp_path, capsys, monkeypatch, command):
    """`--config /etc/passwd` read /etc as the config folder: `sent` made /outputs/sent.db beside
    it and printed an empty ledger, exit 0; `validate` said "no council files" about /etc."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANTFLOW_OUTPUTS", raising=False)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    code, out, err = run(capsys, tmp_path / "etc" / "passwd", *command)
    assert code == 1 and out == "" and err == [
        "error: etc/passwd: is a file, not a config folder (give the folder that holds grantflow.yaml, "
        "councils/ and projects/, or a project file in it)"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["etc", "passwd"]


def test_a_folder_inside_the_config_folder_is_named_as_not_one(scratch_config, capsys, monkeypatch):
    """`--config config/projects` said "config/projects/councils no council files (*.yaml) found"."""
    monkeypatch.chdir(scratch_config.parent)
    name = scratch_config.name
    code, out, _ = run(capsys, f"{name}/projects", "validate")
    assert code == 1 and out.splitlines()[0] == (
        f"ERROR   {name}/projects not a config folder: it has no councils/ folder (a config folder holds "
        f"grantflow.yaml, councils/ and projects/); did you mean --config {name}?"), out
    code, _, err = run(capsys, f"{name}/projects", "render", "status", "x")
    assert code == 1 and len(err) == 1 and f"did you mean --config {name}?" in err[0]
    (scratch_config / "councils").rename(scratch_config / "raad")          # a config folder without councils
    code, out, _ = run(capsys, name, "validate")
    assert code == 1 and "did you mean" not in out and f"{name} not a config folder" in out


def test_a_project_file_or_the_settings_file_still_stands_for_its_config_folder(scratch_config, capsys):
    folder = run(capsys, scratch_config, "validate")          # the whole folder, as for every command
    assert run(capsys, scratch_config / ERP, "validate") == folder
    assert run(capsys, scratch_config / "grantflow.yaml", "validate") == folder


@pytest.mark.parametrize("written", ["0.3", "'0,3'", "0.05"])
def test_a_cost_split_share_between_0_and_1_is_refused(scratch_config, tmp_path, capsys, written):
    """`equal_percent: 0.3` (30 % meant) billed every municipality by population alone: "0 % likt"."""
    replace_in(scratch_config / f"projects/{HAUG}.yaml", "  equal_percent: 30", f"  equal_percent: {written}")
    code, out, err = run(capsys, scratch_config, "allocate", HAUG, "--year", "2016")
    assert code == 1 and out == "" and len(err) == 1
    assert f"projects/{HAUG}.yaml:32: split.equal_percent: {written.strip(chr(39))} is ambiguous" in err[0]
    code, _, err = run(capsys, scratch_config, "render", "costsplit", HAUG, "--out", str(tmp_path / "out"))
    assert code == 1 and len(err) == 1 and "split.equal_percent" in err[0] and "is ambiguous" in err[0]
    assert not (tmp_path / "out").exists()


def test_year_and_period_together_are_refused(capsys):
    """`render costsplit P --year 2016 --period 2015` made 2015 without a word (found by an outside tester)."""
    code, out, err = run(capsys, CONFIG, "render", "costsplit", HAUG, "--year", "2016", "--period", "2015")
    assert code == 1 and out == "" and err == ["error: --period: give either --year or --period, not both"]
