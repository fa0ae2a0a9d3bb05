"""data·inclusion connector on the real bundled files (data/offers/data-inclusion-reunion, mednum 2022)."""
from __future__ import annotations

import collections
import json
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.db import create_schema, engine_for
from app.core.geo import geography, haversine_km
from app.core.models import STRUCTURE_FIELDS, SERVICE_FIELDS, QuarantinedRow, Service, Structure
from indexer.connectors import get
from indexer.connectors.base import OFFERS_DIR
from indexer.connectors.data_inclusion import DataInclusionConnector
from indexer.normalise import MAX_KM_FROM_COMMUNE, public_email
from indexer.run import RunFailed, ingest

REUNION = OFFERS_DIR / "data-inclusion-reunion"
STRUCTURES_2022 = OFFERS_DIR / "mednum-data-inclusion-2022" / "data-inclusion-structures-2022.json"
ID = re.compile(r"^data-inclusion--[A-Za-z0-9-]+--\S+$")
#: "Garantie Visale", the first service of the La Réunion extract (Action Logement, Saint-Denis)
VISALE = "data-inclusion--action-logement--3c3b9edd-bfcd-4bbd-ada5-45ddf2ec5425-07cd638d-725d-49e5-8338-3b5e0edd1031"


def new_session(folder: Path) -> Session:
    engine = engine_for(f"sqlite:///{folder}/reperes.sqlite3")
    create_schema(engine)
    return Session(engine)


def departement(code_insee: str | None) -> str | None:
    commune = geography().commune(code_insee) if code_insee else None
    return commune.code_departement if commune else None


def live_services(session: Session) -> list[Service]:
    query = select(Service).where(Service.source == "data-inclusion", Service.retired_at.is_(None))
    return list(session.scalars(query))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """One ingestion of the three bundled files, shared by the read-only tests."""
    folder = tmp_path_factory.mktemp("data-inclusion")
    session = new_session(folder)
    report = ingest(DataInclusionConnector(), session, instance_dir=folder)
    yield session, report
    session.close()


@pytest.fixture
def session(tmp_path):
    with new_session(tmp_path) as s:
        yield s


# -- the real files ---------------------------------------------------------------------------------
def test_declarations():
    connector = get("data-inclusion")
    assert isinstance(connector, DataInclusionConnector)
    assert connector.licence == "Licence Ouverte 2.0 (data·inclusion open data; vérifier par source)"
    assert connector.format == "json (schéma data·inclusion v1, ou extraits v0)"
    assert set(connector.leviers) <= {lv.value for lv in voc.leviers()}
    assert all(path.exists() for path in connector.default_paths())


def test_report_and_quarantine_on_the_real_files(full):
    session, report = full
    assert report.status == "ok"
    assert report.read == 276 + 2705 + 1323
    # the only unusable record: a 2022 structure named "3R" (v1 wants 3 characters at least)
    assert report.quarantined == 1
    row = session.scalars(select(QuarantinedRow).where(QuarantinedRow.source == "data-inclusion")).one()
    assert row.reason == "nom de structure absent ou trop court : '3R'"
    # 4 236: two "Habitat (des) jeunes" associations (Albi, Reims) get their FJT housing service from the name
    assert report.new == len(live_services(session)) == 4236


def test_service_counts_per_departement(full):
    session, _ = full
    by_dep = collections.Counter((departement(s.code_insee), (s.extra or {}).get("origine") or "extrait")
                                 for s in live_services(session))
    # every service of the La Réunion extract is placed in 974
    assert by_dep[("974", "extrait")] == 2705
    # the 2022 file: its digital-mediation service lists, plus services implied by the typologie
    numerique = "liste des services numériques de la structure"
    assert (by_dep[("11", numerique)], by_dep[("12", numerique)], by_dep[("81", numerique)]) == (25, 25, 24)
    # 81: Cap emploi (AIPTH), and the FJT housing of "Habitat des jeunes en Albigeois" (typologie from its name)
    assert (by_dep[("11", "typologie")], by_dep[("12", "typologie")], by_dep[("81", "typologie")]) == (14, 7, 2)
    total = collections.Counter(dep for dep, _ in by_dep.elements())
    assert {d: total[d] for d in ("11", "12", "81", "974")} == {"11": 39, "12": 32, "81": 26, "974": 2724}


