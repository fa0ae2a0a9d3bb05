"""HSDS 3.0: export of real ingested records, import of the export (round trip), import variants."""
from __future__ import annotations

import json

import pytest
from opening_hours import OpeningHours
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors.aides_jeunes import AidesJeunesConnector
from indexer.connectors.base import OFFERS_DIR
from indexer.connectors.hsds import HsdsConnector
from indexer.connectors.lheo import LheoConnector
from indexer.connectors.soliguide import SoliguideConnector
from indexer.exporters.hsds import (
    RESOURCES, build_package, export_hsds, hsds_id, osm_to_weekly, weekly_to_osm, write_package,
)
from indexer.run import RunFailed, ingest

EXAMPLE = OFFERS_DIR / "hsds" / "reperes-hsds-exemple.json"


def _engine(path):
    engine = engine_for(f"sqlite:///{path}")
    create_schema(engine)
    return engine


@pytest.fixture(scope="module")
def source_db(tmp_path_factory):
    """LHEO, aides-jeunes and Soliguide (for opening hours) ingested once for the module."""
    tmp = tmp_path_factory.mktemp("hsds-source")
    engine = _engine(tmp / "source.sqlite3")
    for connector in (LheoConnector(), AidesJeunesConnector(), SoliguideConnector()):
        with Session(engine) as s:
            ingest(connector, s, instance_dir=tmp)
    return engine


