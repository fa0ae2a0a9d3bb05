"""Relevance regression: nDCG@10 on a held-out subset of the lay-French query set.

The full benchmark is ``python -m benchmarks.relevance.run`` (see docs/relevance.md). This test
runs 8 queries of its *test* split on the session index (every registered source's bundled data)
and fails when the mean nDCG@10 drops below a threshold set a few points under the measured
value (0.748 with the 14 sources registered when it was set, 0.759 with the 8 registered before;
0.77 with ranking proposal F of docs/relevance.md). A lexicon or ranking change that
costs more than that on lay queries must be looked at with the full benchmark.
"""
from __future__ import annotations

import pytest

from app.core.text import QUERY_ONLY_STOPWORDS, words
from app.search import lexicon
from benchmarks.relevance.run import evaluate, load_queries

SUBSET = ("nounou-stpierre", "code-carcassonne", "rue-stpierre", "mission-locale-millau",
          "garage-stdenis", "ordinateur-albi", "psy-stdenis", "colis-stpierre")
THRESHOLD = 0.70
BASELINE_MARGIN = 0.25


@pytest.fixture(scope="module")
def subset_results(settings, ingested):
    queries = [q for q in load_queries("test") if q["id"] in SUBSET]
    assert len(queries) == len(SUBSET)
    return evaluate(settings, "test", queries=queries)


def test_ndcg_on_held_out_queries(subset_results):
    figures = subset_results["splits"]["test"]
    per_query = {r["id"]: r["ndcg10"] for r in subset_results["per_query"]}
    assert figures["scored_queries"] == len(SUBSET), per_query
    assert figures["ndcg10"] >= THRESHOLD, per_query


def test_beats_names_only_bm25(subset_results):
    figures = subset_results["splits"]["test"]
    assert figures["ndcg10"] >= figures["baseline_ndcg10"] + BASELINE_MARGIN, figures


def test_every_query_of_the_set_infers_a_need():
    """Lay queries are phrased as needs: each must reach at least one v1 sub-theme."""
    missing = [q["q"] for q in load_queries("all") if not lexicon.expand(q["q"]).needs]
    assert not missing


def test_every_synonym_term_infers_a_need():
    """A person types one term of a group, not the group: each term must reach the need.

    (Longest match wins, so a multi-word synonym term also hides the shorter need expressions it
    contains: it needs its own line in besoins.txt.)"""
    lost = [term.text for group in lexicon.synonym_groups() for term in group
            if not lexicon.expand(term.text).needs
            and not any(w in QUERY_ONLY_STOPWORDS for w in words(term.text))]
    assert not lost


def test_no_dead_need_expression():
    """Words dropped from queries ("aide", "trouver"…) can never be matched in besoins.txt."""
    dead = [term.text for term, _ in lexicon.need_rules()
            if any(w in QUERY_ONLY_STOPWORDS for w in words(term.text))]
    assert not dead
