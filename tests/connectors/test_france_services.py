"""France Services connector on the real bundled list (data/offers/france-services/liste-fs-20240801.csv)."""
from __future__ import annotations

import collections
import csv
import io
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.db import create_schema, engine_for
from app.core.geo import geography
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors import get
from indexer.connectors.france_services import THEMATIQUES, FranceServicesConnector, day_ranges, opening_hours
from indexer.normalise import public_email
from indexer.run import RunFailed, ingest

CSV = FranceServicesConnector().default_paths()[0]
DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
RULE = rf"{DAY}(?:[-,]{DAY})* \d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*"
OSM = re.compile(rf"^{RULE}(?:; {RULE})*$")


def new_session(folder: Path) -> Session:
    engine = engine_for(f"sqlite:///{folder}/reperes.sqlite3")
    create_schema(engine)
    return Session(engine)


def departement(code_insee: str | None) -> str | None:
    commune = geography().commune(code_insee) if code_insee else None
    return commune.code_departement if commune else None


def live_services(session: Session) -> list[Service]:
    query = select(Service).where(Service.source == "france-services", Service.retired_at.is_(None))
    return list(session.scalars(query))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    folder = tmp_path_factory.mktemp("france-services")
    session = new_session(folder)
    report = ingest(FranceServicesConnector(), session, instance_dir=folder)
    yield session, report
    session.close()


@pytest.fixture
def session(tmp_path):
    with new_session(tmp_path) as s:
        yield s


# -- the real file ------------------------------------------------------------------------------------
def test_declarations():
    connector = get("france-services")
    assert isinstance(connector, FranceServicesConnector)
    assert (connector.licence, connector.format) == ("Licence Ouverte 2.0 (ANCT)", "csv")
    assert set(connector.leviers) <= {lv.value for lv in voc.leviers()}


def test_one_structure_and_one_service_per_row(full):
    session, report = full
    assert report.status == "ok" and report.read == 2845 and report.quarantined == 0
    assert report.new == len(live_services(session)) == 2845
    counts = collections.Counter(departement(s.code_insee) for s in live_services(session))
    assert {d: counts[d] for d in ("11", "12", "81", "974")} == {"11": 25, "12": 37, "81": 26, "974": 29}
    # Saint-Martin (COM, 97801) is outside the COG communes: kept, without a commune code
    assert counts[None] == 2


def test_service_fields(full):
    session, _ = full
    service = session.get(Service, "france-services--1--demarches")
    assert service.nom == "Accompagnement aux démarches administratives — France Services"
    assert service.thematiques == sorted(THEMATIQUES) and set(service.thematiques) <= voc.THEMATIQUES
    assert (service.publics, service.frais, service.type) == (["tous-publics"], "gratuit", "accompagnement")
    assert service.modes_accueil == ["en-presentiel"]
    assert service.modes_mobilisation == ["se-presenter", "telephoner"]
    assert service.mobilisable_par == ["professionnels", "usagers"]
    assert "France Travail" in service.description and "La Poste" in service.description
    structure = service.structure
    assert structure.nom == "France services de Valserhône" and structure.code_insee == "01033"
    assert structure.telephone == "+33450568749" and structure.courriel == "franceservices@ccpb01.fr"
    assert (round(structure.latitude, 4), round(structure.longitude, 4)) == (46.1061, 5.826)  # decimal point
    assert structure.reseaux_porteurs == ["france-service"]
    assert structure.horaires_accueil == "Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00"
    assert session.get(Structure, "france-services--2").reseaux_porteurs == ["france-service", "la-poste"]


def test_aveyron_opening_hours_in_osm_syntax(full):
    session, _ = full
    aveyron = [s for s in live_services(session) if departement(s.code_insee) == "12"]
    assert len(aveyron) == 37
    with_hours = [s for s in aveyron if s.horaires_accueil]
    assert len(with_hours) >= 30
    assert all(OSM.match(s.horaires_accueil) for s in with_hours), [s.horaires_accueil for s in with_hours]


def test_opening_hours_conversion():
    assert opening_hours({"h_lundi": "08:30 - 12:00 / 13:30 - 17:00"}) == ("Mo 08:30-12:00,13:30-17:00", None)
    same = "09:00 - 12:00 / 14:00 - 17:00"
    row = {"h_lundi": same, "h_mardi": same, "h_mercredi": same, "h_jeudi": "09:00 - 12:00", "h_vendredi": same,
           "h_samedi": ""}
    assert opening_hours(row) == ("Mo-We,Fr 09:00-12:00,14:00-17:00; Th 09:00-12:00", None)
    assert day_ranges("9h-12h30 et 14h00 - 17h") == "09:00-12:30,14:00-17:00"
    assert day_ranges("12:00 - 09:00") is None and day_ranges("sur rendez-vous") is None
    # unreadable: no OSM value, the raw texts are kept
    assert opening_hours({"h_lundi": "Sur rendez-vous", "h_mardi": "09:00 - 12:00"}) == (
        None, "Lundi : Sur rendez-vous ; Mardi : 09:00 - 12:00")
    assert opening_hours({}) == (None, None)


