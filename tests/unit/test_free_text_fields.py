"""Every text a project or council file carries into a document or a mail refuses the
bidirectional controls (U+202A-U+202E, U+2066-U+2069, and the marks LRM, RLM, ALM) that make text read differently than
written, with one line naming the file, line and field.

The fields are found by walking the models, so a text field added later is covered (or this
test says which example to add to ``FULL_PROJECT`` / ``FULL_COUNCIL``)."""

from __future__ import annotations

import types
from typing import Annotated, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from grantflow.cli import main
from grantflow.findings import loc_text
from grantflow.models import Council, Project

from ..conftest import CONFIG

HAUG = "haugaland-velferdsteknologi"
RLO = "\u202e"                  # RIGHT-TO-LEFT OVERRIDE: 'kr 000 021' shows as 'kr 120 000'


def _leaves(tp, path: tuple):
    origin = get_origin(tp)
    if origin is Annotated:
        yield from _leaves(get_args(tp)[0], path)
    elif origin in (Union, types.UnionType):
        for arg in get_args(tp):
            if arg is not type(None):
                yield from _leaves(arg, path)
    elif origin is list:
        yield from _leaves(get_args(tp)[0], path + (0,))
    elif origin is dict:
        key, value = get_args(tp)
        if any(leaf == () for leaf in _leaves(key, ())):
            yield path + ("<key>",)
        yield from _leaves(value, path + ("<value>",))
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            yield from _leaves(field.annotation, path + (name,))
    elif tp is str:
        yield path


def text_fields(model: type[BaseModel]) -> list[tuple]:
    return sorted(set(_leaves(model, ())), key=str)


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# The demo project and council with an example for every text field the demo leaves out.
FULL_PROJECT = _load(CONFIG / f"projects/{HAUG}.yaml")
FULL_PROJECT["contact"] = {"name": "Kontaktperson", "role": "rådgiver", "organisation": "Haugaland Vekst IKS",
                           "email": "kontakt@haugalandvekst.example.no", "phone": "52 00 00 00"}
for person in (FULL_PROJECT["leader"], FULL_PROJECT["owner_contact"], FULL_PROJECT["responsible_contact"],
               FULL_PROJECT["steering_group"][0]):
    person["phone"] = "52 00 00 01"
FULL_PROJECT["funders"][0]["email"] = "fond@haugalandvekst.example.no"
FULL_PROJECT["goals"]["effect"] = ["Færre innleggelser"]
FULL_PROJECT["activities"][0].update(purpose="Felles retning", result="Felles strategi")
FULL_PROJECT["risks"] = [{"risk": "Forsinket anskaffelse", "probability": 2, "consequence": 3,
                          "mitigation": "Tidlig dialog med innkjøp"}]
FULL_PROJECT["funders"][0]["deadlines"] = [{"kind": "other", "date": "2016-03-01", "description": "Møte i fondet"}]
FULL_PROJECT["recipients"] = {"status": {"to": ["steering_group"], "cc": ["leader"]}}
FULL_PROJECT["data"]["ledger_code"] = HAUG
FULL_PROJECT["membership"] = {"Suldal": {"from": 2016}}     # as {name: Suldal, from: 2016} in municipalities:

FULL_COUNCIL = _load(CONFIG / "councils/haugaland-vekst.yaml")
FULL_COUNCIL["secretariat"]["phone"] = "52 00 00 02"
FULL_COUNCIL["county_governor"].update(phone="51 00 00 00", organisation="Statsforvalteren i Rogaland")
FULL_COUNCIL["municipalities"][0]["weights"] = {"elevtall": {2014: 4100}}
FULL_COUNCIL["municipalities"][0]["contact"] = "postmottak@haugesund.example.no"
FULL_COUNCIL["recipients"] = {"costsplit": {"to": ["steering_group"], "cc": ["secretariat"]}}

CASES = [("projects", HAUG, FULL_PROJECT, path) for path in text_fields(Project)] + \
        [("councils", "haugaland-vekst", FULL_COUNCIL, path) for path in text_fields(Council)]