def test_reunion_latitudes_are_repaired_against_the_commune_centre(full):
    session, _ = full
    geo = geography()
    reunion = [s for s in live_services(session) if departement(s.code_insee) == "974"]
    placed = [s for s in reunion if s.latitude is not None]
    assert len(placed) == len(reunion)  # the 11 without coordinates fall back to their commune centre
    for service in placed:
        commune = geo.commune(service.code_insee)
        assert service.latitude < 0, service.id
        assert haversine_km(service.latitude, service.longitude, commune.lat, commune.lon) <= MAX_KM_FROM_COMMUNE
    repaired = [s for s in reunion if s.geo_precision == "repaired"]
    assert len(repaired) == 2694
    assert all("signe de la latitude rétabli" in s.extra["corrections"] for s in repaired)


def test_ids_keep_the_upstream_source(full):
    session, _ = full
    services = live_services(session)
    assert all(ID.match(s.id) for s in services)
    assert all(ID.match(s.id) for s in session.scalars(select(Structure).where(Structure.source == "data-inclusion")))
    ids = {s.id for s in services}
    assert "data-inclusion--france-travail--REU0036-5" in ids
    assert "data-inclusion--monenfant--12531365" in ids


def test_thematiques_are_valid_v1_and_v0_themes_map_as_documented(full):
    session, _ = full
    services = live_services(session)
    assert all(set(s.thematiques or []) <= voc.THEMATIQUES for s in services)
    computer = [s for s in services
                if "numerique--prendre-en-main-un-ordinateur" in (s.extra or {}).get("thematiques_v0", [])]
    assert len(computer) == 248
    assert all("numerique--maitriser-les-fondamentaux-du-numerique" in s.thematiques for s in computer)
    # the v0 category "mobilite" becomes every mobility sub-theme
    mobilite = [s for s in services if "mobilite" in (s.extra or {}).get("thematiques_v0", [])]
    assert all({t for t in voc.THEMATIQUES if t.startswith("mobilite--")} <= set(s.thematiques) for s in mobilite)
    # publics and frais are v1 values
    assert all(set(s.publics or []) <= voc.PUBLICS and s.frais in (None, *voc.FRAIS) for s in services)


def test_reunion_fields(full):
    session, _ = full
    services = {s.id: s for s in live_services(session)}
    visale = services[VISALE]
    assert visale.nom == "Garantie Visale" and visale.frais == "gratuit"
    assert visale.publics == ["actifs", "jeunes"]  # salaries, jeunes; "locataires" is a condition in v1
    assert visale.conditions_acces == "Le bénéficiaire doit être locataire."
    assert visale.modes_accueil == ["a-distance", "en-presentiel"]
    assert visale.structure.nom == "AGENCE ACTION LOGEMENT"
    # fredo services serve the whole département (upstream practice); the other rows lost their zone:
    # those offered at a distance are limited to La Réunion (else eligible all over France), not the others
    fredo = [s for s in services.values() if (s.extra or {}).get("source_amont") == "fredo"]
    assert len(fredo) == 1340 and all(s.zone_eligibilite == ["974"] for s in fredo)
    others = [s for s in services.values() if (s.extra or {}).get("source_amont") in {"dora", "monenfant", "france-travail"}]
    remote = [s for s in others if "a-distance" in (s.modes_accueil or [])]
    assert remote and all(s.zone_eligibilite == ["974"] for s in remote)
    assert all(s.zone_eligibilite is None for s in others if s not in remote)
    assert visale.zone_eligibilite == ["974"]


def test_structures_from_the_structures_file_or_built_from_the_service(full):
    session, _ = full
    structures = {s.id: s for s in session.scalars(select(Structure).where(Structure.source == "data-inclusion"))}
    ml = structures["data-inclusion--dora--06c8c752-ebd2-40be-8ebd-f03a77ea262c"]
    assert ml.nom == "MISSION LOCALE NORD Antenne Sainte-Marie" and ml.reseaux_porteurs == ["mission-locale"]
    # a fredo structure absent from structures.json: built at its service's place, flagged as such
    built = [s for s in structures.values() if (s.extra or {}).get("nom_construit")]
    assert built and all(s.nom.startswith("Structure ") for s in built)
    # a crèche of monenfant is its own structure, named after it
    creche = structures["data-inclusion--monenfant--12531365"]
    assert creche.nom == 'Crèche "L\'Arche de Noé' and not (creche.extra or {}).get("nom_construit")


