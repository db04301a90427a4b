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
