"""On the bundled real data, the same filtered query gives the same totals and ids on both backends."""
from __future__ import annotations

import uuid

import pytest

from app.core.db import session_scope
from app.core.geo import geography
from app.search import Place, SearchQuery
from app.search.documents import iter_documents
from app.search.embedded import EmbeddedBackend

pytestmark = pytest.mark.opensearch

TOWNS = ("12202", "81004", "11069", "97411")
FILTERS = [
    {},
    {"thematiques": ("numerique",)},
    {"thematiques": ("famille--garde-denfants", "mobilite")},
    {"publics": ("jeunes",), "frais": ("gratuit",)},
    {"modes_accueil": ("en-presentiel",), "score_qualite_minimum": 0.5},
    {"exclure_doublons": True},
    {"thematiques": ("numerique",), "exclure_doublons": True},
    {"q": "aide aux démarches administratives"},
    {"q": "aide aux démarches administratives", "exclure_doublons": True},
]


@pytest.fixture(scope="module")
def backends(settings, ingested):
    from app.search.opensearch import OpenSearchBackend
    from tests.opensearch_node import opensearch_url

    embedded = EmbeddedBackend(settings.search_index_path)
    remote = OpenSearchBackend(opensearch_url(), f"test-real-{uuid.uuid4().hex[:8]}", timeout=30)
    with session_scope(settings.database_url) as session:
        remote.rebuild(iter_documents(session))
    yield embedded, remote
    remote.drop()


def _all(backend, query: SearchQuery) -> tuple[int, list[str]]:
    first = backend.search(query)
    ids = [h.id for h in first.hits]
    page = 1
    while len(ids) < first.total:
        page += 1
        ids += [h.id for h in backend.search(SearchQuery(**{**query.__dict__, "page": page})).hits]
    return first.total, ids


@pytest.mark.parametrize("code", TOWNS)
def test_same_totals_and_ids_around_each_town(backends, code):
    embedded, remote = backends
    c = geography().commune(code)
    place = Place(c.lat, c.lon, c.zone_codes, c.code_insee)
    assert embedded.count() == remote.count()
    for filters in FILTERS:
        query = SearchQuery(place=place, size=500, facets=False, **filters)
        total_e, ids_e = _all(embedded, query)
        total_o, ids_o = _all(remote, query)
        assert total_e == total_o > 0, (code, filters)
        assert set(ids_e) == set(ids_o), (code, filters)
        if "q" not in filters:
            assert ids_e == ids_o, "same order without words"
