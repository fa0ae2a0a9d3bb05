"""``gaps``: coverage of all of France (every commune × the 16 categories) over the synthetic offer.

``seconds`` is the whole computation once the offers are in memory: building the offer table
(unit vectors, zone patterns, need index) and the commune table, then, for each of the 16
categories, the distance from every commune (~35,000) to the nearest eligible on-site offer,
the counts within 10/20/30 km and the remote flag. Generating the synthetic documents is not
timed (``generate_s`` is given for reference). See ``app/core/coverage.py``.

Run alone: ``python -m benchmarks.run --only gaps`` (registered by ``benchmarks/extra.py``) or
``python -m benchmarks.gaps [--n 200000]``.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from app.core import coverage
from app.core import vocabularies as voc
from app.core.geo import geography
from benchmarks.run import section
from benchmarks.synthetic import generate

#: the fields coverage needs from a synthetic document
FIELDS = ("lat", "lon", "thematiques", "modes_accueil", "zone_eligibilite")


def synthetic_offers(n: int) -> list[dict]:
    return [{k: doc[k] for k in FIELDS} for doc in generate(n)]


def all_france(records: list[dict], threshold_km: float = 20.0) -> dict:
    geo = geography()
    t0 = time.perf_counter()
    communes = coverage.CommuneTable.from_geography(geo)
    offers = coverage.OfferTable.from_records(records)
    t_tables = time.perf_counter() - t0
    needs = {c: (c,) for c in sorted(voc.CATEGORIES)}
    t1 = time.perf_counter()
    results = coverage.compute_many(communes, offers, needs, radii_km=(*coverage.RADII_KM, threshold_km))
    t_compute = time.perf_counter() - t1
    total = time.perf_counter() - t0
    pop = communes.population
    beyond = {name: int(pop[cov.beyond(threshold_km)].sum()) for name, cov in results.items()}
    return {
        "seconds": round(total, 3), "tables_s": round(t_tables, 3), "compute_s": round(t_compute, 3),
        "communes": len(communes), "offers": len(offers), "needs": len(needs),
        "zone_patterns": len(offers.patterns), "threshold_km": threshold_km,
        "population_beyond_threshold": beyond,
        "median_distance_km": {name: round(float(np.median(cov.distance_km[np.isfinite(cov.distance_km)])), 2)
                               for name, cov in results.items()},
    }


@section("gaps")
def bench_gaps(args, context) -> dict:
    t0 = time.perf_counter()
    records = synthetic_offers(args.n)
    generate_s = time.perf_counter() - t0
    return {**all_france(records), "generate_s": round(generate_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    print(json.dumps(bench_gaps(args, {}), indent=1))


if __name__ == "__main__":
    main()
