"""Benchmark sections: OpenSearch search, end-to-end ingestion, HTTP throughput."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from benchmarks.run import domain_queries, section, time_queries
from benchmarks.synthetic import generate

ROOT = Path(__file__).resolve().parents[1]


@section("search.opensearch")
def bench_opensearch(args, context) -> dict:
    from app.search.opensearch import OpenSearchBackend
    from tests.opensearch_node import opensearch_url

    backend = OpenSearchBackend(opensearch_url(), f"bench-{uuid.uuid4().hex[:8]}", timeout=60)
    t0 = time.perf_counter()
    count = backend.rebuild(generate(args.n))
    build_s = time.perf_counter() - t0
    try:
        queries = domain_queries(args.queries)
        figures = time_queries(backend.search, queries)
        from app.search import SearchQuery

        no_words = [SearchQuery(thematiques=q.thematiques, place=q.place, size=20) for q in queries]
        figures_nq = time_queries(backend.search, no_words)

        def cold(query):  # as if each query's words had never been searched on this build
            backend._stats.reset(None)
            return backend.search(query)

        figures_cold = time_queries(cold, queries)
    finally:
        backend.drop()
    return {"n_services": count, **figures, "build_s": round(build_s, 1), "without_q": figures_nq,
            "term_stats_not_remembered": figures_cold}


def synthetic_v1_bundle(n: int) -> dict:
    """``n`` services (and their structures) in data·inclusion's v1 open-data shape."""
    structures, services = {}, []
    for doc in generate(n):
        sid = doc["structure_id"].replace("s--", "bench-s-")
        structures.setdefault(sid, {
            "id": sid, "source": "bench", "nom": f"Structure {sid}", "date_maj": doc["date_maj"],
            "code_insee": doc["code_insee"], "latitude": doc["lat"], "longitude": doc["lon"],
            "telephone": "05 65 00 00 00", "courriel": "contact@exemple.fr"})
        services.append({
            "id": doc["id"].replace("--", "-bench-"), "source": "bench", "structure_id": sid, "nom": doc["nom"],
            "description": doc["body"] * 3, "date_maj": doc["date_maj"], "type": doc["type"],
            "thematiques": doc["thematiques"], "frais": doc["frais"][0], "publics": doc["publics"],
            "modes_accueil": doc["modes_accueil"], "zone_eligibilite": doc["zone_eligibilite"],
            "code_insee": doc["code_insee"], "latitude": doc["lat"], "longitude": doc["lon"],
            "modes_mobilisation": ["se-presenter", "telephoner"], "mobilisable_par": ["usagers"]})
    return {"structures": list(structures.values()), "services": services}


@section("ingest")
def bench_ingest(args, context) -> dict:
    """End to end, offline: a v1 JSON file through the data-inclusion connector into SQLite."""
    from sqlalchemy.orm import Session

    from app.core.db import create_schema, engine_for
    from indexer.connectors import get
    from indexer.run import ingest

    workdir = Path(context["workdir"]) / "ingest"
    workdir.mkdir()
    n = min(args.n, 50_000)
    path = workdir / "bench-v1.json"
    path.write_text(json.dumps(synthetic_v1_bundle(n)))
    engine = engine_for(f"sqlite:///{workdir}/ingest.sqlite3")
    create_schema(engine)
    with Session(engine) as session:
        first = ingest(get("data-inclusion"), session, workdir, paths=[path])
    with Session(engine) as session:
        second = ingest(get("data-inclusion"), session, workdir, paths=[path])
    engine.dispose()
    return {"records": first.read, "records_per_s": round(first.records_per_s),
            "seconds": round(first.duration_s, 1), "unchanged_rerun_records_per_s": round(second.records_per_s),
            "quarantined": first.quarantined}


@section("http")
def bench_http(args, context) -> dict:
    """Requests/s of /api/v1/search/services under gunicorn on 127.0.0.1, with wrk (bundled data)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        subprocess.run(["bash", "-c", "apt-get install -y -q wrk >/dev/null 2>&1 || "
                                      "(apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null)"],
                       check=True)
        wrk = shutil.which("wrk")
    instance = ROOT / "instance"
    env = {**os.environ, "REPERES_INSTANCE_DIR": str(instance)}
    subprocess.run([str(ROOT / ".venv/bin/reperes"), "bootstrap"], check=True, env=env, cwd=ROOT)
    port = 5099
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        lua = ROOT / "benchmarks" / "wrk-search.lua"
        out = subprocess.run([wrk, "-t2", "-c16", "-d20s", "--latency", "-s", str(lua), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    return {"rps": round(rps, 1), "errors": (int(errors.group(1)) if errors else 0)
            + (sum(int(x) for x in socket_errors.groups()) if socket_errors else 0),
            "latency_p50": "".join(p50.groups()) if p50 else None, "duration_s": 20, "connections": 16,
            "workers": 2, "dataset": "bundled real data", "date": dt.date.today().isoformat()}
