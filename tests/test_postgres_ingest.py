"""The whole ingestion on PostgreSQL: a real bundled source, migrated database, run twice.

Each source is ingested into a fresh PostgreSQL database (``reperes_ingest_<random>``, dropped at
the end) and into a SQLite file, twice. The second run must find everything unchanged, and both
databases must hold the same rows and give the same search documents (JSON lists, dates and
floats survive the round trip alike), and duplicate clustering must find the same groups.
"""
from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import func, select

from app.core.db import session_scope
from app.core.migrate import upgrade_database
from app.core.models import QuarantinedRow, Service, SourceRun, Structure
from app.search.documents import iter_documents
from indexer.connectors import get, registry
from indexer.dedupe import cluster_structures
from indexer.run import ingest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

#: france-services is the plain case; data-inclusion has the long merged ids (> 300 characters).
PREFERRED = ("france-services", "data-inclusion")


def sources() -> list[str]:
    try:
        known = registry()
    except ImportError:  # a connector module listed but not there yet
        known = {}
    return [name for name in PREFERRED if name in known] or ["france-services"]


def ingest_twice(name: str, url: str, instance_dir) -> tuple:
    upgrade_database(url)
    with session_scope(url) as session:
        first = ingest(get(name), session, instance_dir)
    with session_scope(url) as session:
        second = ingest(get(name), session, instance_dir)
    with session_scope(url) as session:
        rules = cluster_structures(session)
    with session_scope(url) as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (Structure, Service, SourceRun, QuarantinedRow)}
        counts["services_live"] = session.scalar(
            select(func.count()).select_from(Service).where(Service.retired_at.is_(None)))
        documents = [{k: v for k, v in doc.items() if k != "cluster_id"} for doc in iter_documents(session)]
        groups = defaultdict(set)
        for sid, cluster in session.execute(select(Structure.id, Structure.cluster_id)):
            if cluster:
                groups[cluster].add(sid)
        clusters = {frozenset(members) for members in groups.values()}
    return first, second, rules, counts, documents, clusters


@pytest.mark.parametrize("name", sources())
def test_ingest_on_postgresql_matches_sqlite(name, tmp_path):
    from tests.postgres_server import scratch_database

    sqlite = ingest_twice(name, f"sqlite:///{tmp_path / 'reperes.sqlite3'}", tmp_path / "instance-sqlite")
    with scratch_database("ingest") as url:
        pg = ingest_twice(name, url, tmp_path / "instance-pg")

    (first, second, rules, counts, documents, clusters) = pg
    assert first.status == "ok" and first.new > 0, first.summary()
    assert (second.new, second.updated, second.retired) == (0, 0, 0), second.summary()
    assert second.unchanged == first.new, second.summary()
    assert second.quarantined == first.quarantined

    s_first, s_second, s_rules, s_counts, s_documents, s_clusters = sqlite
    for attr in ("read", "new", "updated", "unchanged", "retired", "quarantined"):
        assert getattr(first, attr) == getattr(s_first, attr), attr
        assert getattr(second, attr) == getattr(s_second, attr), attr
    assert counts == s_counts
    assert rules == s_rules
    assert clusters == s_clusters  # same groups (the id chosen to name a group may differ)
    assert len(documents) == len(s_documents) == counts["services_live"]
    assert [d["id"] for d in documents] == [d["id"] for d in s_documents]  # same id order
    assert documents == s_documents


# --------------------------------------------------------------------------------------------
# Values SQLite stores and PostgreSQL refuses (NUL characters, text longer than a VARCHAR):
# a record carrying one must be treated alike on both — cleaned, or quarantined — never fail
# the whole run on PostgreSQL only.
def edge_connector():
    """A source whose records hold a NUL character, an overlong unknown commune, a damaged row."""
    from indexer.connectors.base import Connector
    from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord

    class Edge(Connector):
        name = "pg-edge"
        label = "cas limites PostgreSQL"
        licence = "test"
        format = "test"

        def parse(self, raw):
            return [RawRecord(1, "nul", None), RawRecord(2, "long", None), RawRecord(3, "bad", "illisible\x00!")]

        def to_offer(self, record):
            if record.data == "bad":
                raise RecordError("enregistrement illisible")
            structure = StructureRecord(local_id=record.data, nom=f"Structure {record.data}",
                                        description="avec un \x00 au milieu" if record.data == "nul" else None,
                                        commune="Commune inconnue " * 20 if record.data == "long" else None)
            return Offer(structure, [ServiceRecord(local_id=f"{record.data}-1", nom="Atelier numérique",
                                                   thematiques=["numerique--maitriser-les-fondamentaux-du-numerique"])])

    return Edge()


def test_values_postgresql_refuses_are_handled_like_on_sqlite(tmp_path):
    from tests.postgres_server import scratch_database

    source = tmp_path / "edge.txt"
    source.write_text("edge")
    outcomes = {}
    with scratch_database("edge") as pg_url:
        for label, url in (("sqlite", f"sqlite:///{tmp_path / 'edge.sqlite3'}"), ("postgresql", pg_url)):
            upgrade_database(url)
            with session_scope(url) as session:
                report = ingest(edge_connector(), session, tmp_path / f"instance-{label}", paths=[source])
            outcomes[label] = (report.status, report.new, report.quarantined)
    assert outcomes["postgresql"] == outcomes["sqlite"]
