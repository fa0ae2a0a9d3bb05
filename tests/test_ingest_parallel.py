"""Normalising in worker processes gives exactly what one process gives, quarantine included."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from benchmarks.sections import synthetic_v1_bundle
from indexer import run as indexer_run
from indexer.connectors import get


@pytest.fixture(scope="module")
def damaged_bundle(tmp_path_factory):
    bundle = synthetic_v1_bundle(3000)
    services = bundle["services"]
    services[10] = "pas un objet"  # not a JSON object
    services[1500]["latitude"] = "quarante-quatre"  # unreadable point: kept at the commune's centre, noted
    services[2999]["structure_id"] = None  # no structure
    path = tmp_path_factory.mktemp("parallel") / "bundle.json"
    path.write_text(json.dumps(bundle))
    return path


def _ingest(tmp_path, path, workers):
    engine = engine_for(f"sqlite:///{tmp_path}/w{workers}.sqlite3")
    create_schema(engine)
    with Session(engine) as session:
        report = indexer_run.ingest(get("data-inclusion"), session, tmp_path, paths=[path], workers=workers)
    with Session(engine) as session:
        services = sorted((s.id, s.content_hash, s.extra and json.dumps(s.extra, sort_keys=True))
                          for s in session.scalars(select(Service)))
        structures = sorted((s.id, s.content_hash) for s in session.scalars(select(Structure)))
        quarantined = sorted((q.row_number, q.reason) for q in session.scalars(select(QuarantinedRow)))
    return report, services, structures, quarantined


def test_workers_change_nothing_but_the_time(tmp_path, damaged_bundle, monkeypatch):
    monkeypatch.setattr(indexer_run, "PARALLEL_MIN_RECORDS", 1000)
    monkeypatch.setattr(indexer_run, "PARALLEL_CHUNK", 400)  # several chunks, results in order
    alone = _ingest(tmp_path, damaged_bundle, workers=1)
    shared = _ingest(tmp_path, damaged_bundle, workers=2)
    assert (alone[0].workers, shared[0].workers) == (1, 2)
    assert alone[0].read == shared[0].read >= 3000
    assert alone[0].quarantined == shared[0].quarantined >= 2
    assert alone[1:] == shared[1:], "same services, structures and quarantine rows"
    reasons = " | ".join(r for _, r in shared[3])
    assert "objet JSON attendu" in reasons
    noted = [extra for _, _, extra in shared[1] if extra and "quarante-quatre" in extra]
    assert len(noted) == 1, "the unreadable latitude is noted on its service, not lost"
