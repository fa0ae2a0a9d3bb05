"""Soliguide connector on the bundled Soliguide TEST database (test place names, real-looking addresses)."""
from __future__ import annotations

import json
import re

import pytest
from opening_hours import OpeningHours
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors.base import OFFERS_DIR
from indexer.connectors.soliguide import CATEGORIES_FILE, SoliguideConnector, soliguide_hours_to_osm
from indexer.run import RunFailed, ingest

FILE = OFFERS_DIR / "soliguide" / "soliguide_db_test-lieux.json"


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/t.sqlite3")
    create_schema(engine)
    return engine


@pytest.fixture
def ingested(engine, tmp_path):
    with Session(engine) as s:
        return ingest(SoliguideConnector(), s, instance_dir=tmp_path)


def test_online_places_only(ingested, engine):
    assert ingested.status == "ok" and ingested.quarantined == 0
    assert ingested.read == 142
    with Session(engine) as s:
        structures = list(s.scalars(select(Structure)))
        services = list(s.scalars(select(Service)))
    assert len(structures) == 29 and len(services) == 32
    names = {st.nom for st in structures}
    assert "LIEU_BROUILLON" not in names and "LIEU_FERME_DEFINITIVEMENT" not in names  # draft, closed
    assert all(st.extra["jeu_de_test"] for st in structures)


def test_emergency_shelter_with_osm_hours(ingested, engine):
    with Session(engine) as s:
        sv = s.get(Service, "soliguide--3--62221eb15fe7a848e82a9229")  # LIEU_RESERVE_AUX_PROS, Bobigny
        assert sv.nom == "Hébergement d'urgence"
        assert sv.type == "aide-materielle"
        assert sv.thematiques == ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"]
        assert sv.horaires_accueil == "Mo 08:00-17:00"
        OpeningHours(sv.horaires_accueil)  # the real OSM parser accepts it
        assert sv.commune == "Bobigny" and sv.code_postal == "93000" and sv.code_insee == "93008"
        assert sv.zone_eligibilite == ["93"]
        assert sv.publics == ["tous-publics"] and sv.frais == "gratuit"
        assert sv.mobilisable_par == ["professionnels"]  # a place shown to professionals only
        assert sv.modes_accueil == ["en-presentiel"]
        assert sv.extra["hebergement_urgence"] is True
        assert sv.extra["categorie_soliguide"] == "emergency_accommodation"
        assert "dormir" in sv.extra["mots_cles"]
        assert sv.lien_source.startswith("https://soliguide.fr/fr/fiche/")


def test_publics_modalities_and_closures(ingested, engine):
    with Session(engine) as s:
        exclusive = s.scalars(select(Service).where(Service.structure_id == "soliguide--10")).one()
        assert exclusive.publics == ["femmes"]
        assert exclusive.publics_precisions.startswith("Accueil exclusif : femmes")
        assert "De 24 à 64 ans." in exclusive.publics_precisions
        orientation = s.scalars(select(Service).where(Service.structure_id == "soliguide--14")).one()
        assert orientation.mobilisable_par == ["professionnels"]
        assert "Sur orientation" in orientation.conditions_acces
        paid = s.scalars(select(Service).where(Service.structure_id == "soliguide--16")).one()
        assert paid.frais == "payant" and "Sur rendez-vous." in paid.conditions_acces
        closed = s.scalars(select(Service).where(Service.structure_id == "soliguide--6")).one()
        assert closed.horaires_accueil == 'off "fermeture temporaire"'
        OpeningHours(closed.horaires_accueil)
        multi = s.scalars(select(Service).where(Service.structure_id == "soliguide--23")).all()
        assert {sv.nom for sv in multi} == {"Hébergement d'urgence", "Distribution de repas",
                                             "Activités sportives : Football", "Distribution de repas : gouter"}
        every = s.scalars(select(Service)).all()
        for sv in every:
            if sv.horaires_accueil:
                OpeningHours(sv.horaires_accueil)


