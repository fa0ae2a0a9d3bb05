"""Other /api/v1 resources: services, structures, sources, vocabularies, health, OpenAPI."""
from __future__ import annotations

import pytest

from app.core import vocabularies as voc


def test_service_detail_and_list(client):
    listing = client.get("/api/v1/services?code_departement=12&size=10").json
    assert listing["total"] > 10
    first = listing["items"][0]
    assert first["code_insee"].startswith("12")
    detail = client.get(f"/api/v1/services/{first['id']}")
    assert detail.status_code == 200
    assert detail.json["structure"]["id"] == first["structure_id"]
    assert "--" in first["id"] and first["id"].startswith(first["source"] + "--")
    assert client.get("/api/v1/services/nope--nope").status_code == 404


def test_services_by_region_contains_departements(client):
    occitanie = client.get("/api/v1/services?code_region=76&size=1").json["total"]
    parts = sum(client.get(f"/api/v1/services?code_departement={d}&size=1").json["total"] for d in ("11", "12", "81"))
    assert occitanie >= parts > 0


def test_structures(client):
    listing = client.get("/api/v1/structures?code_departement=81&size=5").json
    assert listing["total"] > 0
    sid = listing["items"][0]["id"]
    detail = client.get(f"/api/v1/structures/{sid}").json
    assert detail["id"] == sid and isinstance(detail["services"], list) and "doublons" in detail


def test_sources_list_counts_and_licences(client):
    sources = client.get("/api/v1/sources").json
    by_slug = {s["slug"]: s for s in sources}
    assert {"data-inclusion", "france-services"} <= set(by_slug)
    from indexer.connectors import registry

    for s in sources:
        assert s["licence"] and s["format"]
        assert s["derniere_execution"]["statut"] == "ok"
        if registry()[s["slug"]].default_files:  # sources without bundled files (hsds) are import-only
            assert s["services"] > 0, s["slug"]


@pytest.mark.parametrize("name", sorted(voc.VOCABULARIES))
def test_every_vocabulary_is_served(client, name):
    res = client.get(f"/api/v1/doc/{name}")
    assert res.status_code == 200
    assert {t["value"] for t in res.json} == {t.value for t in voc.VOCABULARIES[name]}


def test_leviers_are_served_with_their_subthemes(client):
    leviers = client.get("/api/v1/doc/leviers").json
    values = {lv["value"] for lv in leviers}
    assert {"formation", "immersion", "creation-entreprise", "emploi", "hebergement", "logement", "sante",
            "mobilite", "garde-enfants", "numerique", "acces-aux-droits"} == values
    for lv in leviers:
        assert lv["thematiques"] and set(lv["thematiques"]) <= voc.THEMATIQUES
    assert client.get("/api/v1/doc/nope").status_code == 404


def test_health_and_openapi(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["search"]["documents"] > 0
    spec = client.get("/api/openapi.json").json
    assert "/api/v1/search/services" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/search/services"]["get"]["parameters"]}
    assert {"sources", "code_commune", "lat", "lon", "thematiques", "frais", "modes_accueil", "publics",
            "recherche_public", "types", "score_qualite_minimum", "exclure_doublons", "page", "size", "q",
            "rayon_km"} <= params
    assert client.get("/api/docs").status_code == 200


def test_structures_without_duplicates_keep_one_per_cluster(client):
    """Structures with and without ``date_maj`` are compared (a date against nothing once gave a 500)."""
    every = client.get("/api/v1/structures", query_string={"code_departement": "12", "size": 10000})
    best = client.get("/api/v1/structures", query_string={"code_departement": "12", "size": 10000,
                                                          "exclure_doublons": "true"})
    assert every.status_code == best.status_code == 200
    assert 0 < best.get_json()["total"] < every.get_json()["total"]
    assert {s["id"] for s in best.get_json()["items"]} < {s["id"] for s in every.get_json()["items"]}
