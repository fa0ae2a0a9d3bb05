"""The Aveyron mobility map and its exports: every commune, exactly what the page shows."""
from __future__ import annotations

import csv
import io
import math

from app.core.geo import geography, haversine_km

URL = "departement=12&thematiques=mobilite"


def test_geojson_has_every_commune_of_aveyron(coordinator):
    response = coordinator.get(f"/coordination/couverture.geojson?{URL}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    communes = geography().departement_communes("12")
    assert len(communes) == 285
    assert len(data["features"]) == len(communes)
    assert {f["properties"]["code_insee"] for f in data["features"]} == {c.code_insee for c in communes}
    for f in data["features"]:
        props = f["properties"]
        assert {"code_insee", "nom", "population", "offres", "distance_km"} <= set(props)
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    by_code = {f["properties"]["code_insee"]: f["properties"] for f in data["features"]}
    rodez = by_code["12202"]
    assert rodez["nom"] == "Rodez" and rodez["population"] == geography().commune("12202").population
    # 284 communes have their real limits, Conques-en-Rouergue (a 2025 commune nouvelle) an approximation
    assert by_code["12218"]["geometrie"] == "approximation"
    assert sum(p["geometrie"] == "contour" for p in by_code.values()) == 284


def test_csv_has_a_bom_and_opens_with_the_csv_module(coordinator):
    response = coordinator.get(f"/coordination/couverture.csv?{URL}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 285
    assert {"code_insee", "nom", "population", "distance_km"} <= set(rows[0])
    assert {r["code_insee"] for r in rows} == {c.code_insee for c in geography().departement_communes("12")}


def test_exports_follow_the_page_order_and_filter(coordinator):
    args = f"{URL}&tri=population&ordre=desc"
    page = coordinator.get(f"/coordination/couverture?{args}").text
    data = coordinator.get(f"/coordination/couverture.geojson?{args}").get_json()
    codes = [f["properties"]["code_insee"] for f in data["features"]]
    pops = [f["properties"]["population"] for f in data["features"]]
    assert pops == sorted(pops, reverse=True)
    assert page.index(f'id="c-{codes[0]}"') < page.index(f'id="c-{codes[1]}"') < page.index(f'id="c-{codes[-1]}"')
    rows = list(csv.DictReader(io.StringIO(coordinator.get(f"/coordination/couverture.csv?{args}")
                                           .data.decode("utf-8-sig")), delimiter=";"))
    assert [r["code_insee"] for r in rows] == codes
    gaps = coordinator.get(f"/coordination/couverture.geojson?{URL}&seuil=15&seulement=zones-blanches").get_json()
    assert all(f["properties"]["distance_km"] is None or f["properties"]["distance_km"] > 15
               for f in gaps["features"])


def test_distances_on_the_real_data_match_a_brute_force(app, coordinator):
    """Every Aveyron commune's distance is the haversine distance to the nearest eligible on-site
    mobility offer of the database (checked one by one)."""
    from sqlalchemy import select

    from app.core.db import session_scope
    from app.core.models import Service

    with session_scope(app.config["REPERES"].database_url) as session:
        offers = session.execute(select(Service.latitude, Service.longitude, Service.thematiques,
                                        Service.modes_accueil, Service.zone_eligibilite)
                                 .where(Service.retired_at.is_(None))).all()
    data = coordinator.get(f"/coordination/couverture.geojson?{URL}").get_json()
    geo = geography()
    for f in data["features"][:40]:
        c = geo.commune(f["properties"]["code_insee"])
        best = math.inf
        for lat, lon, th, modes, zone in offers:
            if lat is None or not any(t.startswith("mobilite") for t in th or []):
                continue
            if modes and "en-presentiel" not in modes:
                continue
            if zone and "france" not in zone and not set(zone) & set(c.zone_codes):
                continue
            best = min(best, haversine_km(c.lat, c.lon, lat, lon))
        got = f["properties"]["distance_km"]
        assert (got is None and best == math.inf) or abs(got - best) < 0.01


def test_map_page_has_the_map_the_table_and_headline_figures(coordinator):
    page = coordinator.get(f"/coordination/couverture?{URL}&seuil=25")
    assert page.status_code == 200
    text = page.text
    assert 'id="carte"' in text and text.count("<path ") == 285
    assert "habitants à plus de 25 km" in text
    assert "couverture.geojson?" in text and "couverture.csv?" in text


def test_bad_parameters_are_a_400(coordinator):
    assert coordinator.get("/coordination/couverture?departement=99&levier=mobilite").status_code == 400
    assert coordinator.get("/coordination/couverture?departement=12&levier=inconnu").status_code == 400
    assert coordinator.get("/coordination/couverture?departement=12&levier=mobilite&seuil=abc").status_code == 400
    assert coordinator.get("/coordination/couverture.csv?departement=12").status_code == 400


def test_other_territories_and_pages(coordinator):
    for url in ["/coordination/couverture?region=76&levier=numerique",
                "/coordination/couverture?epci=200067213&levier=emploi",
                "/coordination/couverture?departement=974&levier=numerique&tri=nom&ordre=asc",
                "/coordination/matrice?departement=974", "/coordination/demande?region=04"]:
        assert coordinator.get(url).status_code == 200, url
    matrix = coordinator.get("/coordination/matrice?departement=12").text
    assert "/coordination/couverture?levier=mobilite" in matrix.replace("&amp;", "&")
