"""Templates prepared once per process: trimmed by the generator, compiled once, and the reuse
never carries one document's values into the next."""

from __future__ import annotations

import zipfile
from datetime import date

from grantflow.documents import render as render_module
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, ROOT
from ..docx_text import all_text

TODAY = date(2026, 11, 24)


def test_templates_carry_no_unused_style_parts():
    templates = sorted((ROOT / "templates").glob("*.docx"))
    assert len(templates) == 5
    for path in templates:
        names = zipfile.ZipFile(path).namelist()
        assert "word/stylesWithEffects.xml" not in names and "docProps/thumbnail.jpeg" not in names, path
        styles = zipfile.ZipFile(path).read("word/styles.xml")
        assert len(styles) < 60_000, (path, len(styles))   # was 350 KB of unused styles


def test_template_compiled_once_and_values_not_shared(tmp_path, monkeypatch):
    env = render_module._RENDER_ENV
    compiled = []
    original = type(env).__mro__[1].from_string

    def counting(self, source, globals=None, template_class=None):
        compiled.append(len(source))
        return original(self, source, globals, template_class)

    monkeypatch.setattr(type(env).__mro__[1], "from_string", counting)
    env._compiled.clear()
    render_module._PATCHED.clear()
    register = open_register(CONFIG)
    first = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 11, 15),
                    out=tmp_path / "a", today=TODAY)
    after_first = len(compiled)
    second = produce(register, "status", "smart-velferdsregion-nord-gudbrandsdal", as_of=date(2020, 6, 30),
                     out=tmp_path / "b", today=TODAY)
    third = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 11, 15),
                    out=tmp_path / "c", today=TODAY)
    assert after_first > 0 and len(compiled) == after_first   # nothing compiled again
    one, two, three = (all_text(m.docx) for m in (first, second, third))
    assert "Velferdsteknologi Haugaland" in one and "Velferdsteknologi Haugaland" not in two
    assert "Smart velferdsregion Nord-Gudbrandsdal" in two and "Smart velferdsregion" not in three
    assert one == three
