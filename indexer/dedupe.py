"""Cross-source deduplication of structures: clusters, never merges (data·inclusion's policy).

Two live structures of different sources are the same place when they share a SIRET, or when
they are close and alike: same phone within 5 km, or names alike (rapidfuzz token ratio ≥ 90
after removing generic words) within 1.5 km. Every member keeps its source and its services;
``exclure_doublons`` shows the best one of each cluster.
"""
from __future__ import annotations

import re
from collections import defaultdict

from rapidfuzz import fuzz
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.geo import haversine_km
from app.core.models import Structure
from app.core.text import fold

NAME_THRESHOLD = 90
NAME_KM = 1.5
PHONE_KM = 5.0
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
    """Why two structures are the same place, or None."""
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


def cluster_structures(session: Session) -> dict[str, int]:
    """Recompute ``cluster_id`` for every live structure; returns counts per matching rule."""
    rows = list(session.scalars(select(Structure).where(Structure.retired_at.is_(None))))
    uf = _UnionFind()
    rules: dict[str, int] = defaultdict(int)
    by_siret: dict[str, list[Structure]] = defaultdict(list)
    by_cell: dict[tuple[int, int], list[Structure]] = defaultdict(list)
    for s in rows:
        if s.siret:
            by_siret[s.siret].append(s)
        if s.latitude is not None and s.longitude is not None:
            by_cell[(int(s.latitude * 20), int(s.longitude * 20))].append(s)  # ~5 km cells
    pairs: set[tuple[str, str]] = set()
    for group in by_siret.values():
        pairs.update((a.id, b.id) for i, a in enumerate(group) for b in group[i + 1:])
    index = {s.id: s for s in rows}
    for (cy, cx), members in by_cell.items():
        neighbours = [t for dy in (-1, 0, 1) for dx in (-1, 0, 1) for t in by_cell.get((cy + dy, cx + dx), [])]
        for a in members:
            for b in neighbours:
                if a.id < b.id:
                    pairs.add((a.id, b.id))
    for a_id, b_id in pairs:
        why = same_place(index[a_id], index[b_id])
        if why:
            rules[why] += 1
            uf.union(a_id, b_id)
    clusters: dict[str, list[str]] = defaultdict(list)
    for s in rows:
        clusters[uf.find(s.id)].append(s.id)
    session.execute(update(Structure).values(cluster_id=None))
    for root, members in clusters.items():
        if len(members) > 1:
            session.execute(update(Structure).where(Structure.id.in_(members)).values(cluster_id=root))
    session.commit()
    rules["clusters"] = sum(1 for m in clusters.values() if len(m) > 1)
    return dict(rules)