def test_itinerant_sites_say_so(full):
    session, _ = full
    itinerant = [s for s in live_services(session) if (s.extra or {}).get("itinerant")]
    assert len(itinerant) == 29 + 134  # format_fs "Itinérante" and "Bus_équivalent"
    assert all("itinérante" in s.description for s in itinerant)
    assert all(s.extra["format_fs"] in {"Itinérante", "Bus_équivalent"} for s in itinerant)


def test_contacts_are_the_sites_own(full):
    session, _ = full
    structures = list(session.scalars(select(Structure).where(Structure.source == "france-services")))
    assert sum(1 for s in structures if s.courriel) >= 2700
    assert all(public_email(s.courriel) == s.courriel for s in structures if s.courriel)
    # a cell that listed three addresses keeps the shared one only (the copy dropped the two personal ones)
    assert any(s.courriel == "mairie@dourgne.fr" for s in structures)


def test_far_points_fall_back_to_the_commune_centre(full):
    session, _ = full
    # only in French Guiana, whose communes are larger than the 45 km the check allows
    far = [s for s in live_services(session) if s.geo_precision == "commune"]
    assert len(far) == 4 and {departement(s.code_insee) for s in far} == {"973"}


# -- damaged inputs and incremental runs ---------------------------------------------------------------
def test_a_cut_row_is_quarantined_and_the_others_ingested(session, tmp_path):
    lines = CSV.read_text(encoding="utf-8").split("\n")
    assert lines[1].startswith('"1","01","France services de Valserhône"')
    lines[1] = ",".join(lines[1].split(",")[:10])
    damaged = tmp_path / "liste-fs.csv"
    damaged.write_text("\n".join(lines), encoding="utf-8")
    report = ingest(FranceServicesConnector(), session, instance_dir=tmp_path, paths=[damaged])
    assert (report.read, report.quarantined, report.new) == (2845, 1, 2844)
    row = session.scalars(select(QuarantinedRow).where(QuarantinedRow.run_id == report.run_id)).one()
    assert row.reason == "ligne de 10 colonnes, l'en-tête en a 24"
    assert row.row_number == 2 and row.raw.startswith("1,01,France services de Valserhône")
    assert session.get(Service, "france-services--1--demarches") is None


def test_latin1_copy_reads_the_same(session, tmp_path):
    text = CSV.read_text(encoding="utf-8")
    # Latin-1 has no curly apostrophe, en dash or œ: write them as a Latin-1 producer would
    latin1 = tmp_path / "liste-fs-latin1.csv"
    latin1.write_bytes(text.replace("’", "'").replace("–", "-").replace("œ", "oe").encode("latin-1"))
    report = ingest(FranceServicesConnector(), session, instance_dir=tmp_path, paths=[latin1])
    assert (report.new, report.quarantined) == (2845, 0)
    assert session.get(Structure, "france-services--1").nom == "France services de Valserhône"
    names = {s.nom for s in session.scalars(select(Structure).where(Structure.source == "france-services"))}
    expected = {re.sub(r"\s+", " ", row["lib_fs"]).strip().replace("’", "'").replace("–", "-").replace("œ", "oe")
                for row in csv.DictReader(io.StringIO(text))}
    assert names == expected
    assert sum(1 for n in names if re.search("[éèêàçôÉ]", n)) > 300  # accents intact, no mojibake


@pytest.mark.parametrize("payload", [b"", bytes(random.Random(3).getrandbits(8) for _ in range(8192)),
                                     b"id;nom\n1;Rien\n", "une seule colonne\nsans séparateur\n".encode()])
def test_an_unreadable_file_fails_the_run_and_keeps_the_offers(full, tmp_path, payload):
    session, first = full
    broken = tmp_path / "liste-fs.csv"
    broken.write_bytes(payload)
    with pytest.raises(RunFailed):
        ingest(FranceServicesConnector(), session, instance_dir=tmp_path, paths=[broken])
    assert len(live_services(session)) == first.new == 2845


def test_a_second_run_changes_nothing(full, tmp_path):
    session, first = full
    second = ingest(FranceServicesConnector(), session, instance_dir=tmp_path)
    assert (second.new, second.updated, second.unchanged, second.retired) == (0, 0, 2845, 0)


def test_a_row_gone_from_the_source_is_retired(session, tmp_path):
    ingest(FranceServicesConnector(), session, instance_dir=tmp_path)
    lines = CSV.read_text(encoding="utf-8").split("\n")
    copy = tmp_path / "liste-fs.csv"
    copy.write_text("\n".join([lines[0], *lines[2:]]), encoding="utf-8")  # row id_fs 1 removed
    report = ingest(FranceServicesConnector(), session, instance_dir=tmp_path, paths=[copy])
    assert (report.new, report.updated, report.unchanged, report.retired) == (0, 0, 2844, 1)
    assert session.get(Service, "france-services--1--demarches").retired_at is not None
