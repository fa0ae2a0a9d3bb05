"""Coverage of a territory by the offer of one need: where the offer is missing.

For every commune and one need (a set of sub-themes and/or categories), this computes

* ``distance_km``: great-circle distance from the commune's centre (``geography()``'s centroid)
  to the nearest **on-site** offer of that need that is **eligible there** (``inf`` if none);
* ``within[r]``: how many such offers lie within ``r`` km (10, 20, 30 by default, and any
  threshold asked for);
* ``remote``: whether an offer of that need is given remotely (``a-distance``) and eligible there.

Eligibility follows the search exactly (data·inclusion §3.2): an offer whose ``zone_eligibilite``
is empty, or holds ``france`` / ``99100``, is eligible everywhere; otherwise it is eligible in a
commune whose code, EPCI (SIREN) or département is in its zone (:attr:`Commune.zone_codes`).
"On-site" is ``modes_accueil`` containing ``en-presentiel`` — or no ``modes_accueil`` at all,
with coordinates (a place with an address and no declared mode is taken as a place one visits).

How it stays fast (all of France, ~35,000 communes × 16 categories in well under 5 s): offers and
communes are unit vectors on the sphere, nearest neighbours and ball counts come from scipy's
``cKDTree`` (chord distance ↔ great-circle distance is monotonic, so the nearest by chord is the
nearest by arc). Offers restricted to a zone are grouped by their *zone pattern* (the tuple of
codes of their ``zone_eligibilite``): each pattern is searched only from the communes inside
it, and an offer belongs to exactly one pattern, so nothing is counted twice. Unrestricted offers
go in one tree queried from every commune.

Pure computation: no Flask, no database. The caller builds an :class:`OfferTable` (from rows of the
database, or from the benchmark's synthetic documents) and a :class:`CommuneTable` (from the
reference geography), then calls :func:`compute`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy.spatial import cKDTree

from app.core.geo import EARTH_RADIUS_KM, Commune, Geography

#: the radii of the "offers within" counts
RADII_KM: tuple[float, ...] = (10.0, 20.0, 30.0)
#: zone codes meaning "eligible everywhere" (data·inclusion: ``france``; ``99100`` = France in COG)
EVERYWHERE = frozenset({"france", "99100"})
PRESENTIEL = "en-presentiel"
A_DISTANCE = "a-distance"
#: below this many commune × offer pairs a dense computation beats building a tree
_DENSE_PAIRS = 60_000


# -- sphere ------------------------------------------------------------------------------------
def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of points given in degrees (NaN in, NaN out)."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    cos_la = np.cos(la)
    return np.column_stack((cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)))


def chord_for_km(km: float) -> float:
    """Straight-line distance between two unit vectors that are ``km`` apart on the Earth."""
    return 2.0 * math.sin(min(km / (2.0 * EARTH_RADIUS_KM), math.pi / 2))


def km_for_chord(chord: np.ndarray) -> np.ndarray:
    """Great-circle kilometres for chord lengths of unit vectors (inf stays inf)."""
    chord = np.asarray(chord, dtype=float)
    out = np.full(chord.shape, np.inf)
    finite = np.isfinite(chord)
    out[finite] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord[finite] / 2.0, 0.0, 1.0))
    return out


def category_of(thematique: str) -> str:
    return thematique.split("--", 1)[0]


# -- communes ----------------------------------------------------------------------------------
@dataclass
class CommuneTable:
    """Communes as columns (one row per commune), with an index from zone code to rows."""

    codes: np.ndarray          # object (str)
    noms: np.ndarray           # object (str)
    population: np.ndarray     # int64
    lat: np.ndarray
    lon: np.ndarray
    departements: np.ndarray   # object (str)
    regions: np.ndarray        # object (str)
    epci: np.ndarray           # object (str | None)
    zone_codes: list[tuple[str, ...]]
    xyz: np.ndarray = field(init=False)
    _members: dict[str, np.ndarray] = field(init=False, repr=False)
    _eligible_cache: dict[tuple[str, ...], np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.xyz = unit_vectors(self.lat, self.lon)
        members: dict[str, list[int]] = {}
        for row, codes in enumerate(self.zone_codes):
            for code in codes:
                if code not in EVERYWHERE:
                    members.setdefault(code, []).append(row)
        self._members = {code: np.asarray(rows, dtype=np.int64) for code, rows in members.items()}
        self._eligible_cache = {}

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def from_communes(cls, communes: Sequence[Commune]) -> "CommuneTable":
        return cls(
            codes=np.array([c.code_insee for c in communes], dtype=object),
            noms=np.array([c.nom for c in communes], dtype=object),
            population=np.array([c.population for c in communes], dtype=np.int64),
            lat=np.array([c.lat for c in communes], dtype=float),
            lon=np.array([c.lon for c in communes], dtype=float),
            departements=np.array([c.code_departement for c in communes], dtype=object),
            regions=np.array([c.code_region for c in communes], dtype=object),
            epci=np.array([c.siren_epci for c in communes], dtype=object),
            zone_codes=[c.zone_codes for c in communes],
        )

    @classmethod
    def from_geography(cls, geo: Geography) -> "CommuneTable":
        """Every commune of France (arrondissements municipaux left out: their city stands for them)."""
        return cls.from_communes([c for c in geo.communes.values() if c.code_parent is None])

    def eligible_rows(self, pattern: tuple[str, ...]) -> np.ndarray:
        """Rows of the communes where an offer with this ``zone_eligibilite`` is eligible."""
        rows = self._eligible_cache.get(pattern)
        if rows is None:
            parts = [self._members[c] for c in pattern if c in self._members]
            rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
            self._eligible_cache[pattern] = rows
        return rows


# -- offers ------------------------------------------------------------------------------------
def _norm_zone(zone: Iterable[str] | None) -> tuple[str, ...] | None:
    """None for "eligible everywhere", else the sorted distinct codes of the zone."""
    codes = tuple(sorted({str(c).strip() for c in zone or () if c is not None and str(c).strip()}))
    if not codes or EVERYWHERE.intersection(codes):
        return None
    return codes


@dataclass
class OfferTable:
    """Offers as columns: where they are, how they are given, where they are eligible, for which needs."""

    xyz: np.ndarray              # (n, 3), NaN rows for offers without coordinates
    onsite: np.ndarray           # bool: located and given on site
    remote: np.ndarray           # bool: given remotely (a-distance)
    pattern: np.ndarray          # int32: -1 = eligible everywhere, else index into ``patterns``
    patterns: list[tuple[str, ...]]
    #: thematique or category value -> sorted rows of the offers that have it
    by_value: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.pattern)

    @classmethod
    def from_records(cls, records: Iterable[Mapping]) -> "OfferTable":
        """Rows from mappings with ``lat``/``lon`` (or ``latitude``/``longitude``), ``thematiques``,
        ``modes_accueil`` and ``zone_eligibilite`` (service rows, search documents, test dicts)."""
        lat: list[float] = []
        lon: list[float] = []
        onsite: list[bool] = []
        remote: list[bool] = []
        pattern: list[int] = []
        pattern_ids: dict[tuple[str, ...], int] = {}
        by_value: dict[str, list[int]] = {}
        for row, rec in enumerate(records):
            la = rec.get("lat", rec.get("latitude"))
            lo = rec.get("lon", rec.get("longitude"))
            located = la is not None and lo is not None
            lat.append(float(la) if located else math.nan)
            lon.append(float(lo) if located else math.nan)
            modes = rec.get("modes_accueil") or ()
            onsite.append(located and (not modes or PRESENTIEL in modes))
            remote.append(A_DISTANCE in modes)
            zone = _norm_zone(rec.get("zone_eligibilite"))
            pattern.append(-1 if zone is None else pattern_ids.setdefault(zone, len(pattern_ids)))
            values: set[str] = set()
            for t in rec.get("thematiques") or ():
                values.add(t)
                values.add(category_of(t))
            for value in values:
                by_value.setdefault(value, []).append(row)
        return cls(
            xyz=unit_vectors(np.array(lat, dtype=float), np.array(lon, dtype=float)).reshape(-1, 3),
            onsite=np.array(onsite, dtype=bool), remote=np.array(remote, dtype=bool),
            pattern=np.array(pattern, dtype=np.int32), patterns=list(pattern_ids),
            by_value={v: np.array(rows, dtype=np.int64) for v, rows in by_value.items()},
        )

    def need_mask(self, need: Iterable[str]) -> np.ndarray:
        """Offers having at least one of these sub-themes or categories."""
        mask = np.zeros(len(self), dtype=bool)
        for value in need:
            rows = self.by_value.get(value)
            if rows is not None:
                mask[rows] = True
        return mask


# -- result ------------------------------------------------------------------------------------
@dataclass
class Coverage:
    communes: CommuneTable
    distance_km: np.ndarray          # float, inf = no eligible on-site offer anywhere
    within: dict[float, np.ndarray]  # radius km -> int counts
    remote: np.ndarray               # bool
    remote_offers: np.ndarray        # int: eligible remote offers
    offers: int                      # on-site located offers of the need (all territories)

    def count_within(self, km: float) -> np.ndarray:
        try:
            return self.within[float(km)]
        except KeyError:
            raise KeyError(f"no count within {km} km: compute() with radii including it") from None

    def beyond(self, threshold_km: float) -> np.ndarray:
        """Communes farther than the threshold from any eligible on-site offer ("zones blanches")."""
        return self.distance_km > threshold_km

    def summary(self, threshold_km: float, rows: np.ndarray | None = None) -> dict:
        """Headline figures over all communes (or ``rows``)."""
        sel = np.arange(len(self.communes)) if rows is None else np.asarray(rows)
        pop = self.communes.population[sel]
        beyond = self.beyond(threshold_km)[sel]
        remote = self.remote[sel]
        total = int(pop.sum())
        beyond_pop = int(pop[beyond].sum())
        finite = self.distance_km[sel][np.isfinite(self.distance_km[sel])]
        return {
            "communes": int(len(sel)),
            "population": total,
            "communes_au_dela": int(beyond.sum()),
            "population_au_dela": beyond_pop,
            "population_au_dela_sans_distance": int(pop[beyond & ~remote].sum()),
            "communes_au_dela_sans_distance": int((beyond & ~remote).sum()),
            "part_couverte": (total - beyond_pop) / total if total else None,
            "communes_sans_offre": int((~np.isfinite(self.distance_km[sel])).sum()),
            "distance_mediane_km": float(np.median(finite)) if len(finite) else None,
            "distance_max_km": float(finite.max()) if len(finite) else None,
            "seuil_km": float(threshold_km),
        }


def _accumulate(q_xyz: np.ndarray, o_xyz: np.ndarray, chords: list[float],
                best: np.ndarray, counts: list[np.ndarray], rows: np.ndarray | None) -> None:
    """Nearest chord and counts within each chord, from ``o_xyz`` to ``q_xyz``, merged into ``best``/``counts``."""
    if len(o_xyz) == 0 or len(q_xyz) == 0:
        return
    if len(o_xyz) * len(q_xyz) <= _DENSE_PAIRS:
        diff = q_xyz[:, None, :] - o_xyz[None, :, :]
        chord = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        nearest = chord.min(axis=1)
        found = [(chord <= c).sum(axis=1) for c in chords]
    else:
        tree = cKDTree(o_xyz, leafsize=64, balanced_tree=False)
        nearest, _ = tree.query(q_xyz, k=1, workers=-1)
        found = [tree.query_ball_point(q_xyz, c, return_length=True, workers=-1) for c in chords]
    if rows is None:
        np.minimum(best, nearest, out=best)
        for acc, n in zip(counts, found):
            acc += n
    else:
        best[rows] = np.minimum(best[rows], nearest)
        for acc, n in zip(counts, found):
            acc[rows] += n


def compute(communes: CommuneTable, offers: OfferTable, need: Iterable[str] | np.ndarray,
            radii_km: Iterable[float] = RADII_KM) -> Coverage:
    """Coverage of ``communes`` by the offers of ``need`` (values, or a boolean mask over offers).

    Offers anywhere count (an offer across the border serves the communes near it, if it is
    eligible there); only the communes given are computed.
    """
    mask = need if isinstance(need, np.ndarray) and need.dtype == bool else offers.need_mask(need)
    radii = sorted({float(r) for r in radii_km})
    chords = [chord_for_km(r) for r in radii]
    m = len(communes)
    best = np.full(m, np.inf)
    counts = [np.zeros(m, dtype=np.int64) for _ in radii]

    onsite = np.flatnonzero(mask & offers.onsite)
    patterns = offers.pattern[onsite]
    everywhere = onsite[patterns < 0]
    _accumulate(communes.xyz, offers.xyz[everywhere], chords, best, counts, None)
    for p, members in _groups(onsite, patterns):
        rows = communes.eligible_rows(offers.patterns[p])
        if len(rows):
            _accumulate(communes.xyz[rows], offers.xyz[members], chords, best, counts, rows)

    remote_offers = np.zeros(m, dtype=np.int64)
    distant = np.flatnonzero(mask & offers.remote)
    d_patterns = offers.pattern[distant]
    remote_offers += int((d_patterns < 0).sum())
    for p, members in _groups(distant, d_patterns):
        rows = communes.eligible_rows(offers.patterns[p])
        remote_offers[rows] += len(members)

    return Coverage(communes=communes, distance_km=km_for_chord(best),
                    within={r: c for r, c in zip(radii, counts)}, remote=remote_offers > 0,
                    remote_offers=remote_offers, offers=int(len(onsite)))


def _groups(rows: np.ndarray, patterns: np.ndarray):
    """(pattern, rows) for every restricted pattern present (pattern >= 0)."""
    restricted = patterns >= 0
    if not restricted.any():
        return
    rows, patterns = rows[restricted], patterns[restricted]
    order = np.argsort(patterns, kind="stable")
    rows, patterns = rows[order], patterns[order]
    starts = np.flatnonzero(np.r_[True, patterns[1:] != patterns[:-1]])
    ends = np.r_[starts[1:], len(patterns)]
    for s, e in zip(starts, ends):
        yield int(patterns[s]), rows[s:e]


def compute_many(communes: CommuneTable, offers: OfferTable, needs: Mapping[str, Iterable[str]],
                 radii_km: Iterable[float] = RADII_KM) -> dict[str, Coverage]:
    """One :class:`Coverage` per named need (e.g. the 16 categories, or the SPIE levers)."""
    radii = tuple(radii_km)
    return {name: compute(communes, offers, values, radii) for name, values in needs.items()}
