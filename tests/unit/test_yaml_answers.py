"""What grantflow writes into YAML (an imported workbook, the status form, new-project) is read
back as written.

Found by an outside tester: a workbook answer "No" in Avvik og beslutninger was imported with exit
0 and written as ``- No``; grantflow's reader (YAML 1.1) took it for the boolean false, and the
project's status report stopped with "Input should be a valid string". "Yes", "off", "ON" and
"1:30" (read as 90) did the same.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings, strategies as st

from grantflow.cli import main
from grantflow.yamledit import new_yaml, update_yaml
from grantflow.yamlfile import read_yaml_text

from ..docx_text import all_text
from ._workbook import HAUG, run_import, workbook_file

YAML_11_LOOKALIKES = ["No", "Yes", "off", "ON", "y", "n", "1:30", "12:30:00", "~", "null", "0x10", "1_000",
                      "2016-10-07", ".inf", "0o17", "=", "<<", "+1", "1e3", "Kommune #1", "a: b", "- x"]


def test_a_workbook_answer_that_yaml_11_reads_as_a_boolean_stays_text(scratch_config, tmp_path, capsys):
    def edit(wb):
        wb["Avvik og beslutninger"]["B2"].value = "No"
        wb["Avvik og beslutninger"]["A2"].value = "Avvik"

    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=date(2016, 10, 7))
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    code = main(["--config", str(scratch_config), "render", "status", HAUG, "--as-of", "2016-10-07",
                 "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    docx = next((tmp_path / "out").rglob("status-2016-10-07.docx"))
    assert "\nNo\n" in "\n" + "\n".join(all_text(docx).splitlines()) + "\n"


def test_every_lookalike_is_read_back_as_the_text_written():
    written = new_yaml({"a": YAML_11_LOOKALIKES})
    assert read_yaml_text(written)["a"] == YAML_11_LOOKALIKES, written
    edited = update_yaml("x: 1  # a comment kept\nb: [a]\n", {"x": 1, "b": YAML_11_LOOKALIKES})
    assert edited.startswith("x: 1  # a comment kept\n") and read_yaml_text(edited)["b"] == YAML_11_LOOKALIKES


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20), min_size=1, max_size=4))
def test_any_text_is_read_back_as_written(values):
    assert read_yaml_text(new_yaml({"a": values}))["a"] == values
    assert read_yaml_text(update_yaml("a: [x]\n", {"a": values}))["a"] == values
