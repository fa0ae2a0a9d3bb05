"""The store writes prepared rows itself (driver executemany, streamed during a run).

What it writes must read back exactly like rows the ORM writes, on SQLite and PostgreSQL, and a
run must keep the incremental rules: unchanged rows untouched, vanished rows retired, returning
rows live again, the deduplication's cluster and the first sighting kept, a failed run rolled
back whole even after batches were sent.
"""
from __future__ import annotations

import datetime as dt
import gc
import json

import pytest
from sqlalchemy import select, text, update

from app.core.db import session_scope
from app.core.migrate import upgrade_database
from app.core.models import Service, Structure
from indexer import store
from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, ServiceRecord, StructureRecord, UnreadableInput
from indexer.run import RunFailed, ingest
from indexer.store import SourceWriter, Writers, upsert_source


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    from tests.postgres_server import scratch_database

    with scratch_database("store") as url:
        upgrade_database(url)
        yield url


def structure(sid: str, **more) -> dict:
    fields = {"id": sid, "source": "essai", "nom": f"Structure {sid}", "date_maj": dt.date(2026, 3, 1),
              "siret": None, "description": "Accueil « numérique » — été", "adresse": "1 rue de l'Église",
              "complement_adresse": None, "commune": "Rodez", "code_postal": "12000", "code_insee": "12202",
              "latitude": 44.35, "longitude": 2.575, "geo_precision": "source", "telephone": "+33565000000",
              "courriel": "accueil@exemple.fr", "site_web": None, "lien_source": None, "horaires_accueil": None,
              "accessibilite_lieu": None, "reseaux_porteurs": None, "score_qualite": 0.5,
              "extra": {"corrections": ["point réparé"], "n": 2}}
    fields.update(more)
    return fields


def service(vid: str, sid: str, **more) -> dict:
    fields = {"id": vid, "source": "essai", "structure_id": sid, "nom": f"Service {vid}", "description": None,
              "date_maj": dt.date(2026, 3, 2), "type": "accompagnement",
              "thematiques": ["numerique--maitriser-les-fondamentaux-du-numerique"], "frais": "gratuit",
              "frais_precisions": None, "publics": None, "publics_precisions": None, "conditions_acces": None,
              "adresse": None, "complement_adresse": None, "commune": "Rodez", "code_postal": "12000",
              "code_insee": "12202", "latitude": 44.35, "longitude": 2.575, "geo_precision": "commune",
              "telephone": None, "courriel": None, "contact_nom_prenom": None, "modes_accueil": ["en-presentiel"],
              "zone_eligibilite": ["12"], "lien_source": None, "lien_mobilisation": None,
              "modes_mobilisation": None, "mobilisable_par": None, "mobilisation_precisions": None,
              "horaires_accueil": "Mo-Fr 09:00-12:00", "volume_horaire_hebdomadaire": 3.5, "nombre_semaines": 4,
              "score_qualite": 0.75, "extra": None}
    fields.update(more)
    return fields


def stored(session, table: str, row_id: str) -> dict:
    row = session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).mappings().one()
    return {k: v for k, v in row.items() if k not in ("id", "content_hash", "first_seen", "last_seen")}


def test_rows_read_back_like_rows_the_orm_writes(database_url):
    with session_scope(database_url) as session:
        upsert_source(session, "essai", [structure("essai--a")], [service("essai--a-1", "essai--a")])
        session.add(Structure(**structure("essai--b", nom="Structure essai--a")))
        session.flush()
        session.add(Service(**service("essai--b-1", "essai--b", nom="Service essai--a-1")))
    with session_scope(database_url) as session:
        # the values as the database holds them (JSON text, dates), not only as the ORM reads them
        assert stored(session, "structures", "essai--a") == stored(session, "structures", "essai--b")
        ours, orm = stored(session, "services", "essai--a-1"), stored(session, "services", "essai--b-1")
        assert ours.pop("structure_id") == "essai--a" and orm.pop("structure_id") == "essai--b"
        assert ours == orm
        a = session.get(Service, "essai--a-1")
        assert a.thematiques == ["numerique--maitriser-les-fondamentaux-du-numerique"] and a.publics is None
        assert a.date_maj == dt.date(2026, 3, 2) and a.volume_horaire_hebdomadaire == 3.5
        assert a.structure.extra == {"corrections": ["point réparé"], "n": 2}
        assert a.structure.description == "Accueil « numérique » — été"


def write(url: str, offers: list[tuple[dict | None, list[dict]]]) -> store.StoreCounts:
    with session_scope(url) as session:
        writers = Writers.for_session(session)
        with SourceWriter(session, "essai", writers, batch=2) as writer:  # several batches
            for s_fields, services in offers:
                writer.add(s_fields and writers.structures.prepare(s_fields),
                           [writers.services.prepare(f) for f in services])
    return writer.counts


