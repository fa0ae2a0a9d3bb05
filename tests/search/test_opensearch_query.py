"""Query building for OpenSearch, checked on the request bodies alone (no node)."""
from __future__ import annotations

import json
import math

import pytest

from app.core import vocabularies as voc
from app.search import opensearch_query as osq
from app.search.query import FACET_FIELDS, Place, SearchQuery

HERE = Place(44.35, 2.57, ("12202", "12", "241200187", "france", "99100"), "12202")
SUB = "numerique--acceder-a-des-services-en-ligne"


def walk(node):
    """Every dict inside a body."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def clauses(body, kind):
    return [d[kind] for d in walk(body) if kind in d]


def terms_on(body, field):
    return [t[field] for t in clauses(body, "terms") if field in t]


def test_no_parameter_no_filter():
    body = osq.search_body(SearchQuery())
    assert body["query"] == {"bool": {"filter": []}}
    assert body["sort"] == [{"id": "asc"}], "without a place: by id"
    assert body["track_total_hits"] is True
    assert (body["from"], body["size"]) == (0, 20)
    assert "collapse" not in body and not clauses(body, "geo_distance")


def test_pagination():
    body = osq.search_body(SearchQuery(page=3, size=7))
    assert (body["from"], body["size"]) == (14, 7)


@pytest.mark.parametrize("kwargs, field, values", [
    ({"frais": ("gratuit",)}, "frais", ["gratuit"]),
    ({"modes_accueil": ("a-distance",)}, "modes_accueil", ["a-distance"]),
    ({"types": ("atelier", "formation")}, "type", ["atelier", "formation"]),
    ({"sources": ("dora",)}, "source", ["dora"]),
    ({"departements": ("12", "81")}, "code_departement", ["12", "81"]),
    ({"publics": ("jeunes",)}, "publics", ["jeunes", voc.TOUS_PUBLICS]),
])
def test_each_filter(kwargs, field, values):
    body = osq.search_body(SearchQuery(**kwargs))
    assert terms_on(body["query"]["bool"]["filter"], field) == [values]


def test_communes_filter_when_supported():
    if "communes" not in SearchQuery.__dataclass_fields__:
        pytest.skip("SearchQuery has no communes")
    body = osq.search_body(SearchQuery(communes=("12202",)))
    assert terms_on(body, "code_insee") == [["12202"]]


def test_tous_publics_added():
    body = osq.search_body(SearchQuery(publics=("seniors",)))
    (values,) = terms_on(body, "publics")
    assert set(values) == {"seniors", "tous-publics"}


def test_category_vs_subtheme():
    assert terms_on(osq.search_body(SearchQuery(thematiques=("numerique",))), "categories") == [["numerique"]]
    assert not terms_on(osq.search_body(SearchQuery(thematiques=("numerique",))), "thematiques")
    assert terms_on(osq.search_body(SearchQuery(thematiques=(SUB,))), "thematiques") == [[SUB]]
    mixed = osq.search_body(SearchQuery(thematiques=("famille", SUB)))
    (group,) = [c for c in mixed["query"]["bool"]["filter"] if "bool" in c]
    assert group["bool"]["minimum_should_match"] == 1, "one group: a category OR a sub-theme"
    assert terms_on(group, "categories") == [["famille"]] and terms_on(group, "thematiques") == [[SUB]]


def test_score_minimum():
    body = osq.search_body(SearchQuery(score_qualite_minimum=0.7))
    assert clauses(body, "range") == [{"score_qualite": {"gte": 0.7}}]


def test_place_filters_eligibility_and_radius():
    body = osq.search_body(SearchQuery(place=HERE, rayon_km=12.5))
    (geo,) = clauses(body["query"], "geo_distance")
    assert geo["distance"] == "12.5km" and geo["location"] == {"lat": 44.35, "lon": 2.57}
    proximity = next(c for c in body["query"]["bool"]["filter"] if geo in [x.get("geo_distance") for x in
                                                                           c["bool"]["should"]])
    assert {"term": {"remote": True}} in proximity["bool"]["should"], "remote services are kept"
    assert terms_on(body, "zone_eligibilite") == [sorted(HERE.zone_codes)]
    assert {"term": {"zone_any": True}} in list(walk(body)), "no zone = eligible everywhere"
    assert "_script" in body["sort"][0] and body["sort"][-1] == {"id": "asc"}, "distance, then id"
    assert "distance_km" in body["script_fields"]


def test_place_without_zones_has_no_eligibility_filter():
    body = osq.search_body(SearchQuery(place=Place(44.35, 2.57)))
    assert clauses(body["query"], "geo_distance") and not terms_on(body, "zone_eligibilite")


def test_no_geo_without_place():
    body = osq.search_body(SearchQuery(q="emploi", thematiques=(SUB,)))
    assert not clauses(body, "geo_distance") and "script_fields" not in body
    assert not any("_script" in s for s in body["sort"] if isinstance(s, dict))


def test_words_make_a_blend_of_text_need_proximity_quality():
    body = osq.search_body(SearchQuery(q="je dors dans ma voiture", place=HERE), max_text=7.5)
    score = body["query"]["script_score"]
    params = score["script"]["params"]
    assert params["max_text"] == 7.5 and params["w_text"] == 0.45 and params["remote"] == 0.4
    assert params["needs"], "lay words infer a need"
    assert body["sort"][0] == "_score"
    inner = score["query"]["bool"]
    (match,) = inner["must"]
    assert match["bool"]["minimum_should_match"] == 1, "text OR need"
    need = [c for c in match["bool"]["should"] if c.get("bool", {}).get("_name") == "need"]
    assert need and terms_on(need, "thematiques") == [params["needs"]]
    phrases = clauses(match, "match_phrase")
    assert phrases and all(list(p) == ["text_all"] for p in phrases), "the weighted stems of every field"
    assert len(clauses(match, "script_score")) == len(phrases), "each term scored as FTS5 does"
    assert all(c["bool"]["_name"].startswith("w") for c in inner["should"]), "named clauses explain"


def test_french_mode_uses_the_analysed_fields():
    body = osq.search_body(SearchQuery(q="aide pour garder mon enfant"), text_mode="french")
    (mm,) = [m for m in clauses(body["query"], "multi_match") if "operator" in m]
    assert mm["fields"] == ["names^3", "labels^2", "body^1"] and mm["operator"] == "or"
    assert "aide" not in mm["query"].split(), "words that only ask for help are left out"
    with pytest.raises(ValueError):
        osq.search_body(SearchQuery(q="x"), text_mode="klingon")


def test_words_of_stop_words_only_order_by_distance():
    body = osq.search_body(SearchQuery(q="aide", place=HERE))
    assert "script_score" not in body["query"]


def test_exclure_doublons_is_a_filter_on_the_flag():
    flag = {"term": {"best_duplicate": True}}
    for query in (SearchQuery(place=HERE, exclure_doublons=True),
                  SearchQuery(q="garde d'enfants", exclure_doublons=True, thematiques=("famille",))):
        body = osq.search_body(query, max_text=1.0)
        assert flag in clauses(body, "filter")[0], "one more bool.filter clause"
        assert "collapse" not in body and "cardinality" not in str(body)
        assert set(body.get("aggs", {})) == set(FACET_FIELDS), "facets over the filtered set"
        assert flag in clauses(osq.max_text_body(query), "filter")[0], "best text score of the filtered set"
    assert flag not in list(walk(osq.search_body(SearchQuery(place=HERE)))), "only when asked"


def test_facet_aggregations():
    body = osq.search_body(SearchQuery())
    assert set(body["aggs"]) == set(FACET_FIELDS)
    assert body["aggs"]["types"]["terms"]["field"] == "type"
    assert all(a["terms"]["size"] >= 1000 for a in body["aggs"].values())
    assert "aggs" not in osq.search_body(SearchQuery(facets=False))


def test_bodies_are_json():
    for q in (SearchQuery(q="garde d'enfants", place=HERE, exclure_doublons=True, publics=("familles",)),):
        json.dumps(osq.search_body(q))
        json.dumps(osq.max_text_body(q))


def test_index_body():
    body = osq.index_body(osq.default_synonyms(), shards=2, replicas=1)
    settings = body["settings"]
    assert settings["index"]["number_of_shards"] == 2 and settings["index"]["number_of_replicas"] == 1
    analysis = settings["analysis"]
    assert analysis["filter"]["fr_elision"]["articles"] == osq.ELISION_ARTICLES
    assert analysis["analyzer"]["fr_search"]["filter"][-1] == "fr_synonyms"
    assert "fr_synonyms" not in analysis["analyzer"]["fr_index"]["filter"]
    assert analysis["filter"]["fr_stemmer"]["language"] == "light_french"
    props = body["mappings"]["properties"]
    assert props["location"] == {"type": "geo_point"}
    assert props["names"]["search_analyzer"] == "fr_search"
    for field in ("thematiques", "categories", "publics", "frais", "modes_accueil", "type", "source",
                  "zone_eligibilite", "code_departement", "id"):
        assert props[field] == {"type": "keyword"}
    assert props["zone_any"]["type"] == props["onsite"]["type"] == props["best_duplicate"]["type"] == "boolean"
    assert body["mappings"]["_meta"]["mapping_version"] == osq.MAPPING_VERSION


def test_synonym_rules_drop_stop_words():
    rules = osq.synonym_rules(["# comment", "hebergement, mise a l'abri, a la rue", "seul", "code de la route, permis"])
    assert rules == ["hebergement, mise abri", "code route, permis"]


def test_to_source():
    doc = {"id": "s--1", "source": "s", "structure_id": "s--st", "nom": "N", "structure_nom": None, "type": None,
           "thematiques": [SUB], "categories": ["numerique"], "publics": [], "frais": [],
           "modes_accueil": ["a-distance"], "zone_eligibilite": None, "score_qualite": None, "best_duplicate": False,
           "date_maj": None, "lat": None, "lon": 2.0, "code_insee": None, "code_departement": None,
           "text_names": "n", "text_labels": "", "text_body": "", "names": "N", "labels": "", "body": ""}
    src = osq.to_source(doc)
    assert "location" not in src, "no point without both coordinates"
    assert src["zone_any"] is True and src["remote"] is True and src["onsite"] is False
    assert src["best_duplicate"] is False
    doc.update(lat=44.0, zone_eligibilite=["12"])
    src = osq.to_source(doc)
    assert src["location"] == {"lat": 44.0, "lon": 2.0} and src["zone_any"] is False
    assert src["names"] == "N"
    assert src["text_all"] == ["n", "n", "n", "", "", ""], "names ×3, labels ×2, body ×1"
    assert src["text_len"] == 1, "FTS5's row length: stems counted once"


def test_terms_are_scored_like_fts5_bm25():
    query = SearchQuery(q="assistante maternelle")
    terms = [" ".join(t) for t in osq.expand(query.q).terms]
    assert "assist maternel" in terms, "a synonym phrase"
    stats_body = osq.term_stats_body(query)
    assert stats_body["query"] == {"match_all": {}}, "IDF and average length over the whole index"
    assert stats_body["aggs"]["avgdl"] == {"avg": {"field": "text_len"}}
    assert osq.term_stats_body(SearchQuery(q="aide")) is None, "nothing to score"
    aggs = {f"t{i}": {"doc_count": 10} for i in range(len(terms))}
    aggs["t0"] = {"doc_count": 200}
    stats = osq.term_stats_from_response(query, {"hits": {"total": {"value": 300}},
                                                 "aggregations": {**aggs, "avgdl": {"value": 42.5}}})
    assert stats["n_docs"] == 300 and stats["avgdl"] == 42.5
    assert stats["idf"][terms[1]] == pytest.approx(math.log((300 - 10 + 0.5) / 10.5))
    assert stats["idf"][terms[0]] == 1e-6, "FTS5 floors the IDF of a term in most rows"
    body = osq.search_body(query, term_stats=stats, max_text=3.0)
    scored = [c for c in clauses(body, "script_score") if "match_phrase" in c["query"]]
    assert len(scored) == len(terms)
    phrase = next(c for c in scored if c["query"]["match_phrase"]["text_all"]["query"] == "assist maternel")
    assert phrase["query"]["match_phrase"]["text_all"]["boost"] == 0.5, "Lucene sums a phrase's words"
    assert phrase["script"]["params"] == {"idf": stats["idf"]["assist maternel"], "avgdl": 42.5}