def test_structures_2022(full):
    session, _ = full
    services = {s.id: s for s in live_services(session)}
    structures = {s.id: s for s in session.scalars(select(Structure).where(Structure.source == "data-inclusion"))}
    ccas = [s for s in services.values() if s.code_insee == "11262" and (s.extra or {}).get("typologie") == "CCAS"]
    assert {s.nom for s in ccas} == {"Accompagnement dans l'accès aux droits", "Aides sociales facultatives"}
    assert all(s.zone_eligibilite == ["11262"] for s in ccas)
    assert all("à confirmer auprès de la structure" in s.description for s in ccas)
    # a typologie stated only by the name: Mission locale de Millau, declared "ASSO"
    millau = next(s for s in structures.values() if s.nom.startswith("MISSION LOCALE EMPLOI INSERTION AVEYRON"))
    assert millau.extra["typologie"] == "ASSO" and millau.extra["typologie_deduite_du_nom"] == "ML"
    assert millau.reseaux_porteurs == ["mission-locale"]
    assert {s.nom for s in millau.services} == {"Médiation numérique",
                                                 "Accompagnement des jeunes vers l'emploi et la formation"}
    numerique = next(s for s in millau.services if s.nom == "Médiation numérique")
    categories = {"numerique", "difficultes-administratives-ou-juridiques", "preparer-sa-candidature", "sante",
                  "creer-une-entreprise"}
    assert numerique.thematiques and all(t.split("--")[0] in categories for t in numerique.thematiques)
    # no personal e-mail survives (the bundled copy is filtered, and ingestion filters again)
    assert all(public_email(s.courriel) == s.courriel for s in structures.values() if s.courriel)


def test_the_2025_extract_wins_over_the_2022_file(full):
    session, _ = full
    # WEBCUP CAMPUS SAINT-DENIS is in both: its structure comes from La Réunion, no 2022 service is added
    structure = session.get(Structure, "data-inclusion--dora--0154f912-8aeb-4b74-9f7e-3905c25c1d78")
    assert structure is not None and (structure.extra or {}).get("extrait") is None
    assert not [s for s in structure.services if (s.extra or {}).get("origine")]


# -- damaged inputs and incremental runs -----------------------------------------------------------
def reunion_copy(tmp_path: Path, change) -> Path:
    rows = json.loads((REUNION / "services.json").read_text(encoding="utf-8"))
    rows = change(rows)
    path = tmp_path / "services.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def test_unreadable_latitude_falls_back_to_the_commune_centre(session, tmp_path):
    def damage(rows):
        rows[0]["Lat"] = "abc"  # Garantie Visale, Saint-Denis (97411)
        rows[1]["Lat"], rows[1]["Code Insee"], rows[1]["Code Postal"], rows[1]["Commune"] = "abc", "", "", ""
        return rows

    path = reunion_copy(tmp_path, damage)
    report = ingest(DataInclusionConnector(), session, instance_dir=tmp_path, paths=[REUNION / "structures.json", path])
    service = session.get(Service, VISALE)
    commune = geography().commune("97411")
    assert service.geo_precision == "commune"
    assert (service.latitude, service.longitude) == (commune.lat, commune.lon)
    assert service.extra["corrections"] == ["Lat illisible : 'abc' : point ignoré, centre de la commune utilisé"]
    # without any commune, the record cannot be placed at all: quarantined
    assert report.quarantined == 1
    row = session.scalars(select(QuarantinedRow).where(QuarantinedRow.run_id == report.run_id)).one()
    assert row.reason == "Lat illisible : 'abc', et aucune commune pour situer l'enregistrement"
    assert row.row_number == 2 and '"Lat": "abc"' in row.raw


def test_a_record_without_name_is_quarantined(session, tmp_path):
    def damage(rows):
        rows[5]["Nom"] = " "
        return rows

    report = ingest(DataInclusionConnector(), session, instance_dir=tmp_path,
                    paths=[REUNION / "structures.json", reunion_copy(tmp_path, damage)])
    assert report.quarantined == 1 and report.reasons == {"nom manquant": 1}
    assert report.new == 2704