def test_a_source_is_brought_to_exactly_what_it_gives(database_url):
    a, b = structure("essai--a"), structure("essai--b")
    first = write(database_url, [
        (a, [service("essai--a-1", "essai--a"), service("essai--a-2", "essai--a")]),
        (structure("essai--a", nom="Autre nom"), []),  # a structure given twice keeps its first version
        (b, [service("essai--b-1", "essai--b", nom="Version 1")]),
        (b, [service("essai--b-1", "essai--b", nom="Version 2")]),  # a service given twice: its last
        (None, [service("essai--a-3", "essai--a")]),
    ])
    assert (first.new, first.updated, first.unchanged, first.retired) == (4, 0, 0, 0)
    with session_scope(database_url) as session:
        assert session.get(Structure, "essai--a").nom == "Structure essai--a"
        assert session.get(Service, "essai--b-1").nom == "Version 2"
        session.execute(update(Structure).where(Structure.id == "essai--a").values(cluster_id="grappe-1"))
        seen_first = session.get(Service, "essai--a-1").first_seen

    second = write(database_url, [
        (a, [service("essai--a-1", "essai--a", nom="Renommé"), service("essai--a-2", "essai--a")]),
        (b, [service("essai--b-1", "essai--b", nom="Version 2")]),
    ])  # essai--a-3 is gone
    assert (second.new, second.updated, second.unchanged, second.retired) == (0, 1, 2, 1)
    with session_scope(database_url) as session:
        renamed = session.get(Service, "essai--a-1")
        assert renamed.nom == "Renommé" and renamed.first_seen == seen_first and renamed.last_seen > seen_first
        assert session.get(Structure, "essai--a").cluster_id == "grappe-1", "the cluster survives an update"
        assert session.get(Service, "essai--a-3").retired_at is not None
        assert session.get(Service, "essai--a-2").last_seen > seen_first, "unchanged rows are seen again"

    third = write(database_url, [
        (a, [service("essai--a-1", "essai--a", nom="Renommé"), service("essai--a-2", "essai--a"),
             service("essai--a-3", "essai--a")]),
        (b, [service("essai--b-1", "essai--b", nom="Version 2")]),
    ])
    assert (third.new, third.updated, third.unchanged, third.retired) == (0, 1, 3, 0)
    with session_scope(database_url) as session:
        assert session.get(Service, "essai--a-3").retired_at is None, "a returning service is live again"
        live = session.scalars(select(Service.id).where(Service.retired_at.is_(None))).all()
        assert sorted(live) == ["essai--a-1", "essai--a-2", "essai--a-3", "essai--b-1"]


class TwoFiles(Connector):
    """Many good records in its first file; its second file is unreadable when ``broken``."""

    name = "essai-deux-fichiers"
    label = "essai"
    licence = "test"
    format = "test"
    broken = False

    def parse(self, raw: bytes):
        if raw.startswith(b"broken"):
            raise UnreadableInput("fichier illisible pour l'essai")
        version = raw.decode().strip()
        return [RawRecord(i, (i, version), None) for i in range(1, 2601)]

    def to_offer(self, record):
        i, version = record.data
        return Offer(StructureRecord(local_id=f"s{i}", nom=f"Structure {i} {version}", code_insee="12202"),
                     [ServiceRecord(local_id=f"s{i}-1", nom=f"Service {i}",
                                    thematiques=["numerique--maitriser-les-fondamentaux-du-numerique"])])


def test_a_failed_run_loses_nothing_even_after_batches_were_written(database_url, tmp_path):
    good, newer, broken = (tmp_path / "good.txt", tmp_path / "newer.txt", tmp_path / "broken.txt")
    good.write_text("v1")
    newer.write_text("v2")
    broken.write_text("broken")
    gc_was = gc.isenabled()
    with session_scope(database_url) as session:
        report = ingest(TwoFiles(), session, tmp_path / "instance", paths=[good], workers=1)
    assert report.new == 2600 and gc.isenabled() == gc_was
    with pytest.raises(RunFailed, match="illisible"):
        with session_scope(database_url) as session:
            # 2,600 changed offers are sent in batches before the second file fails
            ingest(TwoFiles(), session, tmp_path / "instance", paths=[newer, broken], workers=1)
    assert gc.isenabled() == gc_was
    with session_scope(database_url) as session:
        names = set(session.scalars(select(Structure.nom).where(Structure.source == TwoFiles.name)))
        assert len(names) == 2600 and all(name.endswith(" v1") for name in names), "the last good run is kept"
        live = session.scalars(select(Service.id).where(Service.retired_at.is_(None),
                                                        Service.source == TwoFiles.name)).all()
        assert len(live) == 2600


def test_prepared_rows_are_driver_ready_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'prepared.sqlite3'}"
    upgrade_database(url)
    with session_scope(url) as session:
        writers = Writers.for_session(session)
        rid, digest, values = writers.services.prepare(service("essai--x", "essai--s"))
    row = dict(zip(writers.services.columns, values))
    assert rid == "essai--x" and digest == store.content_hash(service("essai--x", "essai--s"))
    assert row["date_maj"] == "2026-03-02" and json.loads(row["thematiques"]) == service("x", "s")["thematiques"]
    assert row["publics"] == "null"  # JSON null, as SQLAlchemy stores a None in a JSON column
