"""Relevance benchmark: nDCG@10 of the search on lay-French queries, against a names-only BM25.

    python -m benchmarks.relevance.run [--split dev|test|all] [--index PATH] [--rebuild]

* Queries: ``queries.json`` (each with a place and a ``dev``/``test`` split fixed before any
  result was looked at). Judgments: ``judgments.json`` {query_id: {service_id: grade 0–3}},
  made by pooling (see ``pool.py`` and ``docs/relevance.md``). Unjudged results count as 0.
* System: ``SearchQuery(q=…, place=<commune>, size=10)`` on the embedded backend.
* Baseline: plain BM25 of the typed words (no synonyms, no needs) over service + structure
  names only, on the same candidates (same place, radius and eligibility filters), computed
  with ``TokenStore.score`` (weights names=1, labels=0, body=0); ties by distance then id.
* nDCG@10: gain 2^g − 1, discount log2(rank + 1), ideal from every judged grade of the query
  whose service is in the evaluated index (the collection: judgments cover several sets of
  registered sources). A query without any relevant service in the collection has no ideal
  ranking: it is reported (``ndcg10`` null) and left out of means.

Without ``--index``, the bundled data of every registered source is ingested into a cached
instance (``.cache/relevance/``), rebuilt when the registry, the bundled files or the indexing
code change (ingestion takes minutes; the lexicon and the ranking weights need no rebuild).
Results go to ``benchmarks/relevance/results.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
QUERIES = HERE / "queries.json"
JUDGMENTS = HERE / "judgments.json"
RESULTS = HERE / "results.json"
CACHE = ROOT / ".cache" / "relevance"
K = 10
BASELINE_WEIGHTS = {"names": 1.0, "labels": 0.0, "body": 0.0}
#: large enough to hold every candidate around any place of the benchmark
ALL_CANDIDATES = 100_000


# -- data --------------------------------------------------------------------------------------
def load_queries(split: str = "all") -> list[dict]:
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    return [q for q in queries if split == "all" or q["split"] == split]


def load_judgments() -> dict[str, dict[str, int]]:
    if not JUDGMENTS.exists():
        return {}
    return json.loads(JUDGMENTS.read_text(encoding="utf-8"))


# -- metric ------------------------------------------------------------------------------------
def dcg(grades: list[int], k: int = K) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))


def ndcg(ranked_ids: list[str], judged: dict[str, int], k: int = K) -> float | None:
    """nDCG@k of a ranking; None when the query has no relevant judged item (no ideal)."""
    ideal = dcg(sorted(judged.values(), reverse=True), k)
    if ideal <= 0:
        return None
    return dcg([judged.get(i, 0) for i in ranked_ids], k) / ideal


# -- index -------------------------------------------------------------------------------------
def _fingerprint() -> str:
    """What the ingested data depends on: registered sources, their bundled files, indexing code."""
    from indexer.connectors import get, registry

    h = hashlib.sha256()
    for name in sorted(registry()):
        h.update(name.encode())
        try:
            paths = get(name).default_paths()
        except Exception:  # a connector that cannot list its files still gets ingested by name
            paths = []
        for p in paths:
            st = p.stat() if p.exists() else None
            h.update(f"{p}:{st.st_size if st else -1}:{st.st_mtime_ns if st else -1}".encode())
    code = [*sorted((ROOT / "indexer").rglob("*.py")), ROOT / "app" / "search" / "documents.py",
            ROOT / "app" / "search" / "embedded.py", ROOT / "app" / "search" / "bm25.py",
            ROOT / "app" / "core" / "text.py", ROOT / "app" / "core" / "models.py"]
    for p in code:
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build_index(workdir: Path = CACHE, rebuild: bool = False, log=print) -> Path:
    """Ingest every registered source's bundled files into ``workdir``; return the index path.

    Reuses the previous build when nothing it depends on changed (see :func:`_fingerprint`).
    """
    from config import load_settings
    from tests.conftest import ingest_everything

    fingerprint = _fingerprint()
    stamp = workdir / "fingerprint"
    settings = load_settings(environ={}, instance_dir=str(workdir / "instance"))
    index = Path(settings.search_index_path)
    if not rebuild and index.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return index
    shutil.rmtree(workdir / "instance", ignore_errors=True)
    (workdir / "instance").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    log(f"ingesting the bundled data into {workdir / 'instance'} (takes minutes)…")
    reports = ingest_everything(settings)
    log(f"ingested {', '.join(sorted(reports))} in {time.perf_counter() - t0:.0f} s")
    stamp.write_text(fingerprint + "\n")
    return index


def _index_path(settings_or_index_path) -> Path:
    if settings_or_index_path is None:
        return build_index()
    if isinstance(settings_or_index_path, (str, Path)):
        return Path(settings_or_index_path)
    return Path(settings_or_index_path.search_index_path)


# -- running queries ---------------------------------------------------------------------------
def place_of(commune: str):
    from app.core.geo import geography
    from app.search import Place

    c = geography().commune(commune)
    if c is None:
        raise ValueError(f"unknown commune {commune!r}")
    return Place(c.lat, c.lon, c.zone_codes, c.code_insee)


def system_ranking(backend, query: dict, size: int = K) -> list[str]:
    from app.search import SearchQuery

    result = backend.search(SearchQuery(q=query["q"], place=place_of(query["commune"]), size=size,
                                        facets=False))
    return [h.id for h in result.hits]


def baseline_ranking(backend, query: dict, size: int = K) -> list[str]:
    """BM25 of the typed words over names only, on the candidates the place filters admit."""
    from app.search import SearchQuery
    from app.search.lexicon import expand

    stems = list(dict.fromkeys(expand(query["q"]).stems))
    if not stems:
        return []
    # the candidates: everything the place, radius and eligibility filters admit (no words)
    around = backend.search(SearchQuery(place=place_of(query["commune"]), size=ALL_CANDIDATES,
                                        facets=False))
    ix = backend._current()
    row = {doc_id: i for i, doc_id in enumerate(ix.ids)}
    candidates = np.array([row[h.id] for h in around.hits], dtype=np.int64)
    distance = np.array([h.distance_km if h.distance_km is not None else np.inf for h in around.hits])
    scores = ix.tokens.score(candidates, [(s,) for s in stems], BASELINE_WEIGHTS, backend._phrase_df)
    keep = np.flatnonzero(scores > 0)
    order = np.lexsort((ix.id_rank[candidates[keep]], distance[keep], -np.round(scores[keep], 9)))
    return [ix.ids[candidates[keep][i]] for i in order[:size]]


# -- evaluation --------------------------------------------------------------------------------
def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def evaluate(settings_or_index_path=None, split: str = "all", *, queries: list[dict] | None = None,
             judgments: dict | None = None) -> dict:
    """nDCG@10 of the system and of the baseline, per query and mean, per split.

    ``settings_or_index_path``: the app settings (their ``search_index_path``), an index file,
    or None to build/reuse the cached index of the bundled data.
    """
    from app.search.embedded import EmbeddedBackend

    backend = EmbeddedBackend(_index_path(settings_or_index_path))
    queries = load_queries(split) if queries is None else queries
    judgments = load_judgments() if judgments is None else judgments
    in_index = set(backend._current().ids)
    rows = []
    for q in queries:
        judged = {i: g for i, g in judgments.get(q["id"], {}).items() if i in in_index}
        system = system_ranking(backend, q)
        baseline = baseline_ranking(backend, q)
        rows.append({
            "id": q["id"], "q": q["q"], "commune": q["commune"], "split": q["split"],
            "ndcg10": _round(ndcg(system, judged)), "baseline_ndcg10": _round(ndcg(baseline, judged)),
            "relevant_judged": sum(1 for g in judged.values() if g >= 1),
            "unjudged_in_top10": sum(1 for i in system if i not in judged),
            "baseline_unjudged_in_top10": sum(1 for i in baseline if i not in judged),
            "top10": system, "baseline_top10": baseline,
        })
    out: dict = {"k": K, "documents": backend.count(), "queries": len(rows), "splits": {}}
    for name in ("dev", "test", "all"):
        part = [r for r in rows if name == "all" or r["split"] == name]
        if not part:
            continue
        out["splits"][name] = {
            "queries": len(part),
            "scored_queries": sum(1 for r in part if r["ndcg10"] is not None),
            "ndcg10": _mean([r["ndcg10"] for r in part]),
            "baseline_ndcg10": _mean([r["baseline_ndcg10"] for r in part]),
            "unjudged_in_top10": sum(r["unjudged_in_top10"] for r in part),
        }
    out["per_query"] = rows
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def sources() -> list[str]:
    from indexer.connectors import registry

    return sorted(registry())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--index", help="an existing embedded index file (default: build/reuse the cache)")
    parser.add_argument("--rebuild", action="store_true", help="re-ingest even if the cache looks current")
    parser.add_argument("--no-write", action="store_true", help="do not write results.json")
    args = parser.parse_args(argv)
    index = Path(args.index) if args.index else build_index(rebuild=args.rebuild)
    res = evaluate(index, args.split)
    res["sources"] = sources() if not args.index else None
    res["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    width = max(len(r["id"]) for r in res["per_query"])
    print(f"{'query':{width}}  split  system  baseline  relevant  unjudged")
    for r in res["per_query"]:
        s = "  n/a " if r["ndcg10"] is None else f"{r['ndcg10']:.3f} "
        b = "  n/a " if r["baseline_ndcg10"] is None else f"{r['baseline_ndcg10']:.3f} "
        print(f"{r['id']:{width}}  {r['split']:5}  {s:6}  {b:8}  {r['relevant_judged']:8}  {r['unjudged_in_top10']:8}")
    for name, s in res["splits"].items():
        print(f"{name:5} nDCG@10 system {s['ndcg10']}  baseline {s['baseline_ndcg10']}  "
              f"({s['scored_queries']}/{s['queries']} queries scored, {s['unjudged_in_top10']} unjudged in top 10)")
    if not args.no_write:
        RESULTS.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
