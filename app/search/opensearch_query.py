"""OpenSearch index definition and query building: pure functions, no I/O.

The domain query (:class:`~app.search.query.SearchQuery`) becomes request bodies here; the
backend (:mod:`app.search.opensearch`) only sends them. Semantics follow the embedded backend
(:mod:`app.search.embedded`, reference implementation) rule for rule, see ``docs/search-backends.md``.

Text is indexed twice:

* ``text_all`` holds the **same pre-analysed stems** as the embedded FTS5 index (Snowball French
  from :mod:`app.core.text`: names ×3, labels ×2, body ×1, whitespace-split) and ``text_len`` the
  row's number of stems. Queries use the **same expanded terms** (:func:`app.search.lexicon.expand`:
  typed words, synonym phrases, inferred needs) and each term is scored with FTS5's own ``bm25()``
  formula from whole-index statistics (:func:`term_stats_body`). This is the default
  (``text_mode="stems"``): match sets, totals and facets are identical to the embedded backend's,
  and so are scores up to float32 rounding.
* ``names``, ``labels``, ``body`` hold the raw French text analysed by OpenSearch itself
  (elision, lowercase, asciifolding, French stop words, ``light_french``; ``synonym_graph`` from
  ``synonymes.txt`` at search time). ``text_mode="french"`` searches them with a ``multi_match``;
  its matches and ranking differ from the embedded backend's (``light_french`` ≠ Snowball,
  ``synonym_graph`` ≠ the lexicon's expansion), see ``docs/search-backends.md``.

A query without words is one request (:func:`search_body`). A query with words is sent in two:
the best text score of the result set (:func:`max_text_body`), then the page; the term statistics
(:func:`term_stats_body`) are asked once per index build and term. ``exclure_doublons`` is one more
filter clause (``best_duplicate``, decided per structure at index build), not another request.
Called alone, :func:`search_body` still gives a valid one-request approximation (saturated text
score, equal IDFs) — see its docstring.
"""
from __future__ import annotations

import math
from typing import Container, Mapping

from app.core import vocabularies as voc
from app.core.text import QUERY_ONLY_STOPWORDS, STOPWORDS, words
from app.search import ranking
from app.search.lexicon import SEARCH_DATA, expand
from app.search.plan import Plan, build_plan
from app.search.query import FACET_FIELDS, SearchHit, SearchQuery, SearchResult

#: bump when the mapping or the meaning of a field changes (stored in ``_meta``)
MAPPING_VERSION = "3"
ELISION_ARTICLES = ["l", "d", "qu", "j", "n", "s", "c", "m", "t", "jusqu", "lorsqu", "puisqu"]
KEYWORD_FIELDS = ("id", "source", "structure_id", "type", "thematiques", "categories", "publics", "frais",
                  "modes_accueil", "zone_eligibilite", "code_insee", "code_departement", "codes_rome")
TEXT_FIELDS = ("names", "labels", "body")
#: pre-analysed stems of each text field in a document (app.search.documents)
STEM_FIELDS = {"names": "text_names", "labels": "text_labels", "body": "text_body"}
#: the indexed stems: all three fields in one array, each repeated FIELD_BOOSTS times
STEMS_ALL = "text_all"
#: plan term prefix -> index field (see :func:`app.search.plan.document_terms`)
PREFIX_FIELDS = {"th": "thematiques", "cat": "categories", "pub": "publics", "frais": "frais",
                 "mode": "modes_accueil", "type": "type", "src": "source", "dep": "code_departement",
                 "com": "code_insee", "zone": "zone_eligibilite", "rome": "codes_rome"}
#: distance sort key of services without a distance (not en-presentiel, no point, out of range)
NO_DISTANCE = 1.0e12
#: default upper bound of ``from + size`` (``index.max_result_window``)
MAX_WINDOW = 100_000
#: facet buckets per field: more than any v1 vocabulary or source list holds
FACET_SIZE = 2_000
#: text score saturation constant, only used when the best text score is not known
TEXT_SATURATION = 5.0
TEXT_MODES = ("stems", "french")

