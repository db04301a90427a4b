"""`grantflow serve` refuses to start, with one line, where Prefect's scheduler cannot run."""

import sqlalchemy

from flows.deployments import scheduler_problem
from grantflow.cli import main


def test_installed_sqlalchemy_is_one_the_scheduler_works_with():
    assert scheduler_problem() is None, sqlalchemy.__version__


def test_serve_refuses_sqlalchemy_2_1(monkeypatch, capsys):
    monkeypatch.setattr(sqlalchemy, "__version__", "2.1.9")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "SQLAlchemy 2.1.9" in err[0] and "no scheduled run would ever be created" in err[0]


import pytest  # noqa: E402


@pytest.mark.parametrize("value", ["0", "-5", "99999999999999"])
def test_a_watch_interval_that_is_no_interval_is_refused(value, monkeypatch, capsys):
    """-5 and 99999999999999 ended in an internal error inside Prefect once serving; 0 served the
    weekday schedule as if the option had not been given."""
    from ..smtp_server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")   # nothing is started
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--watch-interval", value])
    assert exit_.value.code == 2
    assert f"argument --watch-interval: {int(value)} s: give 1 to 604800" in capsys.readouterr().err


@pytest.mark.parametrize("now_utc, expected", [
    ("2027-03-29T05:30:00", "2027-03-29T07:00:00+02:00"),   # the Monday after clocks went forward: 07:00 CEST
    ("2027-03-29T04:30:00", "2027-03-26T07:00:00+01:00"),   # 06:30 in Oslo: Friday's run is the last one
    ("2026-10-26T06:30:00", "2026-10-26T07:00:00+01:00"),   # the Monday after clocks went back: 07:00 CET
    ("2026-11-28T11:00:00", "2026-11-27T07:00:00+01:00"),   # Saturday: Friday's
])
def test_the_watch_time_serve_catches_up_is_07_oslo_on_both_sides_of_dst(now_utc, expected, monkeypatch):
    from datetime import datetime, timezone

    from flows.deployments import last_watch_time

    monkeypatch.delenv("GRANTFLOW_WATCH_CRON", raising=False)
    now = datetime.fromisoformat(now_utc).replace(tzinfo=timezone.utc)
    assert last_watch_time(now) == datetime.fromisoformat(expected)


def test_a_watch_cron_that_is_no_cron_is_one_line(monkeypatch, capsys):
    from ..smtp_server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")   # nothing is started
    monkeypatch.setenv("GRANTFLOW_WATCH_CRON", "7 om morgenen")
    assert main(["serve"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: GRANTFLOW_WATCH_CRON: '7 om morgenen' is not a cron expression")


def test_serve_says_the_missed_watch_time_as_a_missed_slot(tmp_path, monkeypatch, capsys):
    """serve said "deadline_watch has not run since 28.11.2026 20:46" where 20:46 was the run it
    missed and the last run had been at 20:44 (outside tester): the missed slot read as the last
    run. Now it says the slot was missed."""
    import asyncio
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import prefect.runner

    import flows.deployments as deployments

    class Runner:           # the served deployments are not started: only serve's first lines
        def __init__(self, **kwargs):
            pass

        async def start(self):
            await asyncio.sleep(0)

    monkeypatch.setenv("GRANTFLOW_WATCH_CRON", "46 20 * * *")
    monkeypatch.delenv("GRANTFLOW_WATCH_CATCH_UP", raising=False)
    monkeypatch.setattr(prefect.runner, "Runner", Runner)
    monkeypatch.setattr(deployments, "served", lambda watch_interval=None: [])
    monkeypatch.setattr(deployments, "_fork_server", lambda: False)
    monkeypatch.setattr(deployments, "end_orphaned_runs", lambda outputs: [])
    monkeypatch.setattr(deployments, "catch_up_watch", lambda now=None: ("run-1", True))
    now = datetime.now(ZoneInfo("Europe/Oslo"))
    slot = now.replace(hour=20, minute=46, second=0, microsecond=0)
    if slot > now:
        slot -= timedelta(days=1)
    deployments.serve(tmp_path)
    out = capsys.readouterr().out
    assert "has not run since" not in out, out
    assert f"deadline_watch missed its scheduled run at {slot:%d.%m.%Y %H:%M} Europe/Oslo" in out, out
    assert "started now (flow run run-1)" in out, out