@pytest.fixture(scope="module")
def round_trip(source_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hsds-import")
    with Session(source_db) as s:
        package = export_hsds(s)
    path = write_package(package, tmp / "export.json")
    engine = _engine(tmp / "import.sqlite3")
    with Session(engine) as s:
        report = ingest(HsdsConnector(), s, instance_dir=tmp, paths=[path])
    return package, report, engine


def _table(package: dict, name: str) -> list[dict]:
    return next(r["data"] for r in package["resources"] if r["name"] == name)


def test_export_is_an_hsds_tabular_package(round_trip, source_db):
    package, _, _ = round_trip
    assert package["profile"] == "tabular-data-package" and package["hsds_version"] == "3.0"
    assert [r["name"] for r in package["resources"]] == list(RESOURCES)
    with Session(source_db) as s:
        n_services = len(s.scalars(select(Service)).all())
    assert len(_table(package, "service")) == n_services
    for org in _table(package, "organization"):
        assert org["id"] and org["name"] and org["description"]  # HSDS required fields
    for sv in _table(package, "service"):
        assert sv["status"] == "active" and sv["organization_id"]
    for addr in _table(package, "address"):
        assert {"address_1", "city", "state_province", "postal_code", "country", "address_type"} <= set(addr)
    taxonomies = {t["name"] for t in _table(package, "taxonomy")}
    assert "data·inclusion — thématiques (schéma v1)" in taxonomies
    terms = {t["code"]: t for t in _table(package, "taxonomy_term")}
    permis = terms["mobilite--preparer-un-permis"]
    assert permis["parent_id"] == terms["mobilite"]["id"]
    schedules = _table(package, "schedule")
    weekly = [sc for sc in schedules if sc.get("freq") == "WEEKLY"]
    assert weekly and all(sc["opens_at"] and sc["closes_at"] and sc["byday"] for sc in weekly)


def test_round_trip_keeps_names_places_and_themes(round_trip, source_db):
    _, report, engine = round_trip
    assert report.status == "ok" and report.quarantined == 0
    with Session(source_db) as s1, Session(engine) as s2:
        originals = s1.scalars(select(Service)).all()
        imported = {sv.id: sv for sv in s2.scalars(select(Service))}
        assert len(imported) == len(originals)
        for sv in originals:
            copy = imported[f"hsds--{hsds_id('service', sv.id)}"]
            assert copy.nom == sv.nom
            assert copy.structure.nom == sv.structure.nom
            assert copy.code_insee == sv.code_insee, sv.id
            assert copy.adresse == sv.adresse and copy.code_postal == sv.code_postal, sv.id
            if sv.latitude is not None and sv.geo_precision != "commune":
                assert abs(copy.latitude - sv.latitude) < 1e-6 and abs(copy.longitude - sv.longitude) < 1e-6
            assert sorted(copy.thematiques or []) == sorted(sv.thematiques or []), sv.id
            assert sorted(copy.publics or []) == sorted(sv.publics or [])
            assert copy.type == sv.type and copy.frais == sv.frais
            assert sorted(copy.zone_eligibilite or []) == sorted(sv.zone_eligibilite or [])
            assert set(copy.modes_accueil or []) == set(sv.modes_accueil or []), sv.id
            assert copy.horaires_accueil == sv.horaires_accueil, sv.id


def test_round_trip_real_records(round_trip):
    _, _, engine = round_trip
    with Session(engine) as s:
        carcassonne = s.get(Service, f"hsds--{hsds_id('service', 'aides-jeunes--carcassonne_aide_permis')}")
        assert carcassonne.nom == "Aide communale au permis de conduire"
        assert carcassonne.zone_eligibilite == ["11069"] and carcassonne.code_insee == "11069"
        assert carcassonne.lien_mobilisation == "https://www.carcassonne.org/article-page/bourse-au-permis-0"
        paysan = s.get(Service, f"hsds--{hsds_id('service', 'lheo--04_A815385--04_74056')}")
        assert paysan.code_insee == "61196" and paysan.adresse == "La Grande Suardière"
        assert paysan.structure.commune == "Millau" and paysan.structure.siret == "79932975000035"
        shelter = s.get(Service, f"hsds--{hsds_id('service', 'soliguide--3--62221eb15fe7a848e82a9229')}")
        assert shelter.horaires_accueil == "Mo 08:00-17:00"
        OpeningHours(shelter.horaires_accueil)


def test_bundled_example_is_our_real_export(tmp_path):
    package = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    names = {sv["name"] for sv in _table(package, "service")}
    assert "Aide communale au permis de conduire" in names
    assert "Titre professionnel plaquiste" in names
    engine = _engine(tmp_path / "t.sqlite3")
    with Session(engine) as s:
        report = ingest(HsdsConnector(), s, instance_dir=tmp_path, paths=[EXAMPLE])
        assert report.status == "ok" and report.quarantined == 0
        assert report.new == len(_table(package, "service"))
        ids = {st.nom for st in s.scalars(select(Structure))}
        assert "Ville de Carcassonne" in ids and "Savoir Faire et Découverte (Siège)" in ids


def test_nested_canonical_json_is_read(tmp_path):
    """The same services as HSDS's canonical nested JSON (service objects embedding the rest)."""
    package = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    t = {r["name"]: r["data"] for r in package["resources"]}
    orgs = {o["id"]: o for o in t["organization"]}
    locs = {loc["id"]: dict(loc, addresses=[a for a in t["address"] if a["location_id"] == loc["id"]])
            for loc in t["location"]}
    terms = {term["id"]: term for term in t["taxonomy_term"]}
    nested = []
    for sv in t["service"]:
        nested.append(dict(
            sv, organization=orgs[sv["organization_id"]],
            service_at_locations=[{"id": sal["id"], "location": locs[sal["location_id"]]}
                                  for sal in t["service_at_location"] if sal["service_id"] == sv["id"]],
            attributes=[dict(a, taxonomy_term=terms[a["taxonomy_term_id"]]) for a in t["attribute"]
                        if a["link_id"] == sv["id"]],
            service_areas=[a for a in t["service_area"] if a["service_id"] == sv["id"]]))
    path = tmp_path / "nested.json"
    path.write_text(json.dumps({"contents": nested, "total_items": len(nested)}, ensure_ascii=False), encoding="utf-8")
    engine = _engine(tmp_path / "t.sqlite3")
    with Session(engine) as s:
        report = ingest(HsdsConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.new == len(nested) and report.quarantined == 0
        sv = s.get(Service, f"hsds--{hsds_id('service', 'aides-jeunes--carcassonne_aide_permis')}")
        assert sv.zone_eligibilite == ["11069"] and "mobilite--preparer-un-permis" in sv.thematiques


def test_service_of_unknown_organization_is_quarantined(tmp_path):
    package = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    services = _table(package, "service")
    services[0]["organization_id"] = "00000000-0000-0000-0000-000000000000"
    services[1].pop("name")
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    engine = _engine(tmp_path / "t.sqlite3")
    with Session(engine) as s:
        report = ingest(HsdsConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.quarantined == 2 and report.new == len(services) - 2
        reasons = sorted(r.reason for r in s.scalars(select(QuarantinedRow)))
        assert any("organisation inconnue" in r for r in reasons) and any("sans nom" in r for r in reasons)


@pytest.mark.parametrize("payload, message", [
    (None, "JSON illisible"),
    (b"", "fichier vide"),
    (bytes(range(256)) * 8, "binaire"),
    (b'{"resources": [{"name": "people", "data": []}]}', "pas un jeu HSDS"),
])
def test_unreadable_inputs_fail_the_run(tmp_path, payload, message):
    path = tmp_path / "in.json"
    path.write_bytes(payload if payload is not None else EXAMPLE.read_bytes()[:30000])
    engine = _engine(tmp_path / "t.sqlite3")
    with Session(engine) as s:
        with pytest.raises(RunFailed, match=message):
            ingest(HsdsConnector(), s, instance_dir=tmp_path, paths=[path])


def test_osm_weekly_subset_both_ways():
    osm = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"
    rows = osm_to_weekly(osm)
    assert (["Mo", "Tu", "We", "Th", "Fr"], "09:00", "12:00") in rows
    assert weekly_to_osm(rows) == osm
    assert osm_to_weekly("24/7") == [(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"], "00:00", "24:00")]
    assert osm_to_weekly('off "fermeture temporaire"') is None
    assert osm_to_weekly("Mo-Fr 09:00-12:00; PH off") == [(["Mo", "Tu", "We", "Th", "Fr"], "09:00", "12:00")]


def test_build_package_without_place_or_hours(source_db):
    with Session(source_db) as s:
        national = s.get(Service, "aides-jeunes--caf-aveyron-aide-bafa-approfondissement")
        package = build_package([national])
    assert _table(package, "address") == []
    locations = _table(package, "location")
    assert [loc["location_type"] for loc in locations] == ["virtual"]
    assert [a["name"] for a in _table(package, "service_area")] == ["12"]
