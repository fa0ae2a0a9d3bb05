"""TREC-style pooling: what must be judged before figures can be trusted.

    python -m benchmarks.relevance.pool [--index PATH …] [--split …] [--depth 20] [--all] [--json FILE]

For each query, the pool is the union of
  * the system's top ``depth`` (``SearchQuery(q, place, size=depth)``),
  * the baseline's top ``depth`` (names-only BM25 of the typed words, see ``run.py``),
  * the ``depth`` services nearest the place among the query's ``pool_thematiques``
    (and ``pool_publics`` when given) — what a professional would look through by theme.

It prints every pooled service not yet in ``judgments.json`` (``--all``: every pooled service)
with what a judge needs to read: name, structure, source, distance, sub-themes, publics, type,
description, conditions. Several ``--index`` may be given (e.g. indexes built with different
registered sources): pools are merged. ``--json`` also writes the listing as JSON.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

from benchmarks.relevance.run import (baseline_ranking, build_index, load_judgments, load_queries,
                                      place_of, system_ranking)


def theme_pool(backend, query: dict, depth: int) -> list[str]:
    from app.search import SearchQuery

    themes = tuple(query.get("pool_thematiques") or ())
    if not themes:
        return []
    result = backend.search(SearchQuery(thematiques=themes, publics=tuple(query.get("pool_publics") or ()),
                                        place=place_of(query["commune"]), size=depth, facets=False))
    out = [h.id for h in result.hits]
    if query.get("pool_publics"):  # also the nearest of those themes for anyone
        result = backend.search(SearchQuery(thematiques=themes, place=place_of(query["commune"]), size=depth,
                                            facets=False))
        out += [h.id for h in result.hits if h.id not in out]
    return out


def pools(index_paths: list[Path], queries: list[dict], depth: int) -> dict[str, dict[str, set[str]]]:
    """{query_id: {service_id: {"system", "baseline", "theme"} …}}"""
    from app.search.embedded import EmbeddedBackend

    out: dict[str, dict[str, set[str]]] = {q["id"]: {} for q in queries}
    for path in index_paths:
        backend = EmbeddedBackend(path)
        for q in queries:
            for origin, ids in (("system", system_ranking(backend, q, depth)),
                                ("baseline", baseline_ranking(backend, q, depth)),
                                ("theme", theme_pool(backend, q, depth))):
                for i in ids:
                    out[q["id"]].setdefault(i, set()).add(origin)
    return out


def describe(db_paths: list[Path], ids: set[str], place) -> dict[str, dict]:
    from app.core.geo import haversine_km

    found: dict[str, dict] = {}
    for db in db_paths:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        for i in ids - set(found):
            r = con.execute(
                "SELECT s.*, st.nom AS structure_nom, st.description AS structure_description "
                "FROM services s LEFT JOIN structures st ON st.id = s.structure_id WHERE s.id = ?", (i,)).fetchone()
            if r is None:
                continue
            lat, lon = r["latitude"], r["longitude"]
            km = round(haversine_km(place.lat, place.lon, lat, lon), 1) if lat is not None and lon is not None else None
            found[i] = {
                "id": i, "source": r["source"], "nom": r["nom"], "structure": r["structure_nom"],
                "commune": r["commune"], "km": km, "type": r["type"],
                "thematiques": json.loads(r["thematiques"] or "[]") or [], "publics": json.loads(r["publics"] or "[]") or [],
                "modes_accueil": json.loads(r["modes_accueil"] or "[]") or [],
                "description": (r["description"] or "")[:600],
                "conditions": " ".join(x for x in (r["conditions_acces"], r["publics_precisions"]) if x)[:300],
                "structure_description": (r["structure_description"] or "")[:300],
                "zone": json.loads(r["zone_eligibilite"] or "null"),
            }
        con.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", action="append", help="index file(s); default: the cached bundled index")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--query", action="append", help="only these query ids")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--all", action="store_true", help="list judged services too")
    parser.add_argument("--json", help="write the listing to this JSON file")
    args = parser.parse_args(argv)
    index_paths = [Path(p) for p in args.index] if args.index else [build_index()]
    db_paths = [p.with_name("reperes.sqlite3") for p in index_paths]
    queries = [q for q in load_queries(args.split) if not args.query or q["id"] in args.query]
    judgments = load_judgments()
    pooled = pools(index_paths, queries, args.depth)
    listing, missing_total = {}, 0
    for q in queries:
        judged = judgments.get(q["id"], {})
        todo = {i for i in pooled[q["id"]] if args.all or i not in judged}
        missing_total += sum(1 for i in pooled[q["id"]] if i not in judged)
        details = describe(db_paths, todo, place_of(q["commune"]))
        listing[q["id"]] = [{**details.get(i, {"id": i}), "origin": sorted(pooled[q["id"]][i]),
                             "grade": judged.get(i)} for i in sorted(todo, key=lambda x: (details.get(x, {}).get("nom") or "", x))]
        print(f"\n### {q['id']} [{q['split']}] « {q['q']} » @ {q['commune']} — pool {len(pooled[q['id']])}, "
              f"to judge {len(todo)}\n    need: {q['need']}")
        for d in listing[q["id"]]:
            print(f"- {d['id']} [{'/'.join(o[0] for o in d['origin'])}] grade={d['grade']} "
                  f"{d.get('km')} km · {d.get('source')} · {d.get('nom')} — {d.get('structure')}\n"
                  f"    th={','.join(t.split('--')[-1] for t in d.get('thematiques', []))} "
                  f"pub={','.join(d.get('publics', []))} type={d.get('type')}\n"
                  f"    desc: {(d.get('description') or '')[:300]!r}")
    print(f"\n{missing_total} pooled services not judged")
    if args.json:
        Path(args.json).write_text(json.dumps(listing, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