_DISTANCE_KM = """
if (!doc['onsite'].value || doc['location'].size() == 0) { return params.none; }
double d = doc['location'].arcDistance(params.lat, params.lon) / 1000.0;
// metre precision, as the embedded backend sorts: equal places tie, and ties go to the id
return d <= params.r ? Math.round(d * 1000.0) / 1000.0 : params.none;
"""

# Similarity of ``text_all``: the raw frequency of a term or phrase. The field holds the names ×3,
# the labels ×2 and the body ×1, so this is FTS5's column-weighted frequency (Lucene sums the
# similarity over a phrase's words: the clause boost 1/len undoes that).
RAW_FREQUENCY = "return query.boost * doc.freq;"

# FTS5's bm25() (sqlite ext/fts5/fts5_aux.c) for one expanded term: k1 = 1.2, b = 0.75, the length
# is the row's number of stems (unweighted), the IDF and average length come from the whole index
# (:func:`term_stats_body`).
_FTS5_BM25 = """
double f = Math.round(_score);
double d = doc['text_len'].value;
return params.idf * (f * 2.2) / (f + 1.2 * (0.25 + 0.75 * d / params.avgdl));
"""

# The blend of ranking.py: text (normalised), need, proximity, quality, rounded like embedded.
_BLEND = """
double t = 0.0;
if (params.max_text > 0) { t = _score / (float) params.max_text; }
else if (_score > 0) { t = _score / (_score + params.k); }
double need = 0.0;
if (!params.needs.isEmpty()) {
  for (def v : doc['thematiques']) { if (params.needs.contains(v)) { need = 1.0; break; } }
}
double prox = 0.0;
if (params.place) {
  double d = -1.0;
  if (doc['onsite'].value && doc['location'].size() > 0) {
    double x = doc['location'].arcDistance(params.lat, params.lon) / 1000.0;
    if (x <= params.r) { d = x; }
  }
  if (d >= 0) { prox = Math.max(0.0, 1.0 - d / params.r); }
  else if (doc['remote'].value) { prox = params.remote; }
}
double s = params.w_text * t + params.w_need * need + params.w_prox * prox
         + params.w_quality * doc['score_qualite'].value;
return Math.round(s * 1000000.0) / 1000000.0;
"""


# -- index ------------------------------------------------------------------------------------
def synonym_rules(lines: list[str]) -> list[str]:
    """Solr synonym lines rewritten for the search analyzer.

    The analyzer drops stop words before ``synonym_graph``, so an entry holding one ("mise à
    l'abri") would fail to parse (a position hole) and be skipped; its stop words are removed
    here ("mise abri", which still matches "mise à l'abri" typed by a person). Entries left with a
    single word out of several ("à la rue" → "rue") would become far broader and are dropped.
    """
    rules = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        entries = []
        for entry in line.split(","):
            typed = words(entry)
            content = [w for w in typed if w not in STOPWORDS]
            if not content or (len(typed) > 1 and len(content) == 1):
                continue
            text = " ".join(content)
            if text not in entries:
                entries.append(text)
        if len(entries) > 1:
            rules.append(", ".join(entries))
    return rules


def default_synonyms() -> list[str]:
    return (SEARCH_DATA / "synonymes.txt").read_text(encoding="utf-8").splitlines()


