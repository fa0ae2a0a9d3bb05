"""The ready-made service JSON of search pages (app/api/fragments.py): same answer as the schema,
never stale after an update, on both databases."""
from __future__ import annotations

from sqlalchemy import select, update

from app.api.routes import _service_dict
from app.api.schemas import SearchPageSchema
from app.core.db import session_scope
from app.core.models import Service, Structure

URL = "/api/v1/search/services"


def _schema_dump(settings, page: dict) -> dict:
    """The page as marshmallow's SearchPageSchema writes it from ORM rows (the former path)."""
    ids = [item["service"]["id"] for item in page["items"]]
    with session_scope(settings.database_url) as session:
        rows = {s.id: s for s in session.scalars(select(Service).where(Service.id.in_(ids))).unique()}
        items = [{**item, "service": _service_dict(rows[item["service"]["id"]])} for item in page["items"]]
        return SearchPageSchema().dump({**page, "items": items})


def test_pages_equal_the_schema_dump_cold_and_warm(app, client, settings):
    cache = app.extensions["reperes.api_json"]
    for params in ({"code_commune": "12202", "size": 30}, {"code_commune": "97411", "q": "garde d'enfants"},
                   {"code_commune": "81004", "thematiques": "numerique", "exclure_doublons": "true"}):
        cold = client.get(URL, query_string=params)
        hits_before = cache.hits
        warm = client.get(URL, query_string=params)
        assert cold.status_code == warm.status_code == 200
        assert cold.get_json() == warm.get_json() == _schema_dump(settings, warm.get_json())
        assert cache.hits - hits_before == len(warm.get_json()["items"]) > 0, "second page from the cache"


def test_an_updated_service_or_structure_is_never_served_stale(client, settings):
    params = {"code_commune": "12202", "size": 5}
    first = client.get(URL, query_string=params).get_json()["items"][0]["service"]
    with session_scope(settings.database_url) as session:
        old = session.execute(select(Service.telephone, Service.content_hash, Structure.nom, Structure.content_hash)
                              .join(Structure).where(Service.id == first["id"])).one()
        session.execute(update(Service).where(Service.id == first["id"])
                        .values(telephone="+33500000000", content_hash="changed-by-test"))
    try:
        again = client.get(URL, query_string=params).get_json()["items"][0]["service"]
        assert again["id"] == first["id"] and again["telephone"] == "+33500000000"
        with session_scope(settings.database_url) as session:
            session.execute(update(Structure).where(Structure.id == first["structure_id"])
                            .values(nom="Nom changé par le test", content_hash="changed-by-test"))
        again = client.get(URL, query_string=params).get_json()["items"][0]["service"]
        assert again["structure"]["nom"] == "Nom changé par le test"
    finally:
        with session_scope(settings.database_url) as session:
            session.execute(update(Service).where(Service.id == first["id"])
                            .values(telephone=old[0], content_hash=old[1]))
            session.execute(update(Structure).where(Structure.id == first["structure_id"])
                            .values(nom=old[2], content_hash=old[3]))
    restored = client.get(URL, query_string=params).get_json()["items"][0]["service"]
    assert restored == first
