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
