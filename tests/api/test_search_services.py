"""/api/v1/search/services on the bundled real data (Aude, Aveyron, Tarn, La Réunion)."""
from __future__ import annotations

import pytest

from app.core.geo import geography, haversine_km

TOWNS = {"12202": "Rodez", "81004": "Albi", "11069": "Carcassonne", "97411": "Saint-Denis"}


@pytest.mark.parametrize("code", sorted(TOWNS))
def test_real_services_around_each_town_by_distance(client, code):
    res = client.get(f"/api/v1/search/services?code_commune={code}&size=200")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["total"] >= 5, f"real services expected around {TOWNS[code]}"
    assert body["page"] == 1 and body["size"] == 200 and body["pages"] >= 1
    commune = geography().commune(code)
    distances = [item["distance_km"] for item in body["items"]]
    known = [d for d in distances if d is not None]
    assert known, "on-site services with a distance"
    assert known == sorted(known), "ordered by distance"
    if None in distances:
        assert all(d is None for d in distances[distances.index(None):]), "nulls last"
    for item in body["items"]:
        service = item["service"]
        assert service["structure"]["id"] == service["structure_id"]
        if item["distance_km"] is not None:
            assert item["distance_km"] <= 50
            assert abs(haversine_km(commune.lat, commune.lon, service["latitude"], service["longitude"])
                       - item["distance_km"]) < 0.01
            assert item["distance"] == int(item["distance_km"])
        else:
            assert "a-distance" in (service["modes_accueil"] or []) or not service["modes_accueil"] \
                or "en-presentiel" not in service["modes_accueil"]


def test_thematique_category_filters_real_data(client):
    res = client.get("/api/v1/search/services?code_commune=12202&thematiques=numerique&size=500")
    body = res.json
    assert body["total"] > 0
    for item in body["items"]:
        assert any(t.startswith("numerique--") for t in item["service"]["thematiques"])
    assert set(body["facettes"]["categories"]) >= {"numerique"}
    assert body["facettes"]["categories"]["numerique"] == body["total"]


def test_lat_lon_overrides_the_centre(client):
    rodez = geography().commune("12202")
    a = client.get(f"/api/v1/search/services?code_commune=12202&size=5").json
    b = client.get(f"/api/v1/search/services?lat={rodez.lat}&lon={rodez.lon}&size=5").json
    assert [i["service"]["id"] for i in a["items"]][:3] == [i["service"]["id"] for i in b["items"]][:3]


def test_words_rank_and_explain(client):
    res = client.get("/api/v1/search/services", query_string={"code_commune": "97411", "q": "faire garder mon enfant"})
    body = res.json
    assert body["total"] > 0
    assert "famille--garde-denfants" in body["besoins_deduits"]
    top = body["items"][0]
    assert "famille--garde-denfants" in top["service"]["thematiques"]
    assert top["score"] is not None and top["explication"]


def test_exclure_doublons_keeps_whole_structures_around_rodez(client):
    """data·inclusion's rule: the services of a duplicate cluster's best structure, all of them."""
    full = client.get("/api/v1/search/services?code_commune=12202&size=10000").json
    unique = client.get("/api/v1/search/services?code_commune=12202&size=10000&exclure_doublons=true").json
    assert 0 < unique["total"] < full["total"] and len(unique["items"]) == unique["total"]
    kept = [item["service"]["id"] for item in unique["items"]]
    assert kept == [item["service"]["id"] for item in full["items"] if item["service"]["id"] in set(kept)], \
        "the ordinary order over the kept services"
    structures = {item["service"]["structure_id"] for item in unique["items"]}
    dropped = [item["service"] for item in full["items"] if item["service"]["id"] not in set(kept)]
    assert dropped and not [s["id"] for s in dropped if s["structure_id"] in structures], \
        "a kept structure keeps every service of the full result"
    assert sum(unique["facettes"]["sources"].values()) == unique["total"], "facets count the kept services"
    # the SIAE record of this structure beats its conseiller numérique record: both its services stay
    assert {"siae--48048342900043-aci-012", "siae--48048342900043-ei-012"} <= set(kept)
    assert "conseillers-numeriques--48048342900043-12000" in {s["id"] for s in dropped}
    doublons = client.get("/api/v1/structures/conseillers-numeriques--48048342900043").json["doublons"]
    assert "siae--48048342900043" in {d["id"] for d in doublons}


@pytest.mark.parametrize("query, field", [
    ("size=abc", "size"),
    ("code_commune=99999", "code_commune"),
    ("thematiques=nope", "thematiques"),
    ("lat=91&lon=2", "lat"),
    ("lat=44.3", "lon"),
    ("page=0", "page"),
    ("rayon_km=-3&code_commune=12202", "rayon_km"),
    ("publics=tout-le-monde", "publics"),
])
def test_bad_input_names_the_field(client, query, field):
    res = client.get(f"/api/v1/search/services?{query}")
    assert 400 <= res.status_code < 500
    assert res.is_json
    errors = res.json["errors"]["query"]
    assert field in errors, errors


def test_comma_separated_lists_are_accepted(client):
    a = client.get("/api/v1/search/services?code_commune=12202&thematiques=numerique,famille&size=1").json
    b = client.get("/api/v1/search/services?code_commune=12202&thematiques=numerique&thematiques=famille&size=1").json
    assert a["total"] == b["total"] > 0
