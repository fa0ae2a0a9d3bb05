"""Demand log: every search recorded, nothing personal; zero-result searches shown to coordinators."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from app.coordination.demand import LOGGED_FIELDS, flush_pending, scrub_words
from app.core.db import engine_for, session_scope
from app.core.models_coordination import SearchLog


def _rows(url):
    flush_pending(url)
    with session_scope(url) as session:
        rows = list(session.scalars(select(SearchLog).order_by(SearchLog.id)))
        session.expunge_all()
    return rows


def test_the_log_table_has_only_the_declared_fields(db_url):
    columns = {c["name"] for c in inspect(engine_for(db_url)).get_columns("search_log")}
    assert columns == set(LOGGED_FIELDS)
    assert not {"ip", "user_agent", "lat", "lon", "publics", "created_at"} & columns


def test_a_search_is_logged_without_personal_data(app, db_url):
    client = app.test_client()
    before = len(_rows(db_url))
    words = "permis pour jean.dupont@example.org tel 06 12 34 56 78 né 1987"
    response = client.get("/api/v1/search/services", query_string={
        "code_commune": "12202", "thematiques": "mobilite--preparer-un-permis",
        "publics": "femmes", "q": words},
        headers={"User-Agent": "TestBrowser/1.0 secret-agent", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 200
    rows = _rows(db_url)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row.day == dt.date.today()
    assert row.code_commune == "12202" and row.code_departement == "12"
    assert row.thematiques == ["mobilite--preparer-un-permis"]
    assert row.resultats == response.get_json()["total"]
    assert row.mots == "permis pour tel né"
    stored = " ".join(str(getattr(row, f)) for f in LOGGED_FIELDS)
    for secret in ("198.51.100.7", "203.0.113.9", "TestBrowser", "secret-agent", "dupont", "example.org",
                   "06 12", "1987", "femmes"):
        assert secret not in stored


def test_pages_after_the_first_and_territory_lists_are_not_logged(app, db_url):
    client = app.test_client()
    before = len(_rows(db_url))
    client.get("/api/v1/search/services", query_string={"code_commune": "12202", "page": 2})
    client.get("/api/v1/services", query_string={"code_departement": "12"})
    assert len(_rows(db_url)) == before


def test_scrub_words():
    assert scrub_words("Contact: a.b@c.fr, +33 6 12 34 56 78, https://x.fr/y 12345 garde enfant") == "contact: , garde enfant"
    assert scrub_words("   ") is None
    assert len(scrub_words("mot " * 100)) == 200


def test_zero_result_searches_show_next_to_the_coverage(app, coordinator, db_url):
    # a need nobody offers anywhere near a small Aveyron commune, searched three times
    with session_scope(db_url) as session:
        for _ in range(3):
            session.add(SearchLog(day=dt.date.today(), code_commune="12001", code_departement="12",
                                  thematiques=["mobilite--acceder-a-un-vehicule"], besoins_deduits=None,
                                  mots="louer une voiture", resultats=0, rayon_km=50.0))
    page = coordinator.get("/coordination/couverture?departement=12&levier=mobilite")
    assert page.status_code == 200
    assert "Demande non satisfaite" in page.text and "Agen-d&#39;Aveyron" in page.text
    data = coordinator.get("/coordination/couverture.geojson?departement=12&levier=mobilite").get_json()
    agen = next(f["properties"] for f in data["features"] if f["properties"]["code_insee"] == "12001")
    assert agen["recherches_sans_resultat"] >= 3
    demand = coordinator.get("/coordination/demande?departement=12")
    assert demand.status_code == 200 and "louer une voiture" in demand.text
    matrix = coordinator.get("/coordination/matrice?departement=12")
    assert "rech." in matrix.text
