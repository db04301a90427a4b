"""One project's document reads only that project and its council, and reads them the same."""

from __future__ import annotations

import pytest

from grantflow.documents.service import build_context, prepare
from grantflow.errors import UserError
from grantflow.register import load_register, open_project_register, open_register

from ..conftest import CONFIG

PROJECTS = ["haugaland-velferdsteknologi", "kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]


@pytest.mark.parametrize("project", PROJECTS)
@pytest.mark.parametrize("kind", ["status", "final", "application", "costsplit"])
def test_the_part_gives_the_same_document_as_the_whole(tmp_path, project, kind):
    whole, part = open_register(CONFIG), open_project_register(CONFIG, project)
    assert set(part.projects) == {project} and set(part.councils) == {whole.projects[project].council}
    made = []
    for register in (whole, part):
        try:
            request, _, notes = prepare(register, kind, project, None, None, None, None, tmp_path, False)
        except UserError as exc:
            made.append(("error", str(exc)))
            continue
        made.append((build_context(request).values, [str(n) for n in notes]))
    assert made[0] == made[1]


def test_a_duplicate_id_elsewhere_reads_the_whole_register_and_says_so(scratch_config):
    source = scratch_config / "projects/kongsbergregionen-erp.yaml"
    (scratch_config / "projects/copy.yaml").write_bytes(source.read_bytes())
    with pytest.raises(UserError, match="duplicate project id 'kongsbergregionen-erp'"):
        open_project_register(scratch_config, "kongsbergregionen-erp")


def test_a_broken_unrelated_project_does_not_matter_but_a_broken_own_file_does(scratch_config):
    (scratch_config / "projects/other.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    assert set(open_project_register(scratch_config, "kongsbergregionen-erp").projects) == {"kongsbergregionen-erp"}
    (scratch_config / "projects/kongsbergregionen-erp.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserError):
        open_project_register(scratch_config, "kongsbergregionen-erp")


def test_an_unknown_project_is_the_register_s_clear_error():
    with pytest.raises(UserError, match="unknown project 'nope'"):
        open_project_register(CONFIG, "nope").project("nope")


def test_an_id_that_does_not_match_its_file_name_is_an_error(scratch_config):
    """A typo in `id:` would give the project a new outputs folder and an empty send history, so
    every document would be made and sent again as new: it stops everything, naming file, line, field."""
    path = scratch_config / "projects/haugaland-velferdsteknologi.yaml"
    text = path.read_text(encoding="utf-8")
    line = text.splitlines().index("id: haugaland-velferdsteknologi") + 1
    path.write_text(text.replace("id: haugaland-velferdsteknologi", "id: haugaland-velferdsteknolgi"), encoding="utf-8")
    _, findings = load_register(scratch_config)
    (finding,) = [f for f in findings if f.field == "id"]
    assert (finding.severity, finding.file.split("/")[-1], finding.line) == \
        ("error", "haugaland-velferdsteknologi.yaml", line)
    assert finding.message == ("project id 'haugaland-velferdsteknolgi' does not match the file name "
                               "'haugaland-velferdsteknologi.yaml': rename the file to "
                               "haugaland-velferdsteknolgi.yaml or correct the id")
    for pid in ("haugaland-velferdsteknologi", "haugaland-velferdsteknolgi"):
        with pytest.raises(UserError, match="does not match the file name"):
            open_project_register(scratch_config, pid)
