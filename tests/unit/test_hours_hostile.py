"""The own-effort hours file (timer.csv: Dato, Kommune, Timer) attacked: each mistake is one line
from `grantflow validate` naming file, row and field, and a non-zero exit; never a traceback,
never a silent guess."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"




CASES = [
    # (row as written, field, what the line must say)
    (b"15.10.2015;Haugesund;1.500", "Timer", "ambiguous number of hours '1.500': 1 500 (point as thousands "
                                             "separator) or 1,5 (decimal point); write 1500 or 1,5"),
    (b"15.10.2015;Haugesund;-3", "Timer", "negative number of hours"),
    (b"15.10.2015;Haugesund;12 500", "Timer", "12 500 hours in one row is implausible"),
    (b"15.10.2015;Haugesund;99999999999999999999", "Timer", "implausibly large"),
    (b"15.10.2015;Haugesund;nan", "Timer", "not a finite number"),
    (b"15.10.2015;Haugesund;3 timer", "Timer", "cannot read '3 timer' as a number"),
    (b"15.10.2015;Haugesund;12,000", "Timer", "ambiguous number '12,000'"),
    (b"15.10.2010;Haugesund;3", "Dato", "15.10.2010 is outside the project period 21.09.2015 – 20.09.2017"),
    (b"21.09.2017;Haugesund;3", "Dato", "21.09.2017 is outside the project period"),
    (b"31.02.2016;Haugesund;3", "Dato", ""),
    (b"15.10.2015;Oslo;3", "Kommune", "unknown municipality 'Oslo'"),
    (b"15.10.2015;Haug\xe9sund;3", "data", "not UTF-8 text (byte 0xe9 at line 3"),
    (b"15.10.2015;Haugesund;3\x00", "data", "binary data (a NUL byte at line 3)"),
]


@pytest.mark.parametrize("row,field,says", CASES, ids=[c[0].decode("latin-1") for c in CASES])
def test_a_hostile_hours_row_is_one_line_naming_file_row_and_field(clean, capsys, row, field, says):
    path = clean / "data" / HAUG / "timer.csv"
    path.write_bytes(b"Dato;Kommune;Timer;Beskrivelse\n15.10.2015;Karm\xc3\xb8y;30;ok\n" + row + b";\n")
    code = main(["validate", str(clean)])
    out = capsys.readouterr()
    assert code == 1, out.out
    assert "Traceback" not in out.out + out.err
    errors = [line for line in out.out.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, errors
    assert f"data/{HAUG}/timer.csv:" in errors[0] and f" {field}: " in errors[0], errors[0]
    where = errors[0].split(f"timer.csv:", 1)[1]
    assert where.startswith("3 "), errors[0]
    assert says in errors[0], errors[0]


def test_hours_with_a_decimal_comma_and_inside_the_project_are_accepted(clean, capsys):
    path = clean / "data" / HAUG / "timer.csv"
    path.write_text("Dato;Kommune;Timer\n21.09.2015;Haugesund;1,5\n20.09.2017;Utsira;2 000\n", encoding="utf-8")
    assert main(["validate", str(clean)]) == 0, capsys.readouterr().out


def test_own_effort_hours_in_the_plan_written_1_500_are_refused(clean, capsys):
    """The same rule for the plan's estimate: 'own_effort_hours: "2.073"' (2 073 or 2,073?)."""
    replace_in(clean / f"projects/{HAUG}.yaml", "own_effort_hours: 2073", 'own_effort_hours: "2.073"')
    assert main(["validate", str(clean)]) == 1
    out = capsys.readouterr().out
    assert "budget.own_effort_hours" in out and "ambiguous number of hours '2.073'" in out, out


def _render(config, tmp_path, capsys, *args) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "render", *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line for line in captured.err.splitlines() if line.startswith("error")]


@pytest.mark.parametrize("kind, args", [("status", ("--as-of", "2016-10-07")), ("final", ())])
def test_an_unknown_municipality_in_the_hours_stops_the_documents_that_count_them(clean, tmp_path, capsys,
                                                                                   kind, args):
    """'Karmoy' for Karmøy was a validate error only: the status report went out counting its
    30 hours as registered own effort ("… timer registrert til nå")."""
    replace_in(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmøy;30", "15.10.2015;Karmoy;30")
    code, errors = _render(clean, tmp_path, capsys, kind, HAUG, *args)
    assert code == 1 and len(errors) == 1
    assert errors[0].endswith(f"data/{HAUG}/timer.csv:3: Kommune: unknown municipality 'Karmoy' (did you mean "
                              "'Karmøy'? known: Haugesund, Karmøy, Bokn, Utsira, Sveio, Tysvær, Vindafjord, Etne, "
                              "Sauda, Suldal)"), errors
    assert not list(tmp_path.rglob("*.docx"))


@pytest.mark.parametrize("row", ["15.10.2015;Karmoy;30", "15.10.2051;Karmøy;30", "15.10.2015;Karmøy;1.500"])
def test_a_bad_hours_file_does_not_stop_the_documents_that_do_not_use_it(clean, tmp_path, capsys, row):
    """The council's usage report per 31.12 (and the application, the cost split) count no
    registered hours, yet one project's hours row stopped them with 'timer.csv:3 ...'."""
    replace_in(clean / "data" / HAUG / "timer.csv", "15.10.2015;Karmøy;30", row)
    assert _render(clean, tmp_path, capsys, "usage", "--council", "haugaland-vekst", "--year", "2016") == (0, [])
    assert _render(clean, tmp_path, capsys, "application", HAUG) == (0, [])
    assert _render(clean, tmp_path, capsys, "costsplit", HAUG) == (0, [])
    assert _render(clean, tmp_path, capsys, "status", HAUG, "--as-of", "2016-10-07")[0] == 1
    assert main(["validate", str(clean)]) == 1


@pytest.mark.parametrize("hours", ["-", "\u2212", "\u2013"])
def test_hours_of_only_a_sign_are_one_line_not_zero(clean, capsys, hours):
    """'-' in Timer was 0 hours, without a word."""
    path = clean / "data" / HAUG / "timer.csv"
    path.write_text(f"Dato;Kommune;Timer;Beskrivelse\n15.10.2015;Karmøy;30;ok\n15.10.2015;Haugesund;{hours};\n",
                    encoding="utf-8")
    assert main(["validate", str(clean)]) == 1
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, errors
    assert errors[0].endswith(f"timer.csv:3 Timer: {hours!r} has no number in it, only a sign or currency (a dash "
                              "alone is not read as 0): write the number, or 0"), errors[0]