@pytest.mark.parametrize("payload", [
    b"", b"   \n", bytes(random.Random(7).getrandbits(8) for _ in range(4096)),
    b'{"foo": 1}', b"[]", b'[{"a": 1}, {"b": 2}]', "<html>pas du JSON</html>".encode(),
])
def test_an_unreadable_file_fails_the_run_and_keeps_the_offers(full, tmp_path, payload):
    session, first = full
    broken = tmp_path / "broken.json"
    broken.write_bytes(payload)
    with pytest.raises(RunFailed):
        ingest(DataInclusionConnector(), session, instance_dir=tmp_path,
               paths=[broken, *DataInclusionConnector().default_paths()])
    assert len(live_services(session)) == first.new == 4236  # nothing retired


def test_a_second_run_changes_nothing(full, tmp_path):
    session, first = full
    second = ingest(DataInclusionConnector(), session, instance_dir=tmp_path)
    assert (second.new, second.updated, second.unchanged, second.retired) == (0, 0, first.new, 0)


def test_a_record_gone_from_the_source_is_retired(session, tmp_path):
    connector = DataInclusionConnector()
    first = ingest(connector, session, instance_dir=tmp_path,
                   paths=[REUNION / "structures.json", REUNION / "services.json"])
    copy = reunion_copy(tmp_path, lambda rows: rows[1:])
    report = ingest(connector, session, instance_dir=tmp_path, paths=[REUNION / "structures.json", copy])
    assert (report.new, report.updated, report.unchanged, report.retired) == (0, 0, first.new - 1, 1)
    gone = session.get(Service, VISALE)
    assert gone.retired_at is not None


# -- v1 flavours (real records re-exported in the v1 shape) ---------------------------------------------
def v1_export(full_session: Session, count: int = 30) -> tuple[list[dict], list[dict]]:
    """Real Réunion records as data·inclusion v1 would publish them (ids `<source>--<id>`)."""
    services = sorted(live_services(full_session), key=lambda s: s.id)[:count]
    structures = {s.structure.id: s.structure for s in services}

    def upstream(row, fields):
        out = {f: getattr(row, f) for f in fields if f not in {"score_qualite"}}
        source = (row.extra or {}).get("source_amont")
        out["id"] = row.id.removeprefix("data-inclusion--")
        out["source"] = source
        out["date_maj"] = out["date_maj"].isoformat() if out.get("date_maj") else "2025-01-21"
        if "structure_id" in out:
            out["structure_id"] = out["structure_id"].removeprefix("data-inclusion--")
        return out

    return ([upstream(s, STRUCTURE_FIELDS) for s in structures.values()],
            [upstream(s, SERVICE_FIELDS) for s in services])


@pytest.mark.parametrize("shape", ["bundle", "items", "services+structures"])
def test_v1_shapes_map_one_to_one(full, tmp_path, shape):
    structures, services = v1_export(full[0])
    if shape == "bundle":
        files = {"export.json": {"structures": structures, "services": services}}
    elif shape == "items":
        by_id = {s["id"]: s for s in structures}
        files = {"search.json": {"items": [{"service": {**sv, "structure": by_id[sv["structure_id"]]}, "distance": 3}
                                           for sv in services], "total": len(services)}}
    else:
        files = {"structures.json": structures, "services.json": services}
    paths = []
    for name, content in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(json.dumps(content, ensure_ascii=False, default=str), encoding="utf-8")
    with new_session(tmp_path) as session:
        report = ingest(DataInclusionConnector(), session, instance_dir=tmp_path, paths=paths)
        assert report.quarantined == 0 and report.new == len(services)
        original = {s.id: s for s in live_services(full[0])}
        for service in live_services(session):
            before = original[service.id]  # same id: upstream "<source>--<id>" kept after our prefix
            assert service.structure_id == before.structure_id
            assert (service.nom, service.thematiques, service.publics, service.frais, service.code_insee) == (
                before.nom, before.thematiques, before.publics, before.frais, before.code_insee)
            assert abs(service.latitude - before.latitude) < 1e-9
            assert service.structure.nom == before.structure.nom
