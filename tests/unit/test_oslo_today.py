"""Today is Oslo's, whatever the machine's clock zone: on a server kept in UTC, at 23:30 UTC on 29
November (00:30 on the 30th in Oslo), `render usage --as-of 2026-11-30` was refused as "after today
(29.11.2026)" and the same command without --as-of dated the report "29. november 2026" (found by
an outside tester who froze the clock)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from grantflow import clock
from grantflow.cli import main

from ..docx_text import all_text


@pytest.fixture
def half_past_midnight_in_oslo(monkeypatch):
    """The machine's clock at 23:30 UTC on 29.11.2026: 00:30 on 30.11 in Oslo."""
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc))


def _usage(tmp_path, capsys, *extra) -> tuple[int, str]:
    code = main(["render", "usage", "--council", "kongsbergregionen", "--year", "2014", "--out", str(tmp_path),
                 *extra])
    said = capsys.readouterr()
    return code, said.out + said.err


def test_as_of_today_in_oslo_is_not_after_today(half_past_midnight_in_oslo, tmp_path, capsys):
    code, said = _usage(tmp_path, capsys, "--as-of", "2026-11-30")
    assert code == 0 and "after today" not in said, said


def test_a_usage_report_made_after_midnight_in_oslo_is_dated_that_day(half_past_midnight_in_oslo, tmp_path,
                                                                      capsys):
    code, said = _usage(tmp_path, capsys)
    assert code == 0, said
    text = all_text(tmp_path / "kongsbergregionen/usage-2014.docx").replace("\u00a0", " ")
    assert "30. november 2026" in text and "29. november 2026" not in text, text
