"""The batch flow: documents in chunks, and a failure that still names its document."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import flows.batch as batch_module
from flows.batch import MIN_CHUNK, ROUNDS, chunk_sizes, make_batch
from flows.documents import DeliveryOptions
from grantflow.documents import service
from grantflow.errors import UserError

from ..conftest import CONFIG

PROJECTS = ["haugaland-velferdsteknologi", "kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]


@given(st.integers(0, 5000), st.integers(1, 16))
def test_chunks_cover_every_document_and_stay_big_enough(count, workers):
    sizes = chunk_sizes(count, workers)
    assert sum(sizes) == count and all(s > 0 for s in sizes)
    if sizes:
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) <= max(workers * ROUNDS, 1) or count < workers
        if count >= workers * MIN_CHUNK:
            assert min(sizes) >= MIN_CHUNK          # per-task overhead spread over >= 20 documents
        else:
            assert len(sizes) == min(count, workers)   # few documents: one chunk per worker


def test_chunk_sizes_examples():
    assert chunk_sizes(1000, 2) == [125] * 8
    assert chunk_sizes(100, 2) == [25] * 4
    assert chunk_sizes(3, 2) == [2, 1]
    assert chunk_sizes(7, 1, chunk=3) == [3, 2, 2]


def test_user_error_names_its_document_and_the_rest_is_made(isolated, monkeypatch):
    real = service.prepare

    def prepare(register, kind, project, *args, **kwargs):
        if project == "kongsbergregionen-erp":
            raise UserError("milestone file unreadable", file="data/erp/milepaeler.csv", line=3)
        return real(register, kind, project, *args, **kwargs)

    monkeypatch.setattr(service, "prepare", prepare)
    result = make_batch(2, "threads")(kind="costsplit", options=DeliveryOptions(config=str(CONFIG), send=False),
                                      chunk=2)
    assert result["documents"] == 2
    (error,) = result["errors"]
    assert error["project"] == "kongsbergregionen-erp" and "milepaeler.csv:3" in error["error"]
    made = sorted(p.parent.name for p in (isolated / "outputs").rglob("costsplit-*.docx"))
    assert made == ["haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"]


def test_crash_fails_the_run_naming_the_document_after_the_rest_is_made(isolated, monkeypatch):
    real = batch_module.produce_document

    def produce(kind, project, *args, **kwargs):
        if project == "haugaland-velferdsteknologi":
            raise ZeroDivisionError("division by zero")
        return real(kind, project, *args, **kwargs)

    monkeypatch.setattr(batch_module, "produce_document", produce)
    with pytest.raises(RuntimeError, match="costsplit for haugaland-velferdsteknologi: ZeroDivisionError"):
        make_batch(1, "threads")(kind="costsplit", options=DeliveryOptions(config=str(CONFIG), send=False),
                                 chunk=3)
    made = sorted(p.parent.name for p in (isolated / "outputs").rglob("costsplit-*.docx"))
    assert made == ["kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]
