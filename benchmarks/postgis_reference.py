"""``search.postgis_reference``: the same searches, the data·inclusion way (PostgreSQL + PostGIS).

A reference point for the embedded figures, not a second backend. The synthetic services of
``search.embedded`` (``generate(args.n)``) are loaded with COPY into ``bench_services`` in the
``reperes`` database of the throw-away cluster (``scripts/postgres.sh``; dropped and recreated
each run), shaped like data·inclusion's ``api__services_v1`` for what the query reads:

* ``id`` text primary key, ``score_qualite`` (B-tree, as upstream);
* ``thematiques`` and ``modes_accueil`` ``text[]`` with GIN indexes (as upstream),
  ``zone_eligibilite`` ``text[]`` (no index upstream);
* ``geog geography(Point, 4326)`` with a GiST index. Upstream builds the point at query time
  (``ST_MakePoint(longitude, latitude)::geography``, which no index serves); the stored, indexed
  column makes this reference the favourable case for PostGIS;
* ``search_vector`` tsvector (``french``; A = name, B = labels, C = body, like the BETA
  ``/search``) with a GIN index.

Each query of ``domain_queries(args.queries)`` (commune centre, two sub-themes, words) runs the
``/search/services`` shape (data·inclusion reference §3.2), as two statements, like the API:

* eligibility: ``zone_eligibilite IS NULL OR zone_eligibilite && [commune, département, france,
  99100, EPCI…]``;
* proximity: ``ST_DWithin(geog, centre, 50000) OR modes_accueil @> '{a-distance}'`` (upstream's
  ``contains``, same meaning as ``'a-distance' = ANY(modes_accueil)`` but GIN-served);
* needs: ``thematiques && ARRAY[t1, t2]``;
* page: distance in km (``en-presentiel`` only, else null), ``ORDER BY distance NULLS LAST, id
  LIMIT 20``; total: ``count(*)`` over the same filtered set.

Top-level figures add the words, as the BETA ``/search`` does: ``search_vector @@
plainto_tsquery('french', q)`` as a further filter, ordered by ``0.5 × ts_rank_cd(…, 32) + 0.5 ×
(1 − distance / 50 km)``. ``without_q`` is the pure ``/search/services`` shape. So compare
``search.embedded`` with this section's top level, and ``search.embedded.without_q`` with
``without_q``. ``plainto_tsquery`` ANDs every word (no synonyms, no stemming of needs): the
result sets differ from ours, the cost of the query shape is what is measured.

Times are client-side wall time of both statements (loopback, autocommit, prepared after the
5th run by psycopg), after a warm-up of 30 queries; single connection, no concurrency.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from benchmarks.run import domain_queries, section, time_queries
from benchmarks.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
TABLE = "bench_services"
RADIUS_M = 50_000

DDL = f"""
DROP TABLE IF EXISTS {TABLE};
CREATE TABLE {TABLE} (
    id text PRIMARY KEY,
    nom text NOT NULL,
    labels text,
    body text,
    thematiques text[],
    modes_accueil text[],
    zone_eligibilite text[],
    geog geography(Point, 4326),
    score_qualite double precision,
    search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('french', coalesce(nom, '')), 'A')
        || setweight(to_tsvector('french', coalesce(labels, '')), 'B')
        || setweight(to_tsvector('french', coalesce(body, '')), 'C')) STORED
)
"""
INDEXES = (
    f"CREATE INDEX {TABLE}_thematiques ON {TABLE} USING gin (thematiques)",
    f"CREATE INDEX {TABLE}_modes_accueil ON {TABLE} USING gin (modes_accueil)",
    f"CREATE INDEX {TABLE}_geog ON {TABLE} USING gist (geog)",
    f"CREATE INDEX {TABLE}_search_vector ON {TABLE} USING gin (search_vector)",
    f"CREATE INDEX {TABLE}_score_qualite ON {TABLE} (score_qualite)",
)

_ORIGIN = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
_FILTERS = f"""
    (zone_eligibilite IS NULL OR zone_eligibilite && %(zone)s::text[])
    AND (ST_DWithin(geog, {_ORIGIN}, {RADIUS_M}) OR modes_accueil @> ARRAY['a-distance'])
    AND thematiques && %(thematiques)s::text[]"""
_DISTANCE_KM = f"""CASE WHEN modes_accueil @> ARRAY['en-presentiel']
    THEN (ST_Distance(geog, {_ORIGIN}) / 1000)::integer END"""

#: /search/services (§3.2): a page ordered by distance, and the total.
PAGE = f"""SELECT id, {_DISTANCE_KM} AS distance FROM {TABLE}
WHERE {_FILTERS}
ORDER BY distance NULLS LAST, id LIMIT 20"""
COUNT = f"SELECT count(*) FROM {TABLE} WHERE {_FILTERS}"

#: the same with words (BETA /search): text filter, text score mixed with distance.
_TEXT = "search_vector @@ plainto_tsquery('french', %(q)s)"
PAGE_Q = f"""SELECT id, distance FROM (
    SELECT id, {_DISTANCE_KM} AS distance,
           round(ts_rank_cd(search_vector, plainto_tsquery('french', %(q)s), 32)::numeric, 2) AS score
    FROM {TABLE}
    WHERE {_FILTERS} AND {_TEXT}) AS hits
