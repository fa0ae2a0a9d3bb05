"""LHEO 2.2 connector on the real bundled Carif-Oref / ONISEP files."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors.base import OFFERS_DIR
from indexer.connectors.lheo import LheoConnector, formacodes
from indexer.run import RunFailed, ingest

LHEO = OFFERS_DIR / "lheo"


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/t.sqlite3")
    create_schema(engine)
    return engine


@pytest.fixture
def ingested(engine, tmp_path):
    with Session(engine) as s:
        report = ingest(LheoConnector(), s, instance_dir=tmp_path)
    return report


def test_real_files_one_service_per_action(ingested, engine):
    assert ingested.status == "ok" and ingested.quarantined == 0
    assert ingested.read == 4 and ingested.new == 4  # BTS (1 action), plaquiste (2 actions), paysan-boulanger (1)
    with Session(engine) as s:
        ids = set(s.scalars(select(Service.id)))
        structures = {st.id: st for st in s.scalars(select(Structure))}
    assert ids == {"lheo--9436_18706--9436_18706", "lheo--07_10--07_114782", "lheo--07_10--07_123324",
                   "lheo--04_A815385--04_74056"}
    assert set(structures) == {"lheo--of-19290076900014", "lheo--of-82422814200660", "lheo--of-79932975000035"}
    assert structures["lheo--of-82422814200660"].siret == "82422814200660"


def test_paysan_boulanger_millau_organisme_and_its_session(ingested, engine):
    """The organisme is in Millau (12); the training itself takes place at La Perrière (61)."""
    with Session(engine) as s:
        sv = s.get(Service, "lheo--04_A815385--04_74056")
        st = sv.structure
        assert st.nom == "Savoir Faire et Découverte (Siège)"
        assert (st.commune, st.code_insee, st.code_postal) == ("Millau", "12145", "12100")
        assert st.courriel == "contact@lesavoirfaire.fr"  # the organisme's shared address is kept
        assert sv.nom == "Découvrir l'activité de paysan-boulanger - Pain au levain au feu de bois"
        assert sv.type == "formation"
        # La Perrière (61325) merged into Belforêt-en-Perche: the current commune is stored
        assert sv.code_insee == "61196" and sv.commune == "Belforêt-en-Perche" and sv.code_postal == "61360"
        assert sv.adresse == "La Grande Suardière"
        assert abs(sv.latitude - 48.398808) < 1e-6 and abs(sv.longitude - 0.430595) < 1e-6
        assert sv.thematiques == ["se-former--trouver-sa-formation"]
        assert sv.modes_accueil == ["en-presentiel"]
        assert sv.frais == "payant"  # the trainee is one of the funders
        extra = sv.extra
        session = extra["sessions"][0]
        assert session["debut"] == "2018-02-27" and session["fin"] == "2018-10-19"
        assert session["etat_recrutement"] == "ouvert"
        assert session["lieu"]["commune"] == "La Perrière"
        assert session["inscription"]["commune"] == "Rouen"
        assert extra["duree_heures"] == 40.0 and sv.volume_horaire_hebdomadaire == 40.0 and sv.nombre_semaines == 1
        financeurs = {f["code"]: f["libelle"] for f in extra["financeurs"]}
        assert financeurs["16"] == "OPCO" and financeurs["10"] == "Bénéficiaire de l'action"
        assert {"code": "21538", "libelle": "boulangerie", "principal": True} in extra["formacodes"]
        assert extra["rome"] == [{"code": "A1402", "libelle": "Aide agricole de production légumière ou végétale"}]
        assert extra["codes_rome"] == ["A1402"], "the métier link (docs/metiers.md)"
        assert extra["a_distance"] is False and extra["eligible_cpf"] is False
        assert extra["certification"]["certifiante"] is False
        # Formacode labels, non-descriptors and ROME v2 jobs become searchable words
        words = extra["mots_cles"]
        assert "boulangerie" in words and "panification" in words
        assert any("boulangerie-viennoiserie" in w for w in words)


def test_plaquiste_actions_differ_by_funding(ingested, engine):
    with Session(engine) as s:
        paid = s.get(Service, "lheo--07_10--07_114782")
        funded = s.get(Service, "lheo--07_10--07_123324")
        assert paid.commune == funded.commune == "Veigné"
        assert paid.frais == "payant" and funded.frais == "gratuit"
        assert funded.extra["financeurs"] == [{"code": "2", "libelle": "Collectivité territoriale - Conseil régional",
                                               "places": 5, "programme": "Programme régional 2017 : Parcours métiers"}]
        assert funded.extra["duree_heures"] == 697.0 and funded.nombre_semaines == 20
        assert funded.extra["eligible_cpf"] is True
        assert funded.extra["certification"]["rncp"] == "320"
        assert "plaque plâtre" in funded.extra["mots_cles"] and "plaquiste" in funded.extra["mots_cles"]
        assert funded.extra["sessions"][0]["fin_inscription"] == "2018-05-22"


def test_no_personal_contact_is_stored(ingested, engine):
    people = re.compile(r"trolle|leroy|bernot|poec|buffet|michèle|delphine|catherine|arnaud", re.I)
    with Session(engine) as s:
        for row in [*s.scalars(select(Service)), *s.scalars(select(Structure))]:
            dumped = " ".join(str(getattr(row, c.name)) for c in row.__table__.columns)
            assert not people.search(dumped), row.id
            assert row.courriel is None or not re.match(r"^[a-z]+\.[a-z]+@", row.courriel)
        assert all(sv.contact_nom_prenom is None for sv in s.scalars(select(Service)))


def test_bundled_copies_are_clean():
    for name in ("formation.xml", "wrong_code_financeur_16.xml"):
        text = (LHEO / name).read_text(encoding="utf-8")
        assert not re.search(r"TROLLE|LEROY|BERNOT|LE POEC|buffet|06 45|06 32", text), name
        assert "<nom></nom>" in text and "<courriel></courriel>" in text


def test_formacode_referential_is_loaded():
    refs = formacodes()
    assert len(refs) > 2900
    assert refs["15235"]["libelle"] == "français langue étrangère"
    assert "plaquiste" in refs["22403"]["synonymes"]


def test_basic_skills_and_remote_training_get_their_themes(tmp_path, engine):
    text = (LHEO / "exemple-bts-onisep.xml").read_text(encoding="utf-8")
    text = text.replace('<code-FORMACODE ref="V11">34076</code-FORMACODE>',
                        '<code-FORMACODE ref="V11">15235</code-FORMACODE>')
    text = text.replace("<modalites-enseignement>0</modalites-enseignement>",
                        "<modalites-enseignement>1</modalites-enseignement>")
    path = tmp_path / "fle.xml"
    path.write_text(text, encoding="utf-8")
    with Session(engine) as s:
        ingest(LheoConnector(), s, instance_dir=tmp_path, paths=[path])
        sv = s.get(Service, "lheo--9436_18706--9436_18706")
        assert "lecture-ecriture-calcul--maitriser-le-francais" in sv.thematiques
        assert sv.modes_accueil == ["a-distance", "en-presentiel"]
        assert sv.extra["a_distance"] is True
        assert "français langue étrangère" in sv.extra["mots_cles"]


def test_malformed_xml_fails_the_run(tmp_path, engine):
    path = tmp_path / "broken.xml"
    path.write_bytes((LHEO / "formation.xml").read_bytes()[:5000])
    with Session(engine) as s:
        with pytest.raises(RunFailed, match="XML illisible"):
            ingest(LheoConnector(), s, instance_dir=tmp_path, paths=[path])


@pytest.mark.parametrize("payload, message", [
    (b"", "fichier vide"),
    (bytes(range(256)) * 4, "XML illisible"),
    (b'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY x "boom">]><lheo>&x;</lheo>', "XML illisible"),
    (b'<?xml version="1.0"?><catalogue><formation/></catalogue>', "pas un document LHEO"),
])
def test_unreadable_inputs(tmp_path, engine, payload, message):
    path = tmp_path / "in.xml"
    path.write_bytes(payload)
    with Session(engine) as s:
        with pytest.raises(RunFailed, match=message):
            ingest(LheoConnector(), s, instance_dir=tmp_path, paths=[path])


def test_action_without_place_is_quarantined_the_others_go_in(tmp_path, engine):
    text = (LHEO / "formation.xml").read_text(encoding="utf-8")
    # first action: drop its training place and its session's registration address
    first, rest = text.split('<action numero="07_123324"', 1)
    first = re.sub(r"<lieu-de-formation>.*?</lieu-de-formation>", "", first, flags=re.S)
    first = re.sub(r"<adresse-inscription>.*?</adresse-inscription>", "", first, flags=re.S)
    path = tmp_path / "formation-sans-lieu.xml"
    path.write_text(first + '<action numero="07_123324"' + rest, encoding="utf-8")
    with Session(engine) as s:
        report = ingest(LheoConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.read == 2 and report.quarantined == 1 and report.new == 1
        row = s.scalars(select(QuarantinedRow)).one()
        assert "sans lieu de formation utilisable" in row.reason and "07_114782" in row.reason
        assert s.get(Service, "lheo--07_10--07_123324") is not None