def test_no_personal_phone_or_mail():
    data = json.loads(FILE.read_text(encoding="utf-8"))
    for lieu in data:
        for phone in lieu["entity"].get("phones") or []:
            assert not re.match(r"^0[67]", phone["phoneNumber"].replace(" ", "")), lieu["name"]
    text = FILE.read_text(encoding="utf-8")
    assert not re.findall(r"[a-z]+\.[a-z]+@", text)


def test_mobile_numbers_are_dropped_at_ingestion(tmp_path, engine):
    data = json.loads(FILE.read_text(encoding="utf-8"))
    lieu = next(x for x in data if x["lieu_id"] == 3)
    lieu["entity"]["phones"] = [{"label": "", "phoneNumber": "06 12 34 56 78"},
                                {"label": "Accueil", "phoneNumber": "01 48 95 00 00"}]
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps([lieu], ensure_ascii=False), encoding="utf-8")
    with Session(engine) as s:
        ingest(SoliguideConnector(), s, instance_dir=tmp_path, paths=[path])
        st = s.get(Structure, "soliguide--3")
        assert st.telephone == "+33148950000"
        assert "mobile" in st.extra["notes"][0]


def test_hours_converter():
    def day(open_, *slots):
        return {"open": open_, "timeslot": [{"start": a, "end": b} for a, b in slots]}
    week = {d: day(True, (930, 1200), (1400, 1730)) for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    week |= {"saturday": day(True, (900, 1200)), "sunday": day(False), "closedHolidays": "CLOSED"}
    osm = soliguide_hours_to_osm(week)
    assert osm == "Mo-Fr 09:30-12:00,14:00-17:30; Sa 09:00-12:00; PH off"
    OpeningHours(osm)
    always = {d: day(True, (0, 2359)) for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                 "saturday", "sunday")}
    assert soliguide_hours_to_osm(always) == "24/7"
    temp = {"monday": {"open": True, "timeslot": [{"start": "08:00", "end": "17:00"}]},
            "wednesday": {"open": True, "timeslot": [{"start": "08:00", "end": "17:00"}]},
            "thursday": {"open": True, "timeslot": [{"start": "08:00", "end": "17:00"}]}}
    assert soliguide_hours_to_osm(temp) == "Mo 08:00-17:00; We,Th 08:00-17:00"
    assert soliguide_hours_to_osm({"monday": day(False)}) is None
    night = {"friday": day(True, (2200, 800))}
    assert soliguide_hours_to_osm(night) == "Fr 22:00-08:00"


def test_category_mapping_file_is_valid_v1():
    data = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))["categories"]
    assert len(data) >= 130
    for code, item in data.items():
        assert item["type"] in voc.TYPES, code
        assert set(item["thematiques"]) <= voc.THEMATIQUES, code
        assert item["label"]
    assert data["food_distribution"]["thematiques"] == ["equipement-et-alimentation--alimentation"]
    assert data["shower"]["thematiques"] == [] and data["shower"]["origine_correspondance"] == "aucune"


def test_one_bad_place_among_good_ones_is_quarantined(tmp_path, engine):
    data = json.loads(FILE.read_text(encoding="utf-8"))
    online = [x for x in data if x["status"] == "ONLINE"][:5]
    del online[2]["position"]
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(online, ensure_ascii=False), encoding="utf-8")
    with Session(engine) as s:
        report = ingest(SoliguideConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.read == 5 and report.quarantined == 1
        assert len(s.scalars(select(Structure)).all()) == 4
        assert "sans position" in s.scalars(select(QuarantinedRow)).one().reason


@pytest.mark.parametrize("payload, message", [
    (None, "JSON illisible"),
    (b"", "fichier vide"),
    (bytes(range(256)) * 8, "binaire"),
    (b'{"nbResults": 0}', "tableau JSON de lieux"),
    (b'[{"name": "x"}]', "pas un export de lieux Soliguide"),
])
def test_unreadable_inputs_fail_the_run(tmp_path, engine, payload, message):
    path = tmp_path / "in.json"
    path.write_bytes(payload if payload is not None else FILE.read_bytes()[:50000])
    with Session(engine) as s:
        with pytest.raises(RunFailed, match=message):
            ingest(SoliguideConnector(), s, instance_dir=tmp_path, paths=[path])
