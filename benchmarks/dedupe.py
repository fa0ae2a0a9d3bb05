"""``dedupe``: precision, recall and F1 of the cross-source deduplication on the hand-checked pairs.

The labelled pairs (``tests/fixtures/dedupe/pairs.csv``, see ``indexer/dedupe_eval.py``) come
from the bundled data around Rodez, Albi, Carcassonne and Saint-Denis de La Réunion. The
clusters are recomputed with the current code on the cached instance of every registered
source's bundled files (``.cache/relevance/``, shared with the ``relevance`` section and rebuilt
when the data or the indexing code change); ``cluster_s`` is the time of that recomputation
over all of France's bundled structures.

The ``heldout_*`` keys are the same figures on the held-out pairs (``tests/fixtures/dedupe/heldout.csv``:
other towns, labelled without looking at the clustering, never used for tuning): the tuning pairs
flatter the rules, the held-out ones say what to expect elsewhere.

Run alone: ``python -m benchmarks.run --only dedupe`` (registered by ``benchmarks/extra.py``).
"""
from __future__ import annotations

import time

from benchmarks.run import section


@section("dedupe")
def bench_dedupe(args, context) -> dict:
    from sqlalchemy import func, select

    from app.core.db import session_scope
    from app.core.geo import geography
    from app.core.models import Structure
    from benchmarks.relevance.run import CACHE, build_index
    from config import load_settings
    from indexer.dedupe_eval import HELDOUT, evaluate, live_clusters, load_pairs

    build_index(log=lambda *a, **k: None)
    settings = load_settings(environ={}, instance_dir=str(CACHE / "instance"))
    geography()  # loaded once per process; not part of the clustering time
    with session_scope(settings.database_url) as session:
        structures = session.scalar(select(func.count()).select_from(Structure)
                                    .where(Structure.retired_at.is_(None)))
        t0 = time.perf_counter()
        clusters = live_clusters(session)
        seconds = time.perf_counter() - t0
        result = evaluate(session, clusters=clusters)
        heldout = evaluate(session, load_pairs(HELDOUT), clusters=clusters)
    figures = result.figures()
    figures.update({"structures": structures, "cluster_s": round(seconds, 1),
                    "false_positives": [f"{p.a} ~ {p.b}" for p in result.false_positives],
                    "false_negatives": [f"{p.a} ~ {p.b}" for p in result.false_negatives]})
    figures.update({f"heldout_{key}": value for key, value in heldout.figures().items()})
    figures.update({"heldout_false_positives": [f"{p.a} ~ {p.b}" for p in heldout.false_positives],
                    "heldout_false_negatives": [f"{p.a} ~ {p.b}" for p in heldout.false_negatives]})
    return figures
