"""The OpenSearch backend against a real node: analysis, modules, alias swaps, outages."""
from __future__ import annotations

import socket
import time
import uuid

import pytest

from app.search.backend import SearchUnavailable
from app.search.query import SearchQuery
from tests.search.test_backends_agree import make_documents

pytestmark = pytest.mark.opensearch


@pytest.fixture(scope="module")
def url():
    from tests.opensearch_node import opensearch_url

    return opensearch_url()


@pytest.fixture
def make_backend(url):
    from app.search.opensearch import OpenSearchBackend

    made = []

    def make(**kwargs):
        backend = OpenSearchBackend(url, f"test-backend-{uuid.uuid4().hex[:8]}", timeout=30, **kwargs)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.drop()


@pytest.fixture(scope="module")
def docs():
    return make_documents(40, seed=7)


def tokens(backend, analyzer, text):
    answer = backend.client.indices.analyze(index=backend.alias, body={"analyzer": analyzer, "text": text})
    return [t["token"] for t in answer["tokens"]]


def test_modules_loaded(url):
    from opensearchpy import OpenSearch

    listed = OpenSearch(url).cat.plugins(format="json")
    components = {p["component"] for p in listed}
    for needed in ("org.opensearch.analysis.common.CommonAnalysisPlugin", "org.opensearch.geo.GeoModulePlugin",
                   "org.opensearch.index.mapper.MapperExtrasPlugin", "org.opensearch.painless.PainlessPlugin"):
        assert needed in components


def test_french_analysis_and_synonyms(make_backend, docs):
    backend = make_backend()
    backend.rebuild(docs)
    assert tokens(backend, "fr_index", "L'hébergement d'urgence") == ["heberg", "urgenc"]
    assert tokens(backend, "fr_index", "Jusqu’à l’Hôtel des Œuvres") == ["hotel", "oeuvr"], \
        "elision, folding, stop words"
    expanded = tokens(backend, "fr_search", "sdf")
    assert "sdf" in expanded and "heberg" in expanded and "115" in expanded, "synonym_graph at search time"
    assert tokens(backend, "fr_index", "sdf") == ["sdf"], "no synonyms at index time"
    assert tokens(backend, "fr_search", "mise à l'abri")[-2:] == ["mise", "abri"]


def test_rebuild_swaps_the_alias_and_removes_old_versions(make_backend, docs):
    backend = make_backend()
    assert backend.rebuild(docs) == len(docs)
    first = backend.current()
    assert len(first) == 1 and first[0].startswith(backend.alias + "-")
    assert backend.count() == len(docs)
    assert backend.rebuild(docs[:10]) == 10
    second = backend.current()
    assert len(second) == 1 and second != first, "the alias points to the newest index only"
    assert backend.versions() == second, "the old index is deleted"
    assert backend.count() == 10
    assert backend.search(SearchQuery(size=100)).total == 10


def test_keep_previous_version(make_backend, docs):
    backend = make_backend(keep_previous=1)
    for n in (5, 6, 7):
        backend.rebuild(docs[:n])
    versions = backend.versions()
    assert len(versions) == 2 and backend.current() == versions[-1:], "newest serves, the one before is kept"
    assert backend.count() == 7


def test_failed_rebuild_keeps_serving_the_old_index(make_backend, docs):
    backend = make_backend()
    backend.rebuild(docs[:5])
    before = backend.current()
    broken = [*docs[5:8], {**docs[8], "date_maj": "pas une date"}]
    with pytest.raises(SearchUnavailable, match="indexation refusée"):
        backend.rebuild(broken)
    assert backend.current() == before and backend.versions() == before, "new index deleted, alias untouched"
    assert backend.count() == 5


def test_pages_past_the_result_window(make_backend, docs):
    backend = make_backend(max_window=10)
    backend.rebuild(docs)
    beyond = backend.search(SearchQuery(page=9, size=5))
    assert beyond.hits == [] and beyond.total == len(docs), "past the end: empty page, true total"
    with pytest.raises(SearchUnavailable, match="page trop lointaine"):
        backend.search(SearchQuery(page=3, size=5))


def test_missing_alias_is_unavailable(make_backend):
    backend = make_backend()
    with pytest.raises(SearchUnavailable, match="absent"):
        backend.search(SearchQuery())
    with pytest.raises(SearchUnavailable):
        backend.count()
    assert backend.health()["status"] == "unavailable"


def test_closed_port_is_unavailable_fast():
    from app.search.opensearch import OpenSearchBackend

    backend = OpenSearchBackend("http://127.0.0.1:9", "reperes-services", timeout=2.0)
    for call in (lambda: backend.search(SearchQuery(q="emploi")), backend.count):
        start = time.monotonic()
        with pytest.raises(SearchUnavailable, match="indisponible"):
            call()
        assert time.monotonic() - start < 2.0 + 1
    assert backend.health() == {"backend": "opensearch", "status": "unavailable",
                                "error": "moteur de recherche indisponible : connexion impossible à "
                                         "http://127.0.0.1:9"}


