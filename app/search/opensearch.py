"""The OpenSearch backend: a versioned index behind an alias, queried with opensearch-py.

* ``rebuild`` creates ``<alias>-<UTC timestamp>``, bulk-loads it, then moves the alias in one
  atomic ``_aliases`` call and deletes the older versions: searches see the old index or the new
  one, never half of one.
* ``search`` sends the bodies of :mod:`app.search.opensearch_query`: one request without words;
  with words two (best text score, then the page), plus the term statistics the first time a
  term is searched on an index build. ``exclure_doublons`` is a filter clause, no extra request.
* Any connection error, timeout, missing alias or engine error raises
  :class:`~app.search.backend.SearchUnavailable` (the API answers 503): an outage never looks like
  an empty result.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from typing import Iterable, Iterator

from opensearchpy import OpenSearch
from opensearchpy.exceptions import (ConnectionError as OSConnectionError, ConnectionTimeout, NotFoundError,
                                     OpenSearchException, TransportError)
from opensearchpy.helpers import BulkIndexError, streaming_bulk

from app.search import opensearch_query as osq
from app.search.backend import SearchBackend, SearchUnavailable
from app.search.lexicon import expand
from app.search.query import SearchQuery, SearchResult

CHUNK_SIZE = 2000
MAX_CHUNK_BYTES = 10 * 1024 * 1024
#: requests that build an index are slower than searches (bulk chunks, index creation)
BUILD_TIMEOUT = 120.0
#: merging a fresh build into one segment per shard takes longer on a large index
MERGE_TIMEOUT = 900.0


class _TermStatsCache:
    """Row counts of terms in one index build (they change only when the alias moves)."""

    MAX_TERMS = 50_000

    def __init__(self) -> None:
        self.reset(None)

    def reset(self, index: str | None) -> None:
        self.index = index
        self.n_docs, self.avgdl = 0, 0.0
        self.doc_freq: dict[str, int] = {}

    def remember(self, doc_freq: dict[str, int]) -> None:
        if len(self.doc_freq) + len(doc_freq) > self.MAX_TERMS:
            self.doc_freq = {}
        self.doc_freq.update(doc_freq)


class OpenSearchBackend(SearchBackend):
    name = "opensearch"

    def __init__(self, url: str, alias: str, timeout: float = 5.0, *, shards: int = 1, replicas: int = 0,
                 keep_previous: int = 0, text_mode: str = "stems", max_window: int = osq.MAX_WINDOW,
                 synonyms: list[str] | None = None) -> None:
        if text_mode not in osq.TEXT_MODES:
            raise ValueError(f"text_mode must be one of {osq.TEXT_MODES}")
        self.url = url
        self.alias = alias
        self.timeout = float(timeout)
        self.shards, self.replicas = shards, replicas
        self.keep_previous = keep_previous
        self.text_mode = text_mode
        self.max_window = max_window
        self._synonyms = synonyms
        # Connection errors (refused, reset) are retried twice; a timed-out request is not, so a
        # hung node costs one ``timeout`` before the 503, not three.
        # (no http_compress: gzip costs more than it saves on a local network, 3x on large answers)
        self.client = OpenSearch(hosts=[url], timeout=self.timeout, max_retries=2, retry_on_timeout=False)
        self._version_re = re.compile(re.escape(alias) + r"-\d{8}t\d{12}")
        self._stats = _TermStatsCache()
        self._mapping_checked_at = -float("inf")

    # -- errors -----------------------------------------------------------------------------
    def _unavailable(self, exc: Exception) -> SearchUnavailable:
        if isinstance(exc, ConnectionTimeout):
            msg = f"moteur de recherche indisponible : pas de réponse en {self.timeout:g} s ({self.url})"
        elif isinstance(exc, OSConnectionError):
            msg = f"moteur de recherche indisponible : connexion impossible à {self.url}"
        elif isinstance(exc, NotFoundError):
            msg = f"index de recherche absent (alias « {self.alias} ») : lancer `reperes reindex`"
        elif isinstance(exc, TransportError):
            msg = f"moteur de recherche indisponible : erreur {exc.status_code} ({exc.error})"
        else:
            msg = f"moteur de recherche indisponible : {exc}"
        return SearchUnavailable(msg)

    def _search(self, body: dict, filter_path: str | None = None) -> dict:
        try:
            return self.client.search(index=self.alias, body=body, request_timeout=self.timeout,
                                      filter_path=filter_path)
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc

    # -- building ---------------------------------------------------------------------------
    def versions(self) -> list[str]:
        """Concrete indices built for this alias, oldest first."""
        try:
            names = self.client.indices.get(index=f"{self.alias}-*", expand_wildcards="open,closed",
                                            request_timeout=self.timeout)
        except NotFoundError:
            return []
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc
        return sorted(n for n in names if self._version_re.fullmatch(n))

    def current(self) -> list[str]:
        """Indices the alias points to now (one, except during a manual repair)."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias, request_timeout=self.timeout))
        except NotFoundError:
            return []
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc

    def _actions(self, index: str, documents: Iterable[dict]) -> Iterator[dict]:
        for doc in documents:
            yield {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": osq.to_source(doc)}

    def rebuild(self, documents: Iterable[dict]) -> int:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dt%H%M%S%f")
        index = f"{self.alias}-{stamp}"
        body = osq.index_body(self._synonyms if self._synonyms is not None else osq.default_synonyms(),
                              shards=self.shards, replicas=0, max_window=self.max_window)
        # bulk-load without replicas nor refreshes; both are restored before the swap
        body["settings"]["index"]["refresh_interval"] = "-1"
        try:
            if self.client.indices.exists(index=self.alias) and not self.client.indices.exists_alias(name=self.alias):
                raise SearchUnavailable(f"« {self.alias} » est un index et non un alias : le supprimer d'abord")
            self.client.indices.create(index=index, body=body, request_timeout=BUILD_TIMEOUT)
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc
        count = 0
        try:
            for ok, _item in streaming_bulk(self.client, self._actions(index, documents), chunk_size=CHUNK_SIZE,
                                            max_chunk_bytes=MAX_CHUNK_BYTES, raise_on_error=True,
                                            max_retries=2, request_timeout=BUILD_TIMEOUT):
                count += ok
            # a build is read-only until the next one: one segment per shard searches fastest
            # (200,000 services, make bench: p50 with words 16.3 → 14.5 ms for a few seconds of build)
            self.client.indices.refresh(index=index, request_timeout=BUILD_TIMEOUT)
            self.client.indices.forcemerge(index=index, max_num_segments=1, request_timeout=MERGE_TIMEOUT)
            self.client.indices.put_settings(
                index=index, body={"index": {"refresh_interval": None, "number_of_replicas": self.replicas}},
                request_timeout=BUILD_TIMEOUT)
            self.client.indices.refresh(index=index, request_timeout=BUILD_TIMEOUT)
            self._swap(index)
        except BaseException as exc:
            self._drop_quietly(index)
            if isinstance(exc, BulkIndexError):
                first = exc.errors[0] if exc.errors else {}
                raise SearchUnavailable(f"indexation refusée pour {len(exc.errors)} document(s) : {first}") from exc
            if isinstance(exc, OpenSearchException):
                raise self._unavailable(exc) from exc
            raise
        self._prune(index)
        return count

    def _swap(self, index: str) -> None:
        """Point the alias at ``index`` only, in one atomic call."""
        actions = [{"remove": {"index": old, "alias": self.alias}} for old in self.current() if old != index]
        actions.append({"add": {"index": index, "alias": self.alias}})
        self.client.indices.update_aliases(body={"actions": actions}, request_timeout=BUILD_TIMEOUT)
        self._stats.reset(None)
        self._mapping_checked_at = -float("inf")

    def _prune(self, current: str) -> None:
        older = [v for v in self.versions() if v < current and v not in self.current()]
        doomed = older[:len(older) - self.keep_previous] if self.keep_previous else older
        for name in doomed:
            self._drop_quietly(name)

    def _drop_quietly(self, index: str) -> None:
        try:
            self.client.indices.delete(index=index, ignore_unavailable=True, request_timeout=BUILD_TIMEOUT)
        except OpenSearchException:
            pass

    def drop(self) -> None:
        """Delete the alias and every version of it (tests, decommissioning)."""
        for name in sorted(set(self.versions()) | set(self.current())):
            self._drop_quietly(name)

    # -- searching --------------------------------------------------------------------------
    def count(self) -> int:
        self._ensure_mapping(force=True)
        try:
            return int(self.client.count(index=self.alias, request_timeout=self.timeout)["count"])
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc

    #: seconds between two checks that the alias serves an index of the current mapping
    MAPPING_CHECK_INTERVAL = 60.0

    def _ensure_mapping(self, force: bool = False) -> None:
        """Refuse an index built with another mapping version (fields missing or meaning something
        else would silently give wrong results): 503 until ``reperes reindex``. Checked at most once
        a minute, and on every ``count`` (health, bootstrap)."""
        now = time.monotonic()
        if not force and now - self._mapping_checked_at < self.MAPPING_CHECK_INTERVAL:
            return
        try:
            answer = self.client.indices.get_mapping(index=self.alias, request_timeout=self.timeout,
                                                     filter_path="*.mappings._meta")
        except OpenSearchException as exc:
            raise self._unavailable(exc) from exc
        versions = {str(((body.get("mappings") or {}).get("_meta") or {}).get("mapping_version"))
                    for body in (answer or {}).values()}
        if versions != {osq.MAPPING_VERSION}:
            raise SearchUnavailable(f"index de recherche construit avec le mapping {', '.join(sorted(versions))}, "
                                    f"attendu {osq.MAPPING_VERSION} : lancer `reperes reindex`")
        self._mapping_checked_at = now

    def search(self, query: SearchQuery) -> SearchResult:
        """One to three requests: term statistics (words, unless remembered), the best text score
        (words), then the page."""
        self._ensure_mapping()
        result, answered_by = self._search_once(query)
        if answered_by and self._stats.index is not None and self._stats.index not in answered_by:
            # the alias moved to a new build since the statistics were read: read them again
            self._stats.reset(None)
            result, _ = self._search_once(query)
        return result

    def _search_once(self, query: SearchQuery) -> tuple[SearchResult, set[str]]:
        options: dict = {"text_mode": self.text_mode}
        relevance = osq.has_words(query)
        if relevance and self.text_mode == "stems" and expand(query.q).terms:
            options["term_stats"] = self._term_stats(query)
        max_text = None
        if relevance:
            max_text = osq.max_text_from_response(self._search(osq.max_text_body(query, **options),
                                                               osq.MAX_TEXT_FILTER_PATH))
        body = osq.search_body(query, max_text=max_text, **options)
        if body["from"] + body["size"] > self.max_window:
            return self._past_the_window(query, body), set()
        answer = self._search(body)
        return osq.hits_from_response(query, answer), {h.get("_index") for h in answer["hits"]["hits"]}

    def _term_stats(self, query: SearchQuery) -> dict:
        """FTS5's whole-index statistics for the query's terms; row counts are remembered per
        index build, so a term costs a request only the first time it is searched."""
        cache = self._stats
        known = cache.doc_freq if cache.index is not None else {}
        body = osq.term_stats_body(query, known)
        if body is not None:
            got = osq.doc_freqs_from_response(query, self._search(body), known)
            if got["index"] != cache.index:
                cache.reset(got["index"])
                if known:  # counts remembered from the previous build are gone: ask for every term
                    return self._term_stats(query)
            cache.n_docs, cache.avgdl = got["n_docs"], got["avgdl"]
            cache.remember(got["doc_freq"])
        return osq.term_stats(query, cache.n_docs, cache.avgdl, cache.doc_freq)

    def _past_the_window(self, query: SearchQuery, body: dict) -> SearchResult:
        """A page beyond ``max_window`` results: empty past the end (as embedded), else refused."""
        counted = osq.hits_from_response(query, self._search({**body, "from": 0, "size": 0}))
        if body["from"] >= counted.total:
            return counted
        raise SearchUnavailable(f"page trop lointaine : au-delà des {self.max_window} premiers résultats, "
                                "préciser la recherche")
