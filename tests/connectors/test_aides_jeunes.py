"""aides-jeunes (1jeune1solution) and Mobiville connectors on the real bundled catalogues."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import create_schema, engine_for
from app.core.geo import geography
from app.core.models import QuarantinedRow, Service, Structure
from app.search.documents import iter_documents
from app.search.embedded import EmbeddedBackend
from app.search.query import Place, SearchQuery
from indexer.connectors.aides_jeunes import AidesJeunesConnector, MobivilleConnector, themes_for
from indexer.connectors.base import OFFERS_DIR
from indexer.run import RunFailed, ingest

AIDES = OFFERS_DIR / "aides"
CARCASSONNE_PERMIS = "aides-jeunes--carcassonne_aide_permis"


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/t.sqlite3")
    create_schema(engine)
    return engine


@pytest.fixture
def ingested(engine, tmp_path):
    with Session(engine) as s:
        return ingest(AidesJeunesConnector(), s, instance_dir=tmp_path)


def test_whole_catalogue_goes_in(ingested, engine):
    assert ingested.status == "ok" and ingested.quarantined == 0
    assert ingested.read == 552
    assert ingested.new == 549  # the 2 "aide de démonstration" entries and the "aide de test" are skipped
    with Session(engine) as s:
        services = list(s.scalars(select(Service)))
        assert "aides-jeunes--benefit_front_test" not in {sv.id for sv in services}
        # words inside words are not themes: "développement" is no "vélo", "mobilité internationale" no transport
        epargne = s.get(Service, "aides-jeunes--livret_epargne_populaire_taux")
        assert not any(t.startswith("mobilite--") for t in epargne.thematiques)
        international = [sv for sv in services if "internationale" in sv.nom.lower()]
        assert international and not any("mobilite--financer-ma-mobilite" in sv.thematiques for sv in international)
        assert all(sv.frais == "gratuit" for sv in services)
        # "jeunes" unless the aid is for people over 30 (one regional aid is for ages 39-40)
        assert all({"jeunes", "seniors"} & set(sv.publics) for sv in services if sv.publics)
        assert len([sv for sv in services if not sv.publics]) == 1
        assert all(sv.zone_eligibilite for sv in services), "every aid has an eligibility zone"
        assert all(sv.thematiques for sv in services)


def test_carcassonne_driving_licence_aid(ingested, engine):
    with Session(engine) as s:
        sv = s.get(Service, CARCASSONNE_PERMIS)
        assert sv.nom == "Aide communale au permis de conduire"
        assert sv.zone_eligibilite == ["11069"]
        assert sv.type == "aide-financiere"
        assert {"mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite"} <= set(sv.thematiques)
        assert sv.publics == ["jeunes"]
        # a local aid is placed at its commune's centre (no address of its own)
        carcassonne = geography().commune("11069")
        assert sv.code_insee == "11069" and sv.adresse is None
        assert (sv.latitude, sv.longitude) == (carcassonne.lat, carcassonne.lon)
        assert sv.modes_accueil == ["a-distance", "en-presentiel"]
        assert sv.lien_mobilisation == "https://www.carcassonne.org/article-page/bourse-au-permis-0"
        assert "60 heures" in sv.description and "auto-école" in sv.description
        assert sv.structure.nom == "Ville de Carcassonne" and sv.structure.code_insee == "11069"


def test_carcassonne_aid_is_found_around_carcassonne_only(ingested, engine, tmp_path):
    backend = EmbeddedBackend(tmp_path / "index.sqlite3")
    with Session(engine) as s:
        backend.rebuild(iter_documents(s))
    geo = geography()

    def ids_near(code: str) -> set[str]:
        c = geo.commune(code)
        result = backend.search(SearchQuery(place=Place(c.lat, c.lon, c.zone_codes, c.code_insee),
                                            thematiques=("mobilite--preparer-un-permis",), size=500))
        return {h.id for h in result.hits}

    assert CARCASSONNE_PERMIS in ids_near("11069")
    assert CARCASSONNE_PERMIS not in ids_near("11262")  # Narbonne: not eligible
    result = backend.search(SearchQuery(q="permis de conduire Carcassonne", size=20,
                                        place=Place(43.20938, 2.34329, geo.commune("11069").zone_codes, "11069")))
    assert CARCASSONNE_PERMIS in [h.id for h in result.hits]


def test_zones_from_conditions_and_institutions(ingested, engine):
    geo = geography()
    with Session(engine) as s:
        caf = s.get(Service, "aides-jeunes--caf-aveyron-aide-bafa-approfondissement")
        assert caf.zone_eligibilite == ["12"] and caf.modes_accueil == ["a-distance"]
        assert caf.latitude is None, "a CAF's aid has no point"
        assert "se-former--monter-son-dossier-de-formation" in caf.thematiques
        occitanie = sorted(d.code for d in geo.departements.values() if d.code_region == "76")
        regional = [sv for sv in s.scalars(select(Service))
                    if (sv.extra or {}).get("institution", {}).get("slug") == "region_occitanie"]
        assert regional and all(sv.zone_eligibilite == occitanie for sv in regional)
        national = [sv for sv in s.scalars(select(Service))
                    if (sv.extra or {}).get("institution", {}).get("type") == "national"]
        assert any(sv.zone_eligibilite == ["france"] for sv in national)
        epci = [sv for sv in s.scalars(select(Service))
                if (sv.extra or {}).get("institution", {}).get("type") == "epci"]
        assert epci and all(all(code in geo.epci or geo.commune(code) or code in geo.departements
                                for code in sv.zone_eligibilite) for sv in epci)
        assert all(sv.code_insee for sv in epci), "an EPCI's aid is placed at its main commune"


def test_themes_from_words():
    assert "mobilite--preparer-un-permis" in themes_for("Aide communale au permis de conduire")
    assert themes_for("aide au BAFA")[0] == "se-former--monter-son-dossier-de-formation"
    assert themes_for("aide à l'installation dans un logement")[0].startswith("logement-hebergement--")
    assert themes_for("carte SNCF élèves") == ["mobilite--financer-ma-mobilite"]


def test_invalid_codes_are_dropped_with_a_note_and_bad_records_quarantined(tmp_path, engine):
    data = json.loads((AIDES / "aides-jeunes-benefits.json").read_text(encoding="utf-8"))
    caf = next(b for b in data if b["slug"] == "caf-aveyron-aide-bafa-approfondissement")
    caf["conditions_generales"] = [{"type": "departements", "values": ["12", "99"]}]
    carcassonne = next(b for b in data if b["slug"] == "carcassonne_aide_permis")
    broken = dict(carcassonne, slug="aide-sans-institution", institution="institution-qui-n-existe-pas")
    path = tmp_path / "benefits.json"
    path.write_text(json.dumps([caf, carcassonne, broken], ensure_ascii=False), encoding="utf-8")
    with Session(engine) as s:
        report = ingest(AidesJeunesConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.read == 3 and report.new == 2 and report.quarantined == 1
        assert "institution inconnue" in s.scalars(select(QuarantinedRow)).one().reason
        sv = s.get(Service, "aides-jeunes--caf-aveyron-aide-bafa-approfondissement")
        assert sv.zone_eligibilite == ["12"]
        assert sv.extra["notes_zone"] == ["département inconnu ignoré : 99"]


@pytest.mark.parametrize("payload, message", [
    (None, "JSON illisible"),  # truncated copy of the real file
    (b"", "fichier vide"),
    (bytes(range(256)) * 8, "binaire"),
    (b'{"label": "pas un tableau"}', "tableau JSON"),
    (b'[{"foo": 1}, {"bar": 2}]', "ni un fichier d'aides"),
])
def test_unreadable_inputs_fail_the_run(tmp_path, engine, payload, message):
    path = tmp_path / "in.json"
    path.write_bytes(payload if payload is not None else (AIDES / "aides-jeunes-benefits.json").read_bytes()[:100000])
    with Session(engine) as s:
        with pytest.raises(RunFailed, match=message):
            ingest(AidesJeunesConnector(), s, instance_dir=tmp_path, paths=[path])


def test_a_failed_run_keeps_the_previous_offers(ingested, engine, tmp_path):
    path = tmp_path / "truncated.json"
    path.write_bytes((AIDES / "aides-jeunes-benefits.json").read_bytes()[:5000])
    with Session(engine) as s:
        with pytest.raises(RunFailed):
            ingest(AidesJeunesConnector(), s, instance_dir=tmp_path, paths=[path])
        assert s.get(Service, CARCASSONNE_PERMIS).retired_at is None


def test_mobiville_national_aids(engine, tmp_path):
    with Session(engine) as s:
        report = ingest(MobivilleConnector(), s, instance_dir=tmp_path)
        assert report.status == "ok" and report.new == 17 and report.quarantined == 0
        services = {sv.id: sv for sv in s.scalars(select(Service))}
        mobili = services["mobiville--mobili-jeune"]
        assert mobili.type == "aide-financiere" and mobili.zone_eligibilite == ["france"]
        assert mobili.modes_accueil == ["a-distance"] and mobili.latitude is None
        assert "logement-hebergement--louer-un-logement" in mobili.thematiques
        assert mobili.lien_mobilisation == "https://www.actionlogement.fr/l-aide-mobili-jeune"
        assert "display:none" not in (mobili.publics_precisions or "") and "<" not in mobili.description
        assert "mobilite--financer-ma-mobilite" in services["mobiville--aide-pour-la-recherche-demploi"].thematiques
        assert "demandeurs-emploi" in services["mobiville--aide-pour-la-recherche-demploi"].publics
        garages = services["mobiville--mobilize-garages-solidaires"]
        assert "mobilite--entretenir-reparer-son-vehicule" in garages.thematiques
        structures = {st.id for st in s.scalars(select(Structure))}
        assert "mobiville--partenaire-etat" in structures and "mobiville--partenaire-l-etat" not in structures


def test_mobiville_damaged_copies(engine, tmp_path):
    data = json.loads((AIDES / "helps.json").read_text(encoding="utf-8"))
    data[3].pop("partner")
    path = tmp_path / "helps.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with Session(engine) as s:
        report = ingest(MobivilleConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.quarantined == 1 and report.new == 16
        assert "sans partenaire" in s.scalars(select(QuarantinedRow)).one().reason
    path.write_bytes((AIDES / "helps.json").read_bytes()[:3000])
    with Session(engine) as s:
        with pytest.raises(RunFailed, match="JSON illisible"):
            ingest(MobivilleConnector(), s, instance_dir=tmp_path, paths=[path])
