"""``make bench`` section "relevance": nDCG@10 of the search on the lay-French query set.

Registered by import (``import benchmarks.relevance.section`` in ``benchmarks/extra.py``).
Uses the cached index of the bundled data of every registered source (``.cache/relevance/``,
rebuilt by ``run.build_index`` when the registry, the bundled files or the indexing code change).
See ``benchmarks/relevance/run.py`` and ``docs/relevance.md``.
"""
from __future__ import annotations

import time

from benchmarks.relevance.run import build_index, evaluate, sources
from benchmarks.run import section


@section("relevance")
def bench_relevance(args, context) -> dict:
    t0 = time.perf_counter()
    index = build_index(log=lambda *a, **k: None)
    build_s = time.perf_counter() - t0
    res = evaluate(index, "all")
    splits = res["splits"]

    def figure(split: str, key: str):
        return splits.get(split, {}).get(key)

    return {
        "ndcg10_test": figure("test", "ndcg10"),
        "ndcg10_dev": figure("dev", "ndcg10"),
        "baseline_ndcg10_test": figure("test", "baseline_ndcg10"),
        "baseline_ndcg10_dev": figure("dev", "baseline_ndcg10"),
        "queries": res["queries"],
        "scored_queries": figure("all", "scored_queries"),
        "unjudged_in_top10": figure("all", "unjudged_in_top10"),
        "documents": res["documents"],
        "sources": sources(),
        "index_s": round(build_s, 1),
    }