def index_body(synonyms: list[str], *, shards: int = 1, replicas: int = 0,
               max_window: int = MAX_WINDOW) -> dict:
    """Settings and mappings of one versioned index (``synonyms``: lines of synonymes.txt)."""
    french = ["fr_elision", "lowercase", "asciifolding", "fr_stop", "fr_stemmer"]
    text = {"type": "text", "analyzer": "fr_index", "search_analyzer": "fr_search"}
    keyword = {"type": "keyword"}
    return {
        "settings": {
            "index": {"number_of_shards": shards, "number_of_replicas": replicas,
                      "max_result_window": max_window},
            "similarity": {"raw_frequency": {"type": "scripted", "script": {"source": RAW_FREQUENCY}}},
            "analysis": {
                "filter": {
                    "fr_elision": {"type": "elision", "articles_case": True, "articles": ELISION_ARTICLES},
                    # the folded stop list of app.core.text, so both engines ignore the same words
                    "fr_stop": {"type": "stop", "stopwords": sorted(STOPWORDS)},
                    "fr_stemmer": {"type": "stemmer", "language": "light_french"},
                    "fr_synonyms": {"type": "synonym_graph", "lenient": True,
                                    "synonyms": synonym_rules(synonyms)},
                },
                "analyzer": {
                    "fr_index": {"type": "custom", "tokenizer": "standard", "filter": french},
                    "fr_search": {"type": "custom", "tokenizer": "standard", "filter": [*french, "fr_synonyms"]},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"mapping_version": MAPPING_VERSION},
            "properties": {
                **{f: keyword for f in KEYWORD_FIELDS},
                "nom": {"type": "keyword", "index": False, "doc_values": False},
                "structure_nom": {"type": "keyword", "index": False, "doc_values": False},
                "zone_any": {"type": "boolean"},
                "onsite": {"type": "boolean"},
                "remote": {"type": "boolean"},
                # kept by exclure_doublons: no cluster, or its cluster's best structure (documents.py)
                "best_duplicate": {"type": "boolean"},
                # embedded counts a missing score as 0.0 (filter and ranking)
                "score_qualite": {"type": "float", "null_value": 0.0},
                "date_maj": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
                "location": {"type": "geo_point"},
                **{f: text for f in TEXT_FIELDS},
                # phrases never span two fields (position gap between array items)
                STEMS_ALL: {"type": "text", "analyzer": "whitespace", "similarity": "raw_frequency",
                            "norms": False, "position_increment_gap": 100},
                "text_len": {"type": "integer"},
            },
        },
    }


def to_source(doc: dict) -> dict:
    """The indexed ``_source`` of one document of :mod:`app.search.documents`."""
    modes = doc.get("modes_accueil") or []
    src = {f: doc.get(f) for f in KEYWORD_FIELDS}
    src.update(
        nom=doc.get("nom"), structure_nom=doc.get("structure_nom"),
        zone_any=not doc.get("zone_eligibilite"),
        onsite="en-presentiel" in modes, remote="a-distance" in modes,
        best_duplicate=bool(doc["best_duplicate"]),
        score_qualite=doc.get("score_qualite"), date_maj=doc.get("date_maj"),
    )
    if doc.get("lat") is not None and doc.get("lon") is not None:
        src["location"] = {"lat": doc["lat"], "lon": doc["lon"]}
    for f in TEXT_FIELDS:
        src[f] = doc.get(f) or ""
    stems = {f: doc.get(STEM_FIELDS[f]) or "" for f in TEXT_FIELDS}
    src[STEMS_ALL] = [stems[f] for f in TEXT_FIELDS for _ in range(_repeat(f))]
    src["text_len"] = sum(len(stems[f].split()) for f in TEXT_FIELDS)
    return src


def _repeat(field: str) -> int:
    boost = ranking.FIELD_BOOSTS[field]
    if boost != int(boost) or boost < 1:
        raise ValueError(f"ranking.FIELD_BOOSTS[{field!r}] must be a whole number for OpenSearch (got {boost})")
    return int(boost)


# -- query parts ------------------------------------------------------------------------------
def _any_of(terms) -> dict:
    """A plan group (``field:value`` terms, any of which matches) as a filter clause."""
    by_field: dict[str, list[str]] = {}
    for t in sorted(terms):
        prefix, value = t.split(":", 1)
        by_field.setdefault(PREFIX_FIELDS[prefix], []).append(value)
    clauses = [{"terms": {f: v}} for f, v in by_field.items()]
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def filters(query: SearchQuery, plan: Plan | None = None) -> list[dict]:
    """Every ``bool.filter`` clause: eligibility, proximity, vocabularies, départements, quality,
    duplicates."""
    plan = plan or build_plan(query)
    out: list[dict] = []
    place = query.place
    if place is not None:
        out.append({"bool": {"should": [
            {"geo_distance": {"distance": f"{query.rayon_km}km", "distance_type": "arc",
                              "location": {"lat": place.lat, "lon": place.lon}}},
            {"term": {"remote": True}},
        ], "minimum_should_match": 1}})
    if plan.zone_terms is not None:
        out.append({"bool": {"should": [
            {"term": {"zone_any": True}},
            {"terms": {"zone_eligibilite": sorted(z.split(":", 1)[1] for z in plan.zone_terms)}},
        ], "minimum_should_match": 1}})
    out += [_any_of(group) for group in plan.groups]
    if query.score_qualite_minimum is not None:
        out.append({"range": {"score_qualite": {"gte": query.score_qualite_minimum}}})
    if plan.exclude_duplicates:
        # data·inclusion: every service of a structure without cluster or best of its cluster
        out.append({"term": {"best_duplicate": True}})
    return out


def has_words(query: SearchQuery) -> bool:
    """Ranked by relevance (words that mean something) rather than by distance."""
    return build_plan(query).order == "relevance"


#: FTS5 statistics used when none are given: every term equally rare, an average-sized row
DEFAULT_STATS = {"n_docs": 0, "avgdl": 50.0, "idf": {}}


def _idf(n_docs: int, doc_freq: int) -> float:
    """FTS5's IDF: log((N - n + 0.5) / (n + 0.5)), 1e-6 when not positive."""
    return max(1e-6, math.log((n_docs - doc_freq + 0.5) / (doc_freq + 0.5)))


def _term_clause(stems: tuple[str, ...], stats: dict) -> dict:
    """One expanded term (a phrase of stems) in the weighted stems of all fields, scored as FTS5."""
    text = " ".join(stems)
    return {"script_score": {
        "query": {"match_phrase": {STEMS_ALL: {"query": text, "boost": 1.0 / len(stems)}}},
        "script": {"lang": "painless", "source": _FTS5_BM25,
                   "params": {"idf": stats["idf"].get(text, 1.0), "avgdl": stats["avgdl"] or 1.0}},
    }}


def term_stats_body(query: SearchQuery, known: Container[str] = ()) -> dict | None:
    """Whole-index statistics FTS5 scores with: documents, average length, rows per term.

    ``known``: terms whose row counts the caller already has for the current index (they are not
    asked again). ``None`` when there is nothing to ask: no term to score, or all known. One hit
    comes back too: its ``_index`` names the index version the figures belong to.
    """
    ask = [t for t in _term_texts(query) if t not in known]
    if not ask:
        return None
    aggs: dict = {f"t{i}": {"filter": {"match_phrase": {STEMS_ALL: t}}} for i, t in enumerate(ask)}
    aggs["avgdl"] = {"avg": {"field": "text_len"}}
    return {"size": 1, "_source": False, "track_total_hits": True, "query": {"match_all": {}}, "aggs": aggs}


def _term_texts(query: SearchQuery) -> list[str]:
    return [" ".join(t) for t in expand(query.q).terms]


def doc_freqs_from_response(query: SearchQuery, response: dict, known: Container[str] = ()) -> dict:
    """What :func:`term_stats_body` (with the same ``known``) brought back: ``n_docs``, ``avgdl``,
    ``doc_freq`` per asked term and ``index`` (the concrete index answering, None if empty)."""
    aggs = response["aggregations"]
    ask = [t for t in _term_texts(query) if t not in known]
    hits = (response.get("hits") or {}).get("hits") or []
    return {"n_docs": int(response["hits"]["total"]["value"]), "avgdl": float(aggs["avgdl"]["value"] or 0.0),
            "doc_freq": {t: int(aggs[f"t{i}"]["doc_count"]) for i, t in enumerate(ask)},
            "index": hits[0].get("_index") if hits else None}


def term_stats(query: SearchQuery, n_docs: int, avgdl: float, doc_freq: Mapping[str, int]) -> dict:
    """The ``term_stats`` option of the bodies, from whole-index counts."""
    return {"n_docs": n_docs, "avgdl": avgdl,
            "idf": {t: _idf(n_docs, doc_freq[t]) for t in _term_texts(query)}}


def term_stats_from_response(query: SearchQuery, response: dict) -> dict:
    got = doc_freqs_from_response(query, response)
    return term_stats(query, got["n_docs"], got["avgdl"], got["doc_freq"])


def _french_text(q: str) -> str:
    """The typed words OpenSearch analyses itself, minus those that only say "I need help"."""
    return " ".join(w for w in words(q) if w not in QUERY_ONLY_STOPWORDS)


def text_query(query: SearchQuery, plan: Plan | None = None, *, text_mode: str = "stems",
               term_stats: dict | None = None) -> dict:
    """Filters plus the match condition (text OR need) scoring the text part only.

    ``_score`` of this query is the text score (BM25); the need clause and the named clauses used
    for explanations are filter-only and add nothing to it.
    """
    if text_mode not in TEXT_MODES:
        raise ValueError(f"text_mode must be one of {TEXT_MODES}")
    plan = plan or build_plan(query)
    expanded = plan.expanded
    match: list[dict] = []
    if expanded.terms:
        if text_mode == "stems":
            match.append({"bool": {"should": [_term_clause(t, term_stats or DEFAULT_STATS) for t in expanded.terms]}})
        else:
            match.append({"multi_match": {
                "query": _french_text(query.q or ""), "type": "most_fields", "operator": "or",
                "fields": [f"{f}^{ranking.FIELD_BOOSTS[f]:g}" for f in TEXT_FIELDS]}})
    if expanded.needs:
        match.append({"bool": {"filter": [{"terms": {"thematiques": list(expanded.needs)}}], "_name": "need"}})
    # which expanded terms a hit holds (all stems, any order, any field: as embedded explains)
    named = [{"bool": {"filter": [{"term": {STEMS_ALL: s}} for s in t], "_name": f"w{i}"}}
             for i, t in enumerate(expanded.terms)]
    bool_query: dict = {"filter": filters(query, plan)}
    if match:
        bool_query["must"] = [match[0] if len(match) == 1 else
                              {"bool": {"should": match, "minimum_should_match": 1}}]
    if named:
        bool_query["should"] = named
    return {"bool": bool_query}


def _distance_script(query: SearchQuery) -> dict:
    place = query.place
    return {"lang": "painless", "source": _DISTANCE_KM,
            "params": {"lat": place.lat, "lon": place.lon, "r": float(query.rayon_km), "none": NO_DISTANCE}}


def _blend_script(query: SearchQuery, plan: Plan, max_text: float | None) -> dict:
    place = query.place
    return {"lang": "painless", "source": _BLEND, "params": {
        "max_text": float(max_text) if max_text is not None else 0.0, "k": TEXT_SATURATION,
        "needs": list(plan.expanded.needs),
        "place": place is not None, "lat": place.lat if place else 0.0, "lon": place.lon if place else 0.0,
        "r": float(query.rayon_km), "remote": ranking.REMOTE_PROXIMITY,
        "w_text": ranking.WEIGHTS["text"], "w_need": ranking.WEIGHTS["need"],
        "w_prox": ranking.WEIGHTS["proximity"], "w_quality": ranking.WEIGHTS["quality"],
    }}


def _sort(query: SearchQuery, relevance: bool) -> list:
    out: list = ["_score"] if relevance else []
    if query.place is not None:
        out.append({"_script": {"type": "number", "order": "asc", "script": _distance_script(query)}})
    out.append({"id": "asc"})
    return out


def _facet_aggs(query: SearchQuery) -> dict:
    if not query.facets:
        return {}
    return {name: {"terms": {"field": field, "size": FACET_SIZE}} for name, field in FACET_FIELDS.items()}


# -- request bodies ---------------------------------------------------------------------------
#: ``filter_path`` of the best-text-score request: only the score is read
MAX_TEXT_FILTER_PATH = "hits.hits._score"


def max_text_body(query: SearchQuery, *, text_mode: str = "stems",
                  term_stats: dict | None = None) -> dict:
    """The best text score among the matching documents (normalises the text part of the blend)."""
    return {"query": text_query(query, text_mode=text_mode, term_stats=term_stats), "size": 1,
            "stored_fields": "_none_", "track_total_hits": False}


def max_text_from_response(response: dict) -> float:
    hits = (response.get("hits") or {}).get("hits") or []
    return float(hits[0].get("_score") or 0.0) if hits else 0.0


def search_body(query: SearchQuery, *, max_text: float | None = None,
                text_mode: str = "stems", term_stats: dict | None = None) -> dict:
    """The domain query as one ``_search`` body.

    ``max_text``: best text score of the result set (from :func:`max_text_body`); when omitted the
    text score is saturated, ``s / (s + 5)``, instead of divided by the best one (an approximation).
    """
    plan = build_plan(query)
    relevance = plan.order == "relevance"
    inner = text_query(query, plan, text_mode=text_mode, term_stats=term_stats)
    body: dict = {
        "from": plan.offset, "size": plan.limit, "track_total_hits": True,
        "_source": ["remote", "score_qualite"],
        "sort": _sort(query, relevance),
    }
    if relevance:
        body["query"] = {"script_score": {"query": inner, "script": _blend_script(query, plan, max_text)}}
    else:
        body["query"] = inner
    if query.place is not None:
        body["script_fields"] = {"distance_km": {"script": _distance_script(query)}}
    aggs = _facet_aggs(query)
    if aggs:
        body["aggs"] = aggs
    return body


# -- response ---------------------------------------------------------------------------------
def _distance(hit: dict) -> float | None:
    values = (hit.get("fields") or {}).get("distance_km")
    if not values or values[0] is None or values[0] >= NO_DISTANCE:
        return None
    return round(float(values[0]), 3)


def hits_from_response(query: SearchQuery, response: dict) -> SearchResult:
    """The answer of :func:`search_body` in domain words (ids, scores, distances, explanations)."""
    plan = build_plan(query)
    relevance = plan.order == "relevance"
    expanded = plan.expanded
    need_labels = [voc.label("thematiques", t) for t in sorted(expanded.needs)]
    hits = []
    for hit in response["hits"]["hits"]:
        matched = set(hit.get("matched_queries") or ())
        source = hit.get("_source") or {}
        dist = _distance(hit)
        quality = source.get("score_qualite")
        hits.append(SearchHit(
            id=hit["_id"],
            score=round(float(hit["_score"]), 4) if relevance and hit.get("_score") is not None else None,
            distance_km=dist,
            explanation=ranking.explain(
                words=[label for i, label in enumerate(expanded.term_labels) if f"w{i}" in matched]
                if relevance else [],
                need_labels=need_labels if relevance and "need" in matched else [],
                distance_km=dist, remote=bool(source.get("remote")),
                quality=float(quality if quality is not None else 0.0) if relevance else None),
        ))
    aggs = response.get("aggregations") or {}
    total = int(response["hits"]["total"]["value"])
    facets = {}
    if query.facets:
        facets = {name: {b["key"]: int(b["doc_count"]) for b in aggs.get(name, {}).get("buckets", [])}
                  for name in FACET_FIELDS}
    return SearchResult(hits=hits, total=total, facets=facets, inferred_thematiques=expanded.needs)
