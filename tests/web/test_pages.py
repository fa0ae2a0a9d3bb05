"""Server-rendered pages on the bundled real data."""
from __future__ import annotations

import re


def test_home_has_the_search_form_in_french(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert 'name="lieu"' in html and 'name="q"' in html and 'name="levier"' in html
    assert "Garde d'enfants" in html or "Garde d&#39;enfants" in html


def test_results_page_lists_real_cards(client):
    res = client.get("/recherche?lieu=Rodez&levier=numerique")
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    cards = re.findall(r'data-service-id="([^"]+)"', html)
    assert len(cards) >= 3
    assert "Solutions autour de Rodez" in html


def test_results_by_postal_code_and_words(client):
    html = client.get("/recherche?lieu=81000&q=aide+aux+d%C3%A9marches").get_data(as_text=True)
    assert "Albi" in html and "Pourquoi ce résultat" in html


def test_unknown_place_is_explained(client):
    res = client.get("/recherche?lieu=Atlantide")
    assert res.status_code == 400
    assert "Commune introuvable" in res.get_data(as_text=True)


def test_service_page(client):
    html = client.get("/recherche?lieu=Carcassonne").get_data(as_text=True)
    first = re.findall(r'data-service-id="([^"]+)"', html)[0]
    page = client.get(f"/services/{first}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<h1") == 1
