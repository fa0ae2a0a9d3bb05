"""The ``best_duplicate`` flag of search documents: data·inclusion's ``_is_best_duplicate``."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.core.models import Base, Service, Structure
from app.search.backend import SearchUnavailable
from app.search.documents import best_duplicates, documents_from, iter_documents
from app.search.embedded import EmbeddedBackend
from app.search.query import SearchQuery
from tests.search.factory import make_doc


def test_best_of_each_cluster_by_score_then_date_then_id():
    flags = best_duplicates([
        ("alone", None, 0.1, None),
        ("k1-a", "k1", 0.6, dt.date(2024, 1, 1)), ("k1-b", "k1", 0.5, dt.date(2025, 6, 1)),  # score first
        ("k2-c", "k2", 0.7, None), ("k2-d", "k2", 0.7, "2023-01-01"),                        # dates nulls last
        ("k3-f", "k3", 0.5, "2025-01-01"), ("k3-e", "k3", 0.5, dt.date(2025, 1, 1)),          # then the id
        ("k4-g", "k4", None, "2025-01-01"), ("k4-h", "k4", 0.0, "2024-01-01"),                # no score = 0
        ("k5-only", "k5", 0.2, None),                                                        # alone in its cluster
    ])
    assert {sid for sid, best in flags.items() if best} == {"alone", "k1-a", "k2-d", "k3-e", "k4-g", "k5-only"}
    assert len(flags) == 10


def _structure(sid, cluster, score, date_maj, retired=False):
    return Structure(id=sid, source="t", nom=sid, cluster_id=cluster, score_qualite=score, date_maj=date_maj,
                     retired_at=dt.datetime(2025, 1, 1) if retired else None)


def test_documents_flag_every_service_of_the_best_live_structure():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([
            _structure("t--alone", None, 0.1, None),
            # the retired structure would win: among live ones, b does
            _structure("t--k1-a", "k1", 0.9, dt.date(2025, 1, 1), retired=True),
            _structure("t--k1-b", "k1", 0.5, dt.date(2024, 1, 1)),
            _structure("t--k1-c", "k1", 0.4, dt.date(2025, 1, 1)),
        ])
        for sid, n in (("t--alone", 2), ("t--k1-b", 2), ("t--k1-c", 1)):
            for i in range(n):
                session.add(Service(id=f"{sid}-{i}", source="t", structure_id=sid, nom=f"{sid} {i}"))
        session.commit()
        docs = {d["id"]: d["best_duplicate"] for d in iter_documents(session)}
        assert docs == {"t--alone-0": True, "t--alone-1": True, "t--k1-b-0": True, "t--k1-b-1": True,
                        "t--k1-c-0": False}
        assert {d["id"]: d["best_duplicate"] for d in documents_from(session.query(Service))} == docs


def test_an_embedded_index_of_another_schema_asks_for_a_reindex(tmp_path):
    """An index built before the flag existed cannot answer ``exclure_doublons``: 503, not a guess."""
    path = tmp_path / "index.sqlite3"
    EmbeddedBackend(path).rebuild([make_doc("a", "A")])
    assert EmbeddedBackend(path).search(SearchQuery()).total == 1
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with pytest.raises(SearchUnavailable, match="reindex"):
        EmbeddedBackend(path).search(SearchQuery())
