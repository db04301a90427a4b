"""Shared fixtures: the demo config and a scratch copy of it to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


@pytest.fixture
def config_dir() -> Path:
    return CONFIG


@pytest.fixture
def scratch_config(tmp_path) -> Path:
    """A writable copy of config/ for tests that edit it."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
