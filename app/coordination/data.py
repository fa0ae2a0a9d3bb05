"""What the coordinators' pages compute on: territories, needs, the live offer as a coverage table.

The offer is read from the database once and kept in memory (an :class:`OfferTable`, a few MB)
until the data changes (a new ingestion run or a different number of live services).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Generic, TypeVar

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import coverage
from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.geo import Commune, geography
from app.core.models import Service, SourceRun


class BadRequest(ValueError):
    """A parameter the page cannot use (message in French)."""


# -- territories -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Territory:
    kind: str        # departement | region | epci
    code: str
    nom: str
    communes: tuple[Commune, ...]

    @property
    def label(self) -> str:
        prefix = {"departement": "Département", "region": "Région", "epci": ""}[self.kind]
        return f"{prefix} {self.nom}".strip() if self.kind != "departement" else f"{self.nom} ({self.code})"

    @property
    def param(self) -> dict[str, str]:
        return {self.kind: self.code}

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.code}"

    @property
    def departements(self) -> tuple[str, ...]:
        return tuple(sorted({c.code_departement for c in self.communes}))


def _communes():
    return [c for c in geography().communes.values() if c.code_parent is None]


@lru_cache(maxsize=512)
def territory(kind: str, code: str) -> Territory:
    geo = geography()
    code = (code or "").strip().upper() if kind == "departement" else (code or "").strip()
    if kind == "departement":
        dep = geo.departements.get(code)
        if dep is None:
            raise BadRequest(f"département inconnu : {code}")
        communes = geo.departement_communes(code)
        nom = dep.nom
    elif kind == "region":
        if code not in geo.regions:
            raise BadRequest(f"région inconnue : {code}")
        communes = [c for c in _communes() if c.code_region == code]
        nom = geo.regions[code]
    elif kind == "epci":
        if code not in geo.epci:
            raise BadRequest(f"EPCI inconnu : {code}")
        communes = [c for c in _communes() if c.siren_epci == code]
        nom = geo.epci[code]["nom"]
    else:
        raise BadRequest(f"type de territoire inconnu : {kind}")
    if not communes:
        raise BadRequest(f"aucune commune pour {kind} {code}")
    return Territory(kind, code, nom, tuple(sorted(communes, key=lambda c: c.code_insee)))


def territory_from_args(args) -> Territory | None:
    for kind in ("epci", "departement", "region"):
        if args.get(kind):
            return territory(kind, args.get(kind))
    return None


def epci_of_departement(code_departement: str) -> list[tuple[str, str]]:
    """(SIREN, nom) of the EPCI with communes in a département, by name."""
    geo = geography()
    codes = {c.siren_epci for c in geo.departement_communes(code_departement) if c.siren_epci}
    return sorted(((code, geo.epci[code]["nom"] if code in geo.epci else f"EPCI {code}") for code in codes),
                  key=lambda kv: kv[1])


@lru_cache(maxsize=512)
def commune_table(kind: str, code: str) -> coverage.CommuneTable:
    return coverage.CommuneTable.from_communes(territory(kind, code).communes)


# -- needs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    key: str                      # levier:<value> | thematiques:<v1>,<v2>
    label: str
    values: tuple[str, ...]       # sub-themes and/or categories as asked
    expanded: frozenset[str]      # the sub-themes it stands for
    param: tuple[tuple[str, str], ...]

    @property
    def slug(self) -> str:
        return self.key.split(":", 1)[1].replace(",", "+")


def need_for_levier(value: str) -> Need:
    lv = voc.levier(value)
    if lv is None:
        raise BadRequest(f"levier inconnu : {value}")
    return Need(f"levier:{lv.value}", lv.label, lv.thematiques, frozenset(lv.thematiques), (("levier", lv.value),))


def need_for_thematiques(values: list[str]) -> Need:
    values = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in voc.THEMATIQUES and v not in voc.CATEGORIES]
    if unknown:
        raise BadRequest(f"thématique inconnue : {', '.join(unknown)}")
    if not values:
        raise BadRequest("aucune thématique")
    values = sorted(dict.fromkeys(values))
    label = ", ".join(voc.label("categories" if v in voc.CATEGORIES else "thematiques", v) for v in values)
    return Need("thematiques:" + ",".join(values), label, tuple(values), voc.expand_thematiques(values),
                tuple(("thematiques", v) for v in values))


def need_from_args(args) -> Need | None:
    if args.get("levier"):
        return need_for_levier(args.get("levier"))
    values = args.getlist("thematiques") if hasattr(args, "getlist") else args.get("thematiques")
    if values:
        return need_for_thematiques(values if isinstance(values, list) else [values])
    return None


def need_choices() -> dict[str, list[tuple[str, str]]]:
    """Options of the need selector: levers, categories, sub-themes (by category)."""
    cats = sorted(voc.VOCABULARIES["categories"], key=lambda t: t.label)
    subs = sorted(voc.VOCABULARIES["thematiques"], key=lambda t: t.label)
    return {
        "leviers": [(lv.value, lv.label) for lv in voc.leviers()],
        "categories": [(t.value, t.label) for t in cats],
        "thematiques": [(t.value, f"{voc.label('categories', voc.category_of(t.value))} — {t.label}") for t in subs],
    }


# -- the live offer ----------------------------------------------------------------------------
def _data_version(session) -> tuple:
    last_run = session.scalar(select(func.max(SourceRun.id)))
    live = session.scalar(select(func.count()).select_from(Service).where(Service.retired_at.is_(None)))
    return (last_run, live)


T = TypeVar("T")


class PerDataVersion(Generic[T]):
    """One value per database, built from the live data and rebuilt when it changes (a new
    ingestion run or a different number of live services); built once even when several
    requests ask at the same time."""

    def __init__(self, build: Callable[[Session], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._values: dict[str, tuple[tuple, T]] = {}

    def get(self, database_url: str) -> T:
        with session_scope(database_url) as session:
            version = _data_version(session)
            cached = self._values.get(database_url)
            if cached is not None and cached[0] == version:
                return cached[1]
            with self._lock:
                cached = self._values.get(database_url)
                if cached is not None and cached[0] == version:
                    return cached[1]
                value = self._build(session)
                self._values[database_url] = (version, value)
                return value


def _offer_table(session: Session) -> coverage.OfferTable:
    rows = session.execute(select(
        Service.latitude, Service.longitude, Service.thematiques, Service.modes_accueil,
        Service.zone_eligibilite).where(Service.retired_at.is_(None))).all()
    return coverage.OfferTable.from_records(
        {"lat": la, "lon": lo, "thematiques": th, "modes_accueil": modes, "zone_eligibilite": zone}
        for la, lo, th, modes, zone in rows)


_offer_tables = PerDataVersion(_offer_table)


def offer_table(database_url: str) -> coverage.OfferTable:
    """The live services as a coverage table, rebuilt when the data has changed."""
    return _offer_tables.get(database_url)


def radii_for(threshold_km: float) -> tuple[float, ...]:
    return tuple(sorted({*coverage.RADII_KM, float(threshold_km)}))


def compute(database_url: str, terr: Territory, need: Need, threshold_km: float) -> coverage.Coverage:
    return coverage.compute(commune_table(terr.kind, terr.code), offer_table(database_url),
                            need.expanded | set(need.values),
                            radii_for(threshold_km))


def share_covered(cov: coverage.Coverage, threshold_km: float, rows: np.ndarray | None = None) -> float | None:
    return cov.summary(threshold_km, rows)["part_couverte"]