def test_hung_node_times_out_once():
    """A node that accepts connections but never answers costs one timeout, not three."""
    from app.search.opensearch import OpenSearchBackend

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        backend = OpenSearchBackend(f"http://127.0.0.1:{port}", "reperes-services", timeout=0.5)
        start = time.monotonic()
        with pytest.raises(SearchUnavailable, match="pas de réponse"):
            backend.search(SearchQuery())
        assert time.monotonic() - start < 0.5 + 1


def test_an_index_named_like_the_alias_is_refused(make_backend, docs):
    backend = make_backend()
    backend.client.indices.create(index=backend.alias)
    try:
        with pytest.raises(SearchUnavailable, match="non un alias"):
            backend.rebuild(docs[:2])
    finally:
        backend.client.indices.delete(index=backend.alias)


def _count_requests(backend) -> list[dict]:
    """Record the bodies the backend sends (the real node still answers every one)."""
    sent: list[dict] = []
    real = backend._search

    def recording(body, filter_path=None):
        sent.append(body)
        return real(body, filter_path)

    backend._search = recording
    return sent


def test_term_statistics_are_read_once_per_index_build(make_backend, docs):
    """Row counts of terms are remembered: a repeated word costs no statistics request, and a
    rebuild behind the alias (another process's, here another backend object's) is noticed."""
    searching = make_backend()
    searching.rebuild(docs)
    query = SearchQuery(q="hébergement d'urgence", size=10)
    first = searching.search(query)
    sent = _count_requests(searching)
    again = searching.search(query)
    assert len(sent) == 2, "best text score and page only: the statistics are remembered"
    assert [(h.id, h.score) for h in again.hits] == [(h.id, h.score) for h in first.hits]

    # another process rebuilds the same alias with fewer documents: other row counts, other scores
    from app.search.opensearch import OpenSearchBackend

    builder = OpenSearchBackend(searching.url, searching.alias, timeout=30)
    builder.rebuild(docs[: len(docs) // 2])
    fresh = OpenSearchBackend(searching.url, searching.alias, timeout=30).search(query)
    sent.clear()
    after = searching.search(query)
    assert any("aggs" in body and "avgdl" in body["aggs"] for body in sent), "statistics read again"
    assert [(h.id, h.score) for h in after.hits] == [(h.id, h.score) for h in fresh.hits]
    assert after.total == fresh.total < first.total


def test_exclure_doublons_costs_no_request(make_backend):
    """``exclure_doublons`` is a filter on the indexed flag: one request without words, two with
    words (best text score, page) once the term statistics are known."""
    docs = make_documents(300)
    backend = make_backend()
    backend.rebuild(docs)
    sent = _count_requests(backend)
    everything = backend.search(SearchQuery(size=500))
    folded = backend.search(SearchQuery(size=500, exclure_doublons=True))
    assert len(sent) == 2, "one request each"
    assert folded.total == sum(1 for d in docs if d["best_duplicate"]) < everything.total
    assert {h.id for h in folded.hits} == {d["id"] for d in docs if d["best_duplicate"]}
    query = SearchQuery(q="hébergement d'urgence", size=500, exclure_doublons=True)
    backend.search(query)
    sent.clear()
    res = backend.search(query)
    assert len(sent) == 2 and all("collapse" not in body for body in sent)
    assert res.total and all(h.id in {h2.id for h2 in folded.hits} for h in res.hits)


def test_an_index_of_another_mapping_version_is_refused(make_backend, docs):
    """An index built by an older Repères lacks fields (or gives them another meaning): searching it
    would quietly return wrong results, so it answers 503 until ``reperes reindex``."""
    from app.search.opensearch import OpenSearchBackend

    backend = make_backend()
    backend.rebuild(docs)
    assert backend.search(SearchQuery(size=5)).total == len(docs)
    (index,) = backend.current()
    backend.client.indices.put_mapping(index=index, body={"_meta": {"mapping_version": "0"}})
    stale = OpenSearchBackend(backend.url, backend.alias, timeout=30)
    with pytest.raises(SearchUnavailable, match=r"mapping 0, attendu \d+ : lancer `reperes reindex`"):
        stale.search(SearchQuery(size=5))
    with pytest.raises(SearchUnavailable, match="reperes reindex"):
        stale.count()
    stale.rebuild(docs)
    assert stale.search(SearchQuery(size=5)).total == len(docs), "a rebuild serves again"
