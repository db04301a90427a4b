"""What the attacker found the register let through, each now one finding naming file, line and
field (and the commands that read the register stop with one line, exit 1, nothing written)."""

import subprocess
import sys

import pytest

from grantflow.validate import validate

from ..conftest import ROOT, replace_in

HAUG = "projects/haugaland-velferdsteknologi.yaml"
COUNCIL = "councils/haugaland-vekst.yaml"


def _errors(config, file_part):
    _, findings = validate(config)
    return [f for f in findings if f.severity == "error" and file_part in f.file]


def _run(config, *args, tmp_path=None):
    out = ["--out", str(tmp_path)] if tmp_path is not None and args[0] == "render" else []
    return subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(config), *args, *out],
                          capture_output=True, text=True, cwd=ROOT)


def _one_line_exit_1(proc, message):
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_municipality_listed_twice_in_a_project_is_an_error_not_a_split_that_does_not_add_up(scratch_config,
                                                                                              tmp_path):
    """Before: Bokn twice gave 11 equal shares but 10 rows; the rows summed to 1 086 560 kr while
    the Sum row said 1 123 000 kr, in allocate and in the cost split sent to the municipalities."""
    replace_in(scratch_config / HAUG, "[Haugesund, Karmøy, Bokn,", "[Haugesund, Karmøy, Bokn, bokn,")
    (bad,) = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    assert (bad.line, bad.field) == (29, "municipalities[3]")          # the second Bokn
    assert bad.message == "municipality 'bokn' is listed twice (also as 'Bokn')"
    _one_line_exit_1(_run(scratch_config, "allocate", "haugaland-velferdsteknologi", "--year", "2016"),
                     "listed twice")
    _one_line_exit_1(_run(scratch_config, "render", "costsplit", "haugaland-velferdsteknologi", tmp_path=tmp_path),
                     "listed twice")
    assert not list(tmp_path.rglob("*.docx"))


def test_a_member_listed_twice_in_a_council_is_an_error(scratch_config):
    replace_in(scratch_config / COUNCIL, "  - {name: Bokn, population: {2014: 868}}",
               "  - {name: Bokn, population: {2014: 868}}\n  - {name: BOKN, population: {2014: 99999}}")
    errors = _errors(scratch_config, "haugaland-vekst.yaml")
    assert [(e.line, e.field, e.message) for e in errors] == [
        (28, "municipalities[3].name", "municipality 'BOKN' is listed twice (also as 'Bokn')")]     # BOKN's own line


@pytest.mark.parametrize("written, shown", [
    ('"2016": 1', "2016 is given twice (once as '2016')"),   # quoted: stood beside 2016, and one of them won
    ('" 2016": 1', "' 2016' is not a year"),
    ("true: 1", "True is not a year"),
    ("0: 1", "0 is not a year"),                   # before: an internal error in render costsplit
    ("99999: 1", "99999 is not a year"),
])
def test_a_budget_year_must_be_written_as_four_digits(scratch_config, tmp_path, written, shown):
    replace_in(scratch_config / HAUG, "amounts: {2015: 1211321, 2016: 1123094}",
               "amounts: {2015: 1211321, 2016: 1123094, " + written + "}")
    (bad,) = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    assert bad.line == 182 and bad.field == "budget.costs[0].amounts"
    assert bad.message.startswith(shown)
    _one_line_exit_1(_run(scratch_config, "render", "costsplit", "haugaland-velferdsteknologi", tmp_path=tmp_path),
                     shown)


def test_a_year_with_a_leading_zero_is_refused_as_yaml_reads_it(scratch_config):
    """YAML 1.1 reads 02016 as octal 1038; the loader refuses it, naming the mapping it is in."""
    replace_in(scratch_config / HAUG, "amounts: {2015: 1211321, 2016: 1123094}",
               "amounts: {2015: 1211321, 2016: 1123094, 02016: 1}")
    (bad,) = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    assert bad.line == 182 and bad.field == "budget.costs[0].amounts"
    assert bad.message.startswith("02016 is not a decimal whole number: YAML would read it as 1038 (octal")


def test_a_steering_group_meeting_listed_twice_is_an_error_on_the_second_line(scratch_config):
    """2016-02-12 written twice (2016-04-11 meant) planned one status report and none for the
    meeting in April; validate said nothing."""
    replace_in(scratch_config / HAUG, "  dates: [2015-11-20, 2016-02-12, 2016-04-11, 2016-06-10, 2016-10-14, "
               "2017-02-10, 2017-06-09, 2017-09-15]", "  dates:\n    - 2015-11-20\n    - 2016-02-12\n    - 2016-02-12\n"
               "    - 2016-06-10\n    - 2016-10-14")
    errors = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    (bad,) = [e for e in errors if e.field.startswith("meetings")]
    assert (bad.line, bad.field) == (208, "meetings.dates[2]")     # the second 2016-02-12
    assert bad.message == ("steering-group meeting 2016-02-12 is listed twice (also meetings.dates[1]): one status "
                           "report is planned for it; write the date of the meeting that was meant")


