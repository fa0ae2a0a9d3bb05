"""Server-rendered pages on the bundled real data (no browser: see tests/browser for journeys)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

CARD_IDS = re.compile(r'<article class="fr-card fiche" data-service-id="([^"]+)"')


def cards(html: str) -> list[str]:
    return CARD_IDS.findall(html)


def total(html: str) -> int:
    return int(re.search(r'id="resultats-titre">(\d+) résultat', html).group(1))


@pytest.fixture(scope="module")
def rodez_ids(app):
    html = app.test_client().get("/recherche?code_commune=12202&thematiques=numerique").get_data(as_text=True)
    return cards(html)


# -- home ----------------------------------------------------------------------------------------
def test_home_has_the_search_form_in_french(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'name="lieu"' in html and 'name="q"' in html and 'name="levier"' in html
    assert 'type="checkbox" name="levier" value="garde-enfants"' in html  # needs as tiles, several at once
    assert "Garde d&#39;enfants" in html or "Garde d'enfants" in html
    assert 'href="/catalogue/12"' in html and "Aveyron (12)" in html  # entry points by département
    assert 'href="/recherche?levier=numerique"' in html  # and by lever
    assert "vendor/dsfr/dsfr.min.css" in html and "<script>" not in html


# -- results -------------------------------------------------------------------------------------
def test_results_page_lists_real_cards(client):
    res = client.get("/recherche?lieu=Rodez&levier=numerique")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert len(cards(html)) >= 3
    assert "Solutions autour de Rodez" in html


def test_results_by_code_commune_and_thematiques(client):
    html = client.get("/recherche?code_commune=12202&thematiques=numerique").get_data(as_text=True)
    assert len(cards(html)) == 20 and total(html) > 20
    assert 'id="carte"' in html and 'data-departements="/carte/departements.geojson"' in html
    assert 'data-contours="/carte/contours/12.geojson"' in html
    assert 'data-lat="' in html and 'data-action="ajouter-selection"' in html
    assert 'class="fr-pagination' in html and "page=2" in html
    for facet in ("sous_thematiques", "modes_accueil", "sources"):
        assert f'id="facette-{facet}"' in html
    assert re.search(r'name="frais" value="gratuit"[^>]*>\s*<label[^>]*><span>Gratuit <span class="compte">\(\d+\)',
                     html)
    assert "Pourquoi ce résultat" in html and " km" in html


def test_results_by_postal_code_and_words(client):
    html = client.get("/recherche?lieu=81000&q=aide+aux+d%C3%A9marches").get_data(as_text=True)
    assert "Albi" in html and "Pourquoi ce résultat" in html


def test_unknown_place_is_explained(client):
    res = client.get("/recherche?lieu=Atlantide")
    assert res.status_code == 400
    assert "Commune introuvable" in res.get_data(as_text=True)


def test_a_place_typed_again_wins_over_the_chosen_code(client):
    html = client.get("/recherche?code_commune=12202&lieu=Albi&levier=numerique").get_data(as_text=True)
    assert "Solutions autour de Albi" in html
    same = client.get("/recherche?code_commune=12202&lieu=rodez&levier=numerique").get_data(as_text=True)
    assert "Solutions autour de Rodez" in same


def test_empty_search_shows_only_the_form(client):
    html = client.get("/recherche").get_data(as_text=True)
    assert 'name="lieu"' in html and not cards(html)


def test_facets_narrow_the_results(client):
    base = "/recherche?code_commune=12202&thematiques=numerique"
    everything = total(client.get(base).get_data(as_text=True))
    html = client.get(base + "&frais=gratuit").get_data(as_text=True)
    assert 0 < total(html) < everything
    assert 'aria-label="Retirer le filtre Gratuit"' in html
    narrowed = client.get(base + "&sous_thematiques=numerique--acquerir-un-equipement").get_data(as_text=True)
    assert 0 < total(narrowed) < everything
    remote = client.get(base + "&a_distance=1").get_data(as_text=True)
    assert 0 < total(remote) < everything


def test_several_needs_are_unioned(client):
    one = total(client.get("/recherche?code_commune=12202&levier=numerique").get_data(as_text=True))
    two = total(client.get("/recherche?code_commune=12202&levier=numerique&levier=mobilite").get_data(as_text=True))
    assert two >= one


def test_open_now_keeps_only_open_services(client):
    html = client.get("/recherche?code_commune=12202&thematiques=numerique&ouvert=1").get_data(as_text=True)
    statuses = re.findall(r'data-ouvert="([a-z]+)"', html)
    assert all(s == "ouvert" for s in statuses)


def test_radius_and_position(client):
    near = total(client.get("/recherche?code_commune=12202&thematiques=numerique&rayon_km=5").get_data(as_text=True))
    far = total(client.get("/recherche?code_commune=12202&thematiques=numerique&rayon_km=100").get_data(as_text=True))
    assert near < far
    html = client.get("/recherche?lat=44.3506&lon=2.5750&levier=numerique").get_data(as_text=True)
    assert "autour de votre position (près de Rodez)" in html and cards(html)


def test_a_hit_without_its_database_row_is_skipped(client, monkeypatch, rodez_ids):
    from app import services
    from app.search import SearchHit

    real = services.search

    def search_with_a_ghost(query):
        result, rows = real(query)
        result.hits.insert(0, SearchHit("ghost--not-in-the-database", None, 0.1, "fantôme"))
        return result, rows

    monkeypatch.setattr(services, "search", search_with_a_ghost)
    res = client.get("/recherche?code_commune=12202&thematiques=numerique")
    assert res.status_code == 200 and "ghost--" not in res.get_data(as_text=True)


# -- service and structure pages --------------------------------------------------------------------
def test_service_page(client):
    html = client.get("/recherche?lieu=Carcassonne").get_data(as_text=True)
    first = cards(html)[0]
    page = client.get(f"/services/{first}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count("<h1") == 1
    for heading in ("Pour qui", "Conditions d'accès", "Comment mobiliser ce service", "Zone d'éligibilité",
                    "Horaires", "Source"):
        assert heading in body, heading
    assert "Signaler une erreur" in body and f"/signaler-une-erreur?service={quote(first, safe='')}" in body
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body  # the small map, drawn by the server


def test_service_page_hours_and_other_services(client, rodez_ids):
    body = client.get("/services/france-services--2579--demarches").get_data(as_text=True)
    assert "Lundi" in body and "09:00–12:30" in body
    assert re.search(r"(Ouvert|Fermé)", body)


def test_unknown_service_is_a_french_404(client):
    res = client.get("/services/nope--nothing")
    assert res.status_code == 404 and "Page introuvable" in res.get_data(as_text=True)
    for path in ("/services/%00", "/structures/a%00b", "/signaler-une-erreur?service=%00"):
        assert client.get(path).status_code == 404, path  # NUL would be a 500 on PostgreSQL
    assert client.get("/selection?ids=%00").status_code == 200
    assert client.get("/recherche?code_commune=12202&q=a%00b&sources=%00").status_code == 200
    api = client.get("/api/v1/services/nope--nothing")
    assert api.status_code == 404 and api.is_json


def test_structure_page(client, rodez_ids):
    html = client.get(f"/services/{rodez_ids[0]}").get_data(as_text=True)
    structure_path = re.search(r'href="(/structures/[^"]+)"', html).group(1)
    res = client.get(structure_path)
    body = res.get_data(as_text=True)
    assert res.status_code == 200 and body.count("<h1") == 1 and "Services proposés" in body


def test_report_an_error_page(client, rodez_ids):
    res = client.get(f"/signaler-une-erreur?service={rodez_ids[0]}")
    assert res.status_code == 200 and "Signaler une erreur" in res.get_data(as_text=True)
    assert client.get("/signaler-une-erreur?service=nope").status_code == 404


# -- selection ------------------------------------------------------------------------------------
def test_selection_page_groups_by_need_and_skips_unknown_ids(client, rodez_ids):
    ids = rodez_ids[:3]
    html = client.get("/selection?ids=" + ",".join(ids + ["gone--1"])).get_data(as_text=True)
    found = re.findall(r'<article class="element-selection" data-service-id="([^"]+)"', html)
    assert found == [i for i in ids if i in found] and set(found) == set(ids)
    assert 'class="groupe-besoin' in html and "Télécharger en PDF" in html
    assert 'id="lien-partage"' in html and "selection?ids=" in html
    assert "a été retiré" in html
    empty = client.get("/selection").get_data(as_text=True)
    assert "Votre sélection est vide" in empty


def test_selection_pdf(client, rodez_ids):
    res = client.get("/selection.pdf?ids=" + ",".join(rodez_ids[:2]))
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert res.data.startswith(b"%PDF")
    assert client.get("/selection.pdf?ids=nope").status_code == 404


# -- catalogue, sitemap --------------------------------------------------------------------------
def test_catalogue_pages_are_crawlable(client):
    index = client.get("/catalogue").get_data(as_text=True)
    assert 'href="/catalogue/12"' in index
    dep = client.get("/catalogue/12").get_data(as_text=True)
    assert "<title>L'offre d'insertion du département de l&#39;Aveyron (12)" in dep
    assert 'href="/catalogue/12/numerique"' in dep
    res = client.get("/catalogue/12/numerique")
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and page.count("<h1") == 1
    assert "<title>Numérique : les solutions du département de l&#39;Aveyron (12)" in page
    assert re.search(r'<meta name="description" content="\d+ solutions « numérique » dans le département', page)
    assert '<link rel="canonical" href="http://localhost/catalogue/12/numerique">' in page
    assert "/services/" in page
    assert client.get("/catalogue/99").status_code == 404
    assert client.get("/catalogue/12/inconnu").status_code == 404
    assert client.get("/catalogue/12/numerique?page=999").status_code == 404


def test_sitemap_and_robots(client):
    xml = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/catalogue/12/numerique</loc>" in xml
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in robots


# -- JSON and GeoJSON for the scripts ------------------------------------------------------------
def test_commune_suggestions(client):
    res = client.get("/communes/suggestions?q=rod")
    data = res.get_json()
    assert res.status_code == 200 and data[0]["nom"] == "Rodez" and data[0]["code_insee"] == "12202"
    assert client.get("/communes/suggestions?q=81").get_json()  # postal code prefix
    assert client.get("/communes/suggestions?q=r").get_json() == []


def test_outlines_for_the_map(client):
    res = client.get("/carte/departements.geojson")
    data = res.get_json(force=True)
    assert res.status_code == 200 and len(data["features"]) >= 100
    assert "max-age" in res.headers["Cache-Control"]
    contours = client.get("/carte/contours/12.geojson").get_json(force=True)
    assert contours["niveau"] == "communes" and len(contours["features"]) > 250
    assert client.get("/carte/contours/974.geojson").get_json(force=True)["niveau"] == "epci"
    assert client.get("/carte/contours/00.geojson").status_code == 404


# -- headers -------------------------------------------------------------------------------------
def test_security_and_cache_headers(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "Content-Security-Policy" not in client.get("/api/docs").headers  # Swagger UI's inline script
    static = client.get("/static/web/reperes.css")
    assert static.status_code == 200 and "max-age=86400" in static.headers["Cache-Control"]
    vendor = client.get("/static/vendor/dsfr/dsfr.min.css")
    assert vendor.status_code == 200 and "max-age" in vendor.headers["Cache-Control"]


def test_tile_url_setting_reaches_the_map_and_the_csp(app, settings):
    from app.factory import create_app

    values = dict(settings.values, map_tiles_url="https://{s}.tuiles.example.fr/{z}/{x}/{y}.png")
    other = create_app(type(settings)(values))
    client = other.test_client()
    res = client.get("/recherche?code_commune=12202&thematiques=numerique")
    assert "img-src 'self' data: https://*.tuiles.example.fr" in res.headers["Content-Security-Policy"]
    assert 'data-tuiles="https://{s}.tuiles.example.fr/{z}/{x}/{y}.png"' in res.get_data(as_text=True)
