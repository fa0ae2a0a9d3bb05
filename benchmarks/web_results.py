"""``make bench`` section ``web.results``: the server-rendered results page at national scale.

The synthetic index (``benchmarks.synthetic.generate``, 200 000 services by default) serves a Flask
test client whose ``/recherche`` pages are timed end to end (criteria parsing, search, facets,
database rows, opening hours, Jinja rendering). The database holds rows for the services the
measured pages show (made from the index's own documents), so cards are rendered as in production;
a hit without a row would simply be skipped by the page.

Figures: ``web.results.p50_ms`` (also ``results_p50_ms``), p95, max, page size in bytes.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.run import percentiles, section
from benchmarks.synthetic import generate, query_mix

HOURS = ["Mo-Fr 09:00-12:00,14:00-17:00", "Tu,Th 08:30-12:30", "Mo-Sa 08:00-19:00", "sur rendez-vous", None]


def _urls(count: int) -> list[str]:
    out = []
    for spec in query_mix(count):
        params = [("code_commune", spec["commune"]), *(("thematiques", t) for t in spec["thematiques"])]
        if spec["q"]:
            params.append(("q", spec["q"]))
        out.append("/recherche?" + urlencode(params))
    return out


def _seed_rows(settings, index_path: Path, ids: set[str]) -> int:
    """Structures and services for these ids, from the index's documents (terms, point)."""
    from app.core.db import create_schema, engine_for, session_scope
    from app.core.models import Service, Structure

    create_schema(engine_for(settings.database_url))
    con = sqlite3.connect(index_path)
    rows = []
    for chunk in range(0, len(ids), 900):
        part = list(ids)[chunk:chunk + 900]
        rows += con.execute(f"SELECT id, lat, lon, terms FROM docs WHERE id IN ({','.join('?' * len(part))})",
                            part).fetchall()
    con.close()
    with session_scope(settings.database_url) as session:
        for n, (sid, lat, lon, terms) in enumerate(rows):
            by_field: dict[str, list[str]] = {}
            for t in terms.split():
                field, _, value = t.partition(":")
                by_field.setdefault(field, []).append(value)
            commune = (by_field.get("com") or [None])[0]
            structure_id = f"bench-structure--{sid}"
            session.add(Structure(id=structure_id, source=sid.split("--")[0], nom=f"Structure {n}", code_insee=commune,
                                  commune="Commune", latitude=lat, longitude=lon))
            session.add(Service(
                id=sid, source=sid.split("--")[0], structure_id=structure_id, nom=f"Service {sid}",
                description="Un service synthétique pour mesurer la page de résultats.",
                date_maj=dt.date(2025, 1, 1) + dt.timedelta(days=n % 300),
                type=(by_field.get("type") or [None])[0],
                thematiques=by_field.get("th"), frais=(by_field.get("frais") or [None])[0],
                publics=by_field.get("pub"), modes_accueil=by_field.get("mode"), zone_eligibilite=by_field.get("zone"),
                code_insee=commune, commune="Commune", latitude=lat, longitude=lon,
                horaires_accueil=HOURS[n % len(HOURS)], telephone="+33565000000"))
    return len(rows)


@section("web.results")
def bench_web_results(args, context) -> dict:
    from app.factory import create_app
    from app.search.embedded import EmbeddedBackend
    from config import load_settings

    workdir = Path(context["workdir"])
    index = Path(context.get("embedded_index") or workdir / "web-index.sqlite3")
    if not index.exists():
        EmbeddedBackend(index).rebuild(generate(args.n))
        context["embedded_index"] = str(index)
    settings = load_settings(environ={}, instance_dir=str(workdir / "web-instance"),
                             search_index_path=str(index), log_level="WARNING")
    app = create_app(settings)
    client = app.test_client()
    urls = _urls(min(args.queries, 300))

    # The pages' services get database rows (the search itself never reads the database).
    from urllib.parse import parse_qsl, urlsplit

    from werkzeug.datastructures import MultiDict

    from app.web.criteria import Criteria

    wanted: set[str] = set()
    with app.test_request_context():
        backend = app.extensions["reperes.search"]
        for url in urls:
            crit = Criteria.from_args(MultiDict(parse_qsl(urlsplit(url).query)))
            wanted.update(h.id for h in backend.search(crit.query(page=1, size=20)).hits)
    seeded = _seed_rows(settings, index, wanted)

    for url in urls[:20]:  # warm-up: index load, geography, templates
        assert client.get(url).status_code == 200
    samples, sizes = [], []
    for url in urls:
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        sizes.append(len(response.data))
    figures = percentiles(samples)
    return {"n_services": backend.count(), "results_p50_ms": figures["p50_ms"], **figures,
            "rows_seeded": seeded, "page_kb_p50": round(sorted(sizes)[len(sizes) // 2] / 1024, 1)}