NOTES = "data/haugaland-velferdsteknologi/notater.yaml"


def test_a_status_note_dated_after_the_project_and_today_is_an_error(scratch_config, tmp_path):
    """2061-10-01 (2016-10-01 meant) was accepted: the status report of 7 October 2016 said the
    leader's assessment was 'ikke oppdatert siden 1. juni 2016', and validate only warned of that."""
    replace_in(scratch_config / NOTES, "as_of: 2016-10-01", "as_of: 2061-10-01")
    (bad,) = _errors(scratch_config, "notater.yaml")
    assert (bad.line, bad.field) == (12, "status[1].as_of")
    assert bad.message.startswith("status note dated 2061-10-01 is after the project ended (2017-09-20) and after "
                                  "today (")
    _one_line_exit_1(_run(scratch_config, "render", "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07",
                          tmp_path=tmp_path), "notater.yaml:12: status[1].as_of: status note dated 2061-10-01")
    assert not list(tmp_path.rglob("*.docx"))


def test_a_year_end_note_after_the_project_ended_is_taken(scratch_config):
    """Not in the future: the usage report per 31.12 of the project's last year reads it."""
    replace_in(scratch_config / NOTES, "as_of: 2016-10-01", "as_of: 2017-12-31")
    assert _errors(scratch_config, "notater.yaml") == []


def test_two_status_notes_on_one_date_are_an_error(scratch_config):
    replace_in(scratch_config / "data/haugaland-velferdsteknologi/notater.yaml", "as_of: 2016-06-01",
               "as_of: 2016-10-01")
    errors = _errors(scratch_config, "notater.yaml")
    assert len(errors) == 1 and "two status notes are dated 2016-10-01" in errors[0].message


@pytest.mark.parametrize("name, message", [
    ("Bo\u200bkn", "invisible character U+200B ZERO WIDTH SPACE"),
    ("Velferd\u202eteknologi", "bidirectional control character U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("=?utf-8?q?R=C3=A5dmann?=", "RFC 2047 encoded word"),
    ("=?x-foo?q?X=0ABcc:_e@x.no?=", "RFC 2047 encoded word"),      # an unknown charset: not decodable
    ("=?utf-8*en?q?X=0AY?=", "RFC 2047 encoded word"),             # RFC 2231 language tag
])
def test_names_that_would_look_or_travel_differently_are_refused_by_validate(scratch_config, name, message):
    """send refused these, naming no file; validate let them through. Now validate names the line."""
    replace_in(scratch_config / HAUG, "{name: Rådmannen i Haugesund,", "{name: '" + name + "',")
    (bad,) = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    assert (bad.line, bad.field) == (23, "steering_group[0].name") and message in bad.message


@pytest.mark.parametrize("address", ["rådmann@karmøy.example.no", "a@b.no>, evil@x.no", "Ola <ola@x.no>"])
def test_an_address_is_one_plain_ascii_address(scratch_config, address):
    replace_in(scratch_config / HAUG, "email: radmann@haugesund.example.no", f"email: '{address}'")
    (bad,) = _errors(scratch_config, "haugaland-velferdsteknologi.yaml")
    assert bad.field == "steering_group[0].email" and bad.message.startswith("not an e-mail address")


@pytest.mark.parametrize("old, new, field", [
    ("  from_address: grantflow@regionrad.example.no", "  from_address: 'a@b.no>, evil@x.no'",
     "delivery.from_address"),                                                   # a second address in From
    ('  from_name: ""', '  from_name: ""\n  approver_email: \'x\'', "delivery.approver_email"),
    ("    port: 587", "    port: 587\n    timeout: .nan", "delivery.smtp.timeout"),
    ("    port: 587", "    port: 587\n    timeout: -1", "delivery.smtp.timeout"),
    ("    port: 587", "    port: 99999", "delivery.smtp.port"),
])
def test_delivery_settings_that_cannot_work_are_refused_at_load(scratch_config, old, new, field):
    replace_in(scratch_config / "grantflow.yaml", old, new)
    errors = _errors(scratch_config, "grantflow.yaml")
    assert [e.field for e in errors] == [field]


def test_an_outputs_folder_that_is_a_file_is_one_line(config_dir, tmp_path):
    """Before: 'internal error (NotADirectoryError)', exit 2."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    proc = _run(config_dir, "render", "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07",
                "--out", str(afile))
    _one_line_exit_1(proc, "afile")
    assert "Not a directory" in proc.stderr


def test_year_zero_and_full_width_digits_are_refused_not_read_as_something_else(config_dir, tmp_path):
    """--year 0 quietly made the 2015 application; --period ２０１６ made status-２０１６.docx beside
    status-2016.docx and sent it again."""
    _one_line_exit_1(_run(config_dir, "render", "application", "haugaland-velferdsteknologi", "--year", "0",
                          tmp_path=tmp_path), "cannot read period '0'")
    _one_line_exit_1(_run(config_dir, "render", "status", "haugaland-velferdsteknologi", "--period", "２０１６",
                          tmp_path=tmp_path), "cannot read period")
    assert not list(tmp_path.rglob("*.docx"))
