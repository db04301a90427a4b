"""condense: what a reader is shown of many findings in one field of one file."""

from hypothesis import given, strategies as st

from grantflow.findings import Finding, condense


def _f(file="a.csv", line=2, field="Beløp", severity="error", message="bad"):
    return Finding(severity, file, line, field, message)


def test_eleven_are_all_shown_and_twelve_become_ten_and_one():
    eleven = [_f(line=r) for r in range(2, 13)]
    assert condense(eleven) == eleven          # a summary never stands in for a single finding
    twelve = [_f(line=r) for r in range(2, 14)]
    shown = condense(twelve)
    assert shown[:10] == twelve[:10]
    assert shown[10] == _f(line=12, message="2 more errors in this field between rows 12 and 13, not listed one by one")
    assert len(shown) == 11


def test_groups_are_file_field_and_severity_and_order_is_kept():
    findings = []
    for r in range(2, 40):
        findings += [_f(line=r), _f(line=r, field="Dato"), _f(file="b.csv", line=r),
                     _f(line=r, severity="warning", message="odd")]
    findings.insert(5, _f(file="p.yaml", line=3, field="budget", message="other"))
    shown = condense(findings)
    assert shown[5] == findings[5]
    for key in (("error", "a.csv", "Beløp"), ("error", "a.csv", "Dato"), ("error", "b.csv", "Beløp"),
                ("warning", "a.csv", "Beløp")):
        ours = [f for f in shown if (f.severity, f.file, f.field) == key]
        assert len(ours) == 11
        assert [f.line for f in ours[:10]] == list(range(2, 12))
        noun = "errors" if key[0] == "error" else "warnings"
        assert ours[10].message == f"28 more {noun} in this field between rows 12 and 39, not listed one by one"
    assert [f for f in shown if f in findings] == [f for f in findings if f in shown]   # same order


def test_yaml_lines_are_lines():
    shown = condense([_f(file="projects/p.yaml", line=n, field="risks") for n in range(20)])
    assert shown[-1].message.endswith("between lines 10 and 19, not listed one by one")


@given(st.lists(st.tuples(st.sampled_from(["a.csv", "b.xlsx"]), st.sampled_from(["X", "Y"]),
                          st.sampled_from(["error", "warning"]), st.integers(1, 10**6)), max_size=200))
def test_nothing_is_lost_from_the_count(items):
    findings = [Finding(sev, file, line, field, "m") for file, field, sev, line in items]
    shown = condense(findings, limit=3)
    counted = 0
    for f in shown:
        if "not listed one by one" in f.message:
            counted += int(f.message.split(" more ")[0].replace(" ", ""))
        else:
            counted += 1
    assert counted == len(findings)
    for key in {(f.severity, f.file, f.field) for f in findings}:
        assert sum((f.severity, f.file, f.field) == key for f in shown) <= 4