def _with_control(data, path: tuple):
    """A deep copy of ``data`` with the override put into the text at ``path``."""
    data = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
    parent, loc = None, []
    node = data
    for step in path:
        parent = node
        if step == "<key>":
            key = next(iter(node))
            node[f"{key[:2]}{RLO}{key[2:]}"] = node.pop(key)
            return data, tuple(loc) + (f"{key[:2]}{RLO}{key[2:]}", "[key]")
        if step == "<value>":
            step = next(iter(node))
        assert (isinstance(node, list) and len(node) > step) or (isinstance(node, dict) and step in node), \
            f"add an example for {loc_text(path)} to the test's full project/council"
        node = node[step]
        loc.append(step)
    assert isinstance(node, str), loc_text(path)
    parent[loc[-1]] = f"{node[:2]}{RLO}{node[2:]}"
    return data, tuple(loc)


def _cli(capsys, config, *args) -> tuple[int, list[str], list[str]]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    return code, captured.out.splitlines(), [line for line in captured.err.splitlines() if line.strip()]


@pytest.mark.parametrize("folder, item, full, path", CASES,
                         ids=[f"{folder}:{loc_text(path)}" for folder, _, _, path in CASES])
def test_a_bidirectional_control_in_any_text_field_is_one_error_and_no_document(
        scratch_config, tmp_path, capsys, folder, item, full, path):
    """'minst <U+202E>21<U+202C> millioner kroner' in a project's background passed validate and reached
    the application ('minst 12 millioner'); only names and titles refused it."""
    file = scratch_config / folder / f"{item}.yaml"
    data, loc = _with_control(full, path)
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6), encoding="utf-8")
    shown = f"{folder}/{item}.yaml:"
    field = loc_text(loc)
    if path == ("recipients", "<key>"):
        field = "recipients"                   # a key that is no document kind is refused as such

    code, out, err = _cli(capsys, scratch_config, "validate")
    ours = [line for line in out + err if shown in line]
    assert code == 1 and len(ours) == 1, ours
    line = int(ours[0].split(shown)[1].split()[0])
    assert ours[0].startswith("ERROR   ") and f"{shown}{line} {field}: " in ours[0], ours[0]
    if field != "recipients":
        assert RLO in file.read_text(encoding="utf-8").splitlines()[line - 1]
    assert RLO not in ours[0]                  # the message shows it escaped, never turns itself around
    if not loc[-1] == "[key]" and path[-1] not in ("email", "id", "council", "funder", "each_year") \
            and path[:2] != ("recipients", "<value>") and path != ("municipalities", 0, "contact"):   # an address
        assert "bidirectional control character U+202E RIGHT-TO-LEFT OVERRIDE" in ours[0]

    code, _, err = _cli(capsys, scratch_config, "render", "application", HAUG, "--year", "2015",
                        "--out", str(tmp_path / "out"))
    assert code == 1 and len(err) == 1 and err[0].startswith("error: ") and f"{shown}{line}: {field}: " in err[0], err
    assert not list(tmp_path.rglob("*.docx"))


def test_the_full_examples_are_clean(scratch_config, capsys):
    """The examples the test above breaks are valid as they stand (so the one error is the override)."""
    (scratch_config / f"projects/{HAUG}.yaml").write_text(yaml.safe_dump(FULL_PROJECT, allow_unicode=True), encoding="utf-8")
    (scratch_config / "councils/haugaland-vekst.yaml").write_text(
        yaml.safe_dump(FULL_COUNCIL, allow_unicode=True), encoding="utf-8")
    # data.ledger_code picks rows by a Prosjekt column: without one it is an error (h24-ledgercols)
    ledger = scratch_config / f"data/{HAUG}/regnskap.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines()
    ledger.write_text("\n".join([lines[0] + ";Prosjekt"] + [line + ";" + HAUG for line in lines[1:]]) + "\n",
                      encoding="utf-8")
    _, out, err = _cli(capsys, scratch_config, "validate")
    assert not [line for line in out + err if line.startswith("ERROR") and "haugaland-ve" in line
                and "budget.financing" not in line]