ORDER BY 0.5 * score + 0.5 * (1 - coalesce(distance, {RADIUS_M // 1000})::numeric / {RADIUS_M // 1000}) DESC, id
LIMIT 20"""
COUNT_Q = f"SELECT count(*) FROM {TABLE} WHERE {_FILTERS} AND {_TEXT}"


def postgres_dsn() -> str:
    """libpq DSN of the ``reperes`` database of the throw-away cluster (started if needed)."""
    result = subprocess.run(["bash", "scripts/postgres.sh", "start"], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    url = [line.strip() for line in result.stdout.splitlines() if line.strip()][-1]
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _point(doc: dict) -> str | None:
    if doc.get("lat") is None or doc.get("lon") is None:
        return None
    return f"SRID=4326;POINT({doc['lon']!r} {doc['lat']!r})"


def load(conn, n: int) -> int:
    """Recreate ``bench_services`` and COPY ``n`` synthetic services into it; returns the row count."""
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute(DDL)
        columns = "id, nom, labels, body, thematiques, modes_accueil, zone_eligibilite, geog, score_qualite"
        with cur.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
            for doc in generate(n):
                copy.write_row((doc["id"], doc["nom"], doc["labels"], doc["body"], doc["thematiques"] or None,
                                doc["modes_accueil"] or None, doc["zone_eligibilite"] or None, _point(doc),
                                doc["score_qualite"]))
        for statement in INDEXES:
            cur.execute(statement)
        cur.execute(f"VACUUM (ANALYZE) {TABLE}")
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        return cur.fetchone()[0]


def params(query) -> dict:
    return {"lat": query.place.lat, "lon": query.place.lon, "zone": list(query.place.zone_codes),
            "thematiques": list(query.thematiques), "q": query.q}


@section("search.postgis_reference")
def bench_postgis_reference(args, context) -> dict:
    import psycopg

    with psycopg.connect(postgres_dsn(), autocommit=True) as conn:
        t0 = time.perf_counter()
        count = load(conn, args.n)
        load_s = time.perf_counter() - t0
        queries = domain_queries(args.queries)
        totals: dict[str, list[int]] = {"q": [], "nq": []}

        def runner(page: str, total: str, key: str):
            def run(query) -> None:
                values = params(query)
                with conn.cursor() as cur:
                    cur.execute(page, values)
                    cur.fetchall()
                    cur.execute(total, values)
                    totals[key].append(cur.fetchone()[0])
            return run

        with_q = time_queries(runner(PAGE_Q, COUNT_Q, "q"), queries)
        without_q = time_queries(runner(PAGE, COUNT, "nq"), queries)
        with conn.cursor() as cur:  # what the planner does with the first query (for the record)
            cur.execute("EXPLAIN (FORMAT JSON) " + PAGE, params(queries[0]))
            plan = cur.fetchone()[0]

    def median(values: list[int]) -> float:
        ordered = sorted(values[-len(queries):])
        return ordered[len(ordered) // 2] if ordered else 0

    return {"n_services": count, **with_q, "load_s": round(load_s, 1),
            "median_total": median(totals["q"]),
            "without_q": {**without_q, "median_total": median(totals["nq"])},
            "plan_without_q": _plan_nodes(plan)}


def _plan_nodes(plan) -> list[str]:
    """Node types and indexes of an EXPLAIN (FORMAT JSON) plan, depth first (a short summary)."""
    if isinstance(plan, str):
        plan = json.loads(plan)
    out: list[str] = []

    def walk(node: dict) -> None:
        label = node["Node Type"]
        if node.get("Index Name"):
            label += f" ({node['Index Name']})"
        out.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return out
