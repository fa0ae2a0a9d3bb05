"""Cross-source deduplication of structures: clusters, never merges (data·inclusion's policy).

Two live structures of different sources are the same place when they share a SIRET, or when
they are close and alike: same phone within 5 km, or names alike (rapidfuzz token-set ratio ≥ 90
after removing little words) within 1.5 km. Every member keeps its source and its services;
``exclure_doublons`` shows the best one of each cluster.

Pairs are found by blocking, never by comparing everything: SIRET and phone by hash join, names
inside ~2 km grid cells with rapidfuzz's vectorised ``cdist`` (many structures of national lists
sit on the same commune centre, which a pairwise loop would make quadratic in Python).
"""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from app.core.geo import haversine_km
from app.core.models import Structure
from app.core.text import fold

NAME_THRESHOLD = 90
NAME_KM = 1.5
PHONE_KM = 5.0
CELL_DEG = 0.02  # ≈ 2.2 km of latitude: with the 3×3 neighbourhood, covers NAME_KM everywhere in France
_GENERIC = re.compile(r"\b(la|le|les|de|du|des|d|l|et|a|au|aux|en)\b")


def name_key(name: str) -> str:
    text = fold(name or "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", _GENERIC.sub(" ", text)).strip()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def same_place(a: Structure, b: Structure) -> str | None:
    """Why two structures are the same place, or None (the rule, pair by pair)."""
    if a.source == b.source:
        return None
    if a.siret and a.siret == b.siret:
        return "siret"
    if a.latitude is None or b.latitude is None:
        return None
    km = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
    if a.telephone and a.telephone == b.telephone and km <= PHONE_KM:
        return "telephone"
    if km <= NAME_KM and fuzz.token_set_ratio(name_key(a.nom), name_key(b.nom)) >= NAME_THRESHOLD:
        return "nom"
    return None


def _near(a: Structure, b: Structure, km: float) -> bool:
    return (a.latitude is not None and b.latitude is not None
            and haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) <= km)


def candidate_pairs(rows: list[Structure]) -> dict[tuple[str, str], str]:
    """(id, id) -> rule, for every pair of structures of different sources that match a rule."""
    found: dict[tuple[str, str], str] = {}

    def add(a: Structure, b: Structure, rule: str) -> None:
        if a.source != b.source:
            key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            found.setdefault(key, rule)

    for field, rule, km in (("siret", "siret", None), ("telephone", "telephone", PHONE_KM)):
        groups: dict[str, list[Structure]] = defaultdict(list)
        for s in rows:
            value = getattr(s, field)
            if value:
                groups[value].append(s)
        for group in groups.values():
            if len(group) > 200:  # a switchboard number shared by a whole network: not a place
                continue
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if km is None or _near(a, b, km):
                        add(a, b, rule)

    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    located = [s for s in rows if s.latitude is not None and s.longitude is not None]
    keys = [name_key(s.nom) for s in located]
    for i, s in enumerate(located):
        cells[(int(s.latitude // CELL_DEG), int(s.longitude // CELL_DEG))].append(i)
    for (cy, cx), members in cells.items():
        neighbours = [j for dy in (-1, 0, 1) for dx in (-1, 0, 1) for j in cells.get((cy + dy, cx + dx), [])]
        scores = process.cdist([keys[i] for i in members], [keys[j] for j in neighbours],
                               scorer=fuzz.token_set_ratio, score_cutoff=NAME_THRESHOLD, dtype=np.uint8)
        for mi, ni in zip(*np.nonzero(scores)):
            a, b = located[members[mi]], located[neighbours[ni]]
            if a.id < b.id and _near(a, b, NAME_KM):
                add(a, b, "nom")
    return found


def cluster_structures(session: Session) -> dict[str, int]:
    """Recompute ``cluster_id`` for every live structure; returns counts per matching rule."""
    rows = list(session.scalars(select(Structure).where(Structure.retired_at.is_(None))
                                .options(lazyload(Structure.services))))
    uf = _UnionFind()
    rules: dict[str, int] = defaultdict(int)
    for (a_id, b_id), rule in candidate_pairs(rows).items():
        rules[rule] += 1
        uf.union(a_id, b_id)
    clusters: dict[str, list[str]] = defaultdict(list)
    for s in rows:
        clusters[uf.find(s.id)].append(s.id)
    # no identity-map synchronisation: with thousands of loaded rows it would cost minutes
    plain = {"synchronize_session": False}
    session.execute(update(Structure).values(cluster_id=None), execution_options=plain)
    for root, members in clusters.items():
        if len(members) > 1:
            for i in range(0, len(members), 500):
                session.execute(update(Structure).where(Structure.id.in_(members[i:i + 500]))
                                .values(cluster_id=root), execution_options=plain)
    session.commit()
    rules["clusters"] = sum(1 for m in clusters.values() if len(m) > 1)
    return dict(rules)
