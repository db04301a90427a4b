"""A run started from a deployment (the Prefect UI's form, shared by the secretariat) writes only
inside the installation's outputs folder and reads only its config: ``options.out`` and
``options.config`` are free text on that form. A run from the person's own shell (no deployment)
takes ``out`` as given."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from flows.documents import DeliveryOptions, status_report

PROJECT = "haugaland-velferdsteknologi"


@pytest.fixture
def deployed(isolated, scratch_config, monkeypatch):
    """This installation's config is ``scratch_config``; the run counts as started from a deployment
    (Prefect's documented mock of prefect.runtime.deployment)."""
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    return isolated


def run(**options):
    return status_report(project=PROJECT, as_of=date(2016, 10, 7), options=DeliveryOptions(send=False, **options),
                         return_state=True)


def failure(state) -> str:
    assert state.is_failed(), state
    return state.message


@pytest.mark.parametrize("where", ["elsewhere", "outputs/../elsewhere"])
def test_out_outside_the_outputs_folder_is_refused(deployed, where):
    target = deployed / where
    message = failure(run(out=str(target)))
    assert "options.out" in message and "outside this installation's outputs folder" in message, message
    assert "\n" not in message and "Traceback" not in message, message
    assert not (deployed / "elsewhere").exists()


def test_a_config_from_elsewhere_is_refused(deployed, scratch_config):
    other = deployed / "other-config"
    shutil.copytree(scratch_config, other)
    message = failure(run(config=str(other)))
    assert "options.config" in message and "is not this installation's config folder" in message, message
    assert "\n" not in message, message
    assert not (deployed / "outputs").exists()          # nothing made with it


def test_a_config_from_elsewhere_has_its_inbox_left_untouched(deployed, scratch_config):
    """The status report takes returned workbooks in from the config's inbox first; with a config
    typed into the form, that inbox's files were moved (to avvist/ or behandlet/) before the run
    was refused."""
    other = deployed / "other-config"
    shutil.copytree(scratch_config, other)
    (other / "inbox").mkdir(exist_ok=True)
    (other / "inbox" / f"{PROJECT}.xlsx").write_bytes(b"not a workbook")
    before = sorted(str(p.relative_to(other)) for p in (other / "inbox").rglob("*"))
    message = failure(run(config=str(other)))
    assert "is not this installation's config folder" in message, message
    assert sorted(str(p.relative_to(other)) for p in (other / "inbox").rglob("*")) == before


def test_the_normal_run_and_a_folder_inside_outputs_still_work(deployed, scratch_config):
    plain = run()
    assert plain.is_completed(), plain
    same = run(out=str(deployed / "outputs"), config=str(scratch_config))
    assert same.is_completed(), same
    # a folder inside outputs stays allowed (`grantflow run --out`, the served tests' own folders):
    # it gets the files, the records stay the outputs folder's (test_out_folder_records.py)
    inside = run(out=str(deployed / "outputs" / "prøve"), config=str(scratch_config))
    assert inside.is_completed(), inside
    assert list((deployed / "outputs" / "prøve").rglob("*.docx"))
    assert not list((deployed / "outputs" / "prøve").rglob("*.json"))


def test_out_naming_a_file_is_one_line(deployed):
    """It was a raw ``NotADirectoryError: [Errno 20] …``."""
    (deployed / "outputs").mkdir()
    (deployed / "outputs" / "a-file").write_text("x")
    message = failure(run(out=str(deployed / "outputs" / "a-file")))
    assert "options.out: '" in message and message.endswith("a-file' is a file, not a folder"), message
    assert "NotADirectoryError" not in message


def test_out_under_a_file_is_one_line_naming_the_field_before_anything_is_made(deployed):
    """A folder under a file (outputs/a-file/sub) was made as far as the files and stopped on
    "cannot use …/a-file/sub/haugaland-vekst/…: Not a directory", without naming the field."""
    (deployed / "outputs").mkdir()
    (deployed / "outputs" / "a-file").write_text("x")
    message = failure(run(out=str(deployed / "outputs" / "a-file" / "sub")))
    assert message.endswith(f"options.out: '{deployed / 'outputs' / 'a-file' / 'sub'}' is inside "
                            f"'{deployed / 'outputs' / 'a-file'}', a file, not a folder"), message
    assert "\n" not in message
    assert [p.name for p in (deployed / "outputs").iterdir()] == ["a-file"]       # nothing made


def test_a_run_not_started_from_a_deployment_takes_out_as_given(isolated, scratch_config):
    state = run(out=str(isolated / "elsewhere"), config=str(scratch_config))
    assert state.is_completed(), state
    assert list((isolated / "elsewhere").rglob("*.docx"))
