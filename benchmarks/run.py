"""``make bench``: measured figures, written to ``benchmarks/results/latest.json``.

Sections (``--only`` picks some): ``search.embedded``, ``ingest``. Other sections register
themselves in ``SECTIONS`` (OpenSearch, PostGIS reference, HTTP, web, gaps).
Times are server-side (the backend's ``search`` call), after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from app.core.geo import geography
from app.search import Place, SearchQuery
from benchmarks.synthetic import generate, query_mix

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SECTIONS: dict[str, Callable[[argparse.Namespace, dict], dict]] = {}


def section(name: str):
    def register(fn):
        SECTIONS[name] = fn
        return fn
    return register


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    return {"p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "max_ms": round(ordered[-1], 3), "queries": len(ordered)}


def domain_queries(count: int) -> list[SearchQuery]:
    geo = geography()
    out = []
    for spec in query_mix(count):
        c = geo.commune(spec["commune"])
        out.append(SearchQuery(q=spec["q"], thematiques=spec["thematiques"],
                               place=Place(c.lat, c.lon, c.zone_codes, c.code_insee), size=20))
    return out


def time_queries(run: Callable[[SearchQuery], object], queries: list[SearchQuery], warmup: int = 30) -> dict:
    for q in queries[:warmup]:
        run(q)
    samples = []
    for q in queries:
        t0 = time.perf_counter()
        run(q)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


@section("search.embedded")
def bench_embedded(args, context) -> dict:
    from app.search.embedded import EmbeddedBackend

    workdir = Path(context["workdir"])
    backend = EmbeddedBackend(workdir / "bench-index.sqlite3")
    t0 = time.perf_counter()
    count = backend.rebuild(generate(args.n))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.count()
    load_s = time.perf_counter() - t0
    queries = domain_queries(args.queries)
    figures = time_queries(backend.search, queries)
    no_words = [SearchQuery(thematiques=q.thematiques, place=q.place, size=20) for q in queries]
    figures_nq = time_queries(backend.search, no_words)
    context["embedded_index"] = str(workdir / "bench-index.sqlite3")
    return {"n_services": count, **figures, "build_s": round(build_s, 1), "load_s": round(load_s, 2),
            "without_q": figures_nq}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="synthetic services (default 200 000)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--only", nargs="*", help="sections to run (default: all)")
    args = parser.parse_args()
    import benchmarks.extra  # noqa: F401  (registers the other sections)
    from benchmarks import run as registry  # under ``python -m`` this file is also __main__


    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="reperes-bench-") as workdir:
        context = {"workdir": workdir}
        for name, fn in registry.SECTIONS.items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            print(f"== {name}", flush=True)
            try:
                figures = fn(args, context)
            except Exception as exc:  # a failing section is reported, the others still run
                figures = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(figures, indent=1), flush=True)
            node = results
            *parents, leaf = name.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = figures
    results["machine"] = {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                          "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
