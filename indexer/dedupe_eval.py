"""Precision and recall of the cross-source deduplication on a hand-checked set of labelled pairs.

``tests/fixtures/dedupe/pairs.csv`` holds structure pairs from the bundled data around Rodez
(12202), Albi (81004), Carcassonne (11069) and Saint-Denis de La Réunion (97411), each checked by
hand (names, addresses, SIRET, phones) and labelled ``same`` = 1 (two records of one organisation
at one place: the cross-source duplicates ``exclure_doublons`` should fold) or 0 (same town,
similar names, same building or same SIRET, but another organisation or another site), with a
one-line reason. Ids are ours, ``<source>--<producer id>``, stable across runs.

A pair is predicted "same" when :func:`indexer.dedupe.cluster_ids` puts both structures in one
cluster (clusters are transitive: what ``exclure_doublons`` actually folds). The clusters are
recomputed from the live rows of the database with the current code; nothing is written.

``tests/fixtures/dedupe/heldout.csv`` (:data:`HELDOUT`) has the same format: 190 pairs labelled
later, in towns where the rules were never looked at (Millau, Villefranche-de-Rouergue, Castres,
Gaillac, Narbonne, Castelnaudary, Saint-Pierre and Le Port de La Réunion, Cahors, Bergerac, Sedan),
without looking at what the clustering decides. It measures the rules; it must never be used to
tune them (docs/connectors.md, "Deduplication"). Pairs of one source are allowed there: the rules
never link them directly, only through records of other sources.

    python -m indexer.dedupe_eval [--database-url URL] [--pairs FILE | --heldout]
"""
from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from app.core.models import Structure

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "dedupe" / "pairs.csv"
#: the held-out pairs: for measuring only, never for tuning the rules
HELDOUT = PAIRS.with_name("heldout.csv")


@dataclass(frozen=True)
class LabelledPair:
    town: str
    a: str
    b: str
    same: bool
    reason: str


@dataclass
class Evaluation:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    #: labelled ids absent from the database (a renamed id or a dropped record)
    missing: list[str] = field(default_factory=list)
    false_positives: list[LabelledPair] = field(default_factory=list)
    false_negatives: list[LabelledPair] = field(default_factory=list)
    per_town: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def figures(self) -> dict:
        return {"pairs": self.tp + self.fp + self.fn + self.tn, "positives": self.tp + self.fn,
                "negatives": self.fp + self.tn, "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3),
                "missing_ids": len(self.missing), "per_town": self.per_town}


def load_pairs(path: Path = PAIRS) -> list[LabelledPair]:
    with open(path, newline="", encoding="utf-8") as f:
        return [LabelledPair(r["town"], r["structure_a"], r["structure_b"], r["same"] == "1", r["reason"])
                for r in csv.DictReader(f)]


def live_clusters(session: Session) -> dict[str, str]:
    """id -> cluster root, recomputed with the current code from the live structures of ``session``."""
    from indexer.dedupe import cluster_ids

    rows = list(session.scalars(select(Structure).where(Structure.retired_at.is_(None))
                                .options(lazyload(Structure.services))))
    return cluster_ids(rows)


def evaluate(session: Session, pairs: list[LabelledPair] | None = None,
             clusters: dict[str, str] | None = None) -> Evaluation:
    """Score the clusters the current code builds from the live structures of ``session``
    (``clusters``: those of :func:`live_clusters`, when already computed)."""
    pairs = load_pairs() if pairs is None else pairs
    cluster = live_clusters(session) if clusters is None else clusters
    out = Evaluation()
    for pair in pairs:
        absent = [i for i in (pair.a, pair.b) if i not in cluster]
        if absent:
            out.missing.extend(absent)
            continue
        predicted = cluster[pair.a] == cluster[pair.b]
        town = out.per_town.setdefault(pair.town, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
        if predicted and pair.same:
            out.tp += 1
            town["tp"] += 1
        elif predicted:
            out.fp += 1
            town["fp"] += 1
            out.false_positives.append(pair)
        elif pair.same:
            out.fn += 1
            town["fn"] += 1
            out.false_negatives.append(pair)
        else:
            out.tn += 1
            town["tn"] += 1
    return out


def report(evaluation: Evaluation) -> str:
    f = evaluation.figures()
    lines = [f"{f['pairs']} paires ({f['positives']} doublons, {f['negatives']} non-doublons) — "
             f"précision {f['precision']:.3f}, rappel {f['recall']:.3f}, F1 {f['f1']:.3f}"]
    if evaluation.missing:
        lines.append(f"identifiants absents : {', '.join(sorted(set(evaluation.missing)))}")
    for title, items in (("faux positifs", evaluation.false_positives), ("faux négatifs", evaluation.false_negatives)):
        for p in items:
            lines.append(f"  {title}: {p.a} ~ {p.b} — {p.reason}")
    return "\n".join(lines)


def main() -> None:
    from app.core.db import session_scope
    from config import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: REPERES_DATABASE_URL")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--pairs", type=Path, help=f"labelled pairs (CSV); default: {PAIRS.name}")
    which.add_argument("--heldout", action="store_true", help=f"the held-out pairs ({HELDOUT.name})")
    args = parser.parse_args()
    url = args.database_url or load_settings().database_url
    path = HELDOUT if args.heldout else args.pairs or PAIRS
    with session_scope(url) as session:
        print(report(evaluate(session, load_pairs(path))))


if __name__ == "__main__":
    main()
