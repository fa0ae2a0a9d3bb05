"""Read queries the pages need beyond ``app/services.py`` (selection, structure pages, catalogue,
département entry points, nearest commune of a point). Plain reads, no writes."""
from __future__ import annotations

import threading
import time
from functools import lru_cache

import numpy as np
from sqlalchemy import func, select

from app import services
from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.geo import Commune, geography
from app.core.models import Service, Structure
from app.search import SearchQuery

#: most services a selection (link, page or PDF) may hold
MAX_SELECTION = 50
_CACHE_SECONDS = 600
_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}


def _cached(key: str, compute):
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < _CACHE_SECONDS:
            return hit[1]
    value = compute()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def services_by_ids(ids: list[str]) -> list[Service]:
    """Live services of these ids, in the given order, with their structures (unknown ids skipped)."""
    ids = list(dict.fromkeys(i for i in ids if i))[:MAX_SELECTION]
    if not ids:
        return []
    with session_scope(services.settings().database_url) as session:
        rows = session.scalars(select(Service).where(Service.id.in_(ids), Service.retired_at.is_(None))).unique().all()
        for s in rows:
            session.expunge(s)
    found = {s.id: s for s in rows}
    return [found[i] for i in ids if i in found]


def structure_with_services(structure_id: str) -> tuple[Structure | None, list[Service], list[Structure]]:
    """A structure, its live services, and the same structure as known by other sources."""
    structure, doublons = services.get_structure(structure_id)
    if structure is None:
        return None, [], []
    live = [s for s in structure.services if s.retired_at is None]
    return structure, live, doublons


def services_per_departement() -> dict[str, int]:
    """Live services per département of the service's commune (cached ten minutes)."""
    def compute() -> dict[str, int]:
        geo = geography()
        with session_scope(services.settings().database_url) as session:
            rows = session.execute(select(Service.code_insee, func.count()).where(
                Service.retired_at.is_(None)).group_by(Service.code_insee)).all()
        out: dict[str, int] = {}
        for code, count in rows:
            commune = geo.commune(code) if code else None
            if commune is not None:
                out[commune.code_departement] = out.get(commune.code_departement, 0) + count
        return dict(sorted(out.items(), key=lambda kv: _dep_sort_key(kv[0])))
    return _cached("per-departement:" + services.settings().database_url, compute)


def leviers_in_departement(code_departement: str) -> dict[str, int]:
    """Live services per SPIE lever among those located in a département (cached ten minutes).

    Asks the backend directly: browsing the catalogue is not a search, and must not count as demand."""
    def compute() -> dict[str, int]:
        out = {}
        for lv in voc.leviers():
            result = services.backend().search(SearchQuery(thematiques=lv.thematiques, departements=(code_departement,),
                                                           page=1, size=1, facets=False))
            out[lv.value] = result.total
        return out
    return _cached(f"leviers:{code_departement}:{services.settings().database_url}", compute)


#: largest list a catalogue page is cut from (a département × lever rarely holds a thousand)
CATALOGUE_LIMIT = 5000


def catalogue_entries(code_departement: str, levier: voc.Levier) -> list[tuple[str, str, str]]:
    """(commune, name, id) of every live service of a lever located in a département, in commune
    then name order, so a catalogue page lists whole communes (cached ten minutes)."""
    def compute() -> list[tuple[str, str, str]]:
        query = SearchQuery(thematiques=levier.thematiques, departements=(code_departement,), page=1,
                            size=CATALOGUE_LIMIT, facets=False)
        result = services.backend().search(query)
        ids = [h.id for h in result.hits]
        if not ids:
            return []
        with session_scope(services.settings().database_url) as session:
            rows = session.execute(select(Service.id, Service.commune, Service.nom).where(
                Service.id.in_(ids), Service.retired_at.is_(None))).all()
        return sorted(((commune or "", nom, sid) for sid, commune, nom in rows),
                      key=lambda r: (fold_key(r[0]) or "~", fold_key(r[1]), r[2]))
    return _cached(f"catalogue:{code_departement}:{levier.value}:{services.settings().database_url}", compute)


def fold_key(text: str) -> str:
    from app.core.text import fold

    return fold(text or "")


def _dep_sort_key(code: str) -> tuple[int, str]:
    return (1 if code.startswith("97") else 0, code.replace("2A", "20A").replace("2B", "20B"))


@lru_cache(maxsize=1)
def _commune_points() -> tuple[list[Commune], np.ndarray]:
    communes = [c for c in geography().communes.values() if c.code_parent is None]
    lat = np.radians([c.lat for c in communes])
    lon = np.radians([c.lon for c in communes])
    xyz = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    return communes, xyz


def nearest_commune(lat: float, lon: float) -> Commune | None:
    """The commune whose centre is closest to a point ("autour de moi"): it gives the eligibility zone."""
    communes, xyz = _commune_points()
    la, lo = np.radians(lat), np.radians(lon)
    point = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    best = int(np.argmax(xyz @ point))
    return communes[best] if communes else None


def departement_label(code: str) -> str:
    dep = geography().departements.get(code)
    return f"{dep.nom} ({code})" if dep else code


_LIAISON_DE = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'"}


def departement_de(code: str) -> str:
    """ "de l'Aveyron", "du Tarn", "des Landes", "de La Réunion" (COG type de liaison)."""
    dep = geography().departements.get(code)
    if dep is None:
        return code
    kinds = _liaisons()
    return f"{_LIAISON_DE.get(kinds.get(code, 0), 'de ')}{dep.nom}"


@lru_cache(maxsize=1)
def _liaisons() -> dict[str, int]:
    import json

    from app.core.geo import GEO_DIR

    raw = json.loads((GEO_DIR / "departements.json").read_text(encoding="utf-8"))
    return {d["code"]: int(d.get("typeLiaison") or 0) for d in raw}
