"""Needs × territories: for a département, every SPIE lever against every EPCI, by coverage."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.coordination import demand as dem
from app.coordination.data import BadRequest, offer_table
from app.core import coverage
from app.core import vocabularies as voc
from app.core.geo import geography

#: colour of a cell by the share of the population within the threshold (≥ lower bound)
SHARE_CLASSES = ((0.95, "#2166ac", "≥ 95 %"), (0.8, "#92c5de", "80 – 95 %"), (0.5, "#f4a582", "50 – 80 %"),
                 (0.0, "#b2182b", "< 50 %"))


def colour_of(share: float | None) -> str:
    if share is None:
        return "#e5e5e5"
    return next(colour for bound, colour, _ in SHARE_CLASSES if share >= bound)


@dataclass(frozen=True)
class Column:
    kind: str    # epci | departement
    code: str
    nom: str
    population: int
    communes: int


@dataclass(frozen=True)
class Cell:
    share: float | None            # population within the threshold / population
    communes_beyond: int
    population_beyond: int
    unmet: int                     # searches with few or no results
    searches: int

    @property
    def colour(self) -> str:
        return colour_of(self.share)

    @property
    def dark(self) -> bool:
        return self.colour in ("#2166ac", "#b2182b")


@dataclass
class Matrix:
    departement: str
    nom: str
    threshold: float
    columns: list[Column]
    leviers: list[voc.Levier]
    cells: dict[tuple[str, str], Cell]   # (lever, column code) -> cell


@lru_cache(maxsize=32)
def _table(code_departement: str):
    geo = geography()
    own = geo.departement_communes(code_departement)
    epcis = {c.siren_epci for c in own if c.siren_epci}
    communes = [c for c in geo.communes.values() if c.code_parent is None and c.siren_epci in epcis]
    communes += [c for c in own if not c.siren_epci]
    communes.sort(key=lambda c: c.code_insee)
    return communes, coverage.CommuneTable.from_communes(communes)


def build(database_url: str, code_departement: str, threshold: float, low_results: int,
          today: dt.date | None = None) -> Matrix:
    geo = geography()
    dep = geo.departements.get((code_departement or "").upper())
    if dep is None:
        raise BadRequest(f"département inconnu : {code_departement}")
    communes, table = _table(dep.code)
    offers = offer_table(database_url)
    groups: dict[str, np.ndarray] = {}
    for e in sorted({c.siren_epci for c in communes if c.siren_epci}):
        groups[e] = np.flatnonzero(table.epci == e)
    dep_rows = np.flatnonzero(table.departements == dep.code)
    columns = [Column("departement", dep.code, dep.nom, int(table.population[dep_rows].sum()), len(dep_rows))]
    columns += sorted((Column("epci", e, geo.epci[e]["nom"] if e in geo.epci else f"EPCI {e}",
                              int(table.population[rows].sum()), len(rows)) for e, rows in groups.items()),
                      key=lambda c: c.nom)
    rows_of = {dep.code: dep_rows, **groups}
    today = today or dt.date.today()
    searches = dem.load_searches(database_url, sorted(set(table.departements)), today - dt.timedelta(days=365))
    codes_of = {key: set(table.codes[rows]) for key, rows in rows_of.items()}
    cells: dict[tuple[str, str], Cell] = {}
    leviers = list(voc.leviers())
    for lv in leviers:
        cov = coverage.compute(table, offers, set(lv.thematiques), radii_km=(threshold,))
        beyond = cov.beyond(threshold)
        need = frozenset(lv.thematiques)
        for col in columns:
            rows = rows_of[col.code]
            pop = table.population[rows]
            total = int(pop.sum())
            pop_beyond = int(pop[beyond[rows]].sum())
            d = dem.total(searches, need, low_results, codes_of[col.code])
            cells[(lv.value, col.code)] = Cell(
                share=(total - pop_beyond) / total if total else None, communes_beyond=int(beyond[rows].sum()),
                population_beyond=pop_beyond, unmet=d.low, searches=d.searches)
    return Matrix(dep.code, dep.nom, threshold, columns, leviers, cells)
