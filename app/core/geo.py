"""Reference geography of France (COG 2025), read from ``data/geo/``, no network.

Resolves what a person types — a code INSEE, a postal code, a commune name with or without
accents, an arrondissement, a former (merged) commune — to a commune, and gives each commune
its EPCI, département and région, which eligibility zones (``zone_eligibilite``) are made of.
"""
from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.core.text import fold

GEO_DIR = Path(__file__).resolve().parents[2] / "data" / "geo"
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Commune:
    code_insee: str
    nom: str
    code_departement: str
    code_region: str
    siren_epci: str | None
    codes_postaux: tuple[str, ...]
    population: int
    lat: float
    lon: float
    #: for an arrondissement municipal (75101…): the commune it belongs to (75056).
    code_parent: str | None = None
    #: INSEE name without its article ("Port" for "Le Port"), also accepted by name lookups.
    nom_court: str | None = None

    @property
    def zone_codes(self) -> tuple[str, ...]:
        """Codes a service's ``zone_eligibilite`` may hold to be eligible here (data·inclusion §3.2)."""
        codes = [self.code_insee, self.code_departement, "france", "99100"]
        if self.code_parent:
            codes.append(self.code_parent)
        if self.siren_epci:
            codes.append(self.siren_epci)
        return tuple(codes)


@dataclass(frozen=True)
class Departement:
    code: str
    nom: str
    code_region: str


@dataclass
class Geography:
    communes: dict[str, Commune]
    departements: dict[str, Departement]
    regions: dict[str, str]
    epci: dict[str, dict]
    former: dict[str, str] = field(default_factory=dict)  # old commune code -> current code
    _by_postcode: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.communes.values():
            for cp in c.codes_postaux:
                self._by_postcode.setdefault(cp, []).append(c.code_insee)
        for codes in self._by_postcode.values():
            codes.sort(key=lambda code: -self.communes[code].population)

    @property
    def _by_name(self) -> dict[str, list[str]]:
        """Folded name -> codes, most populous first; built on the first lookup by name (two thirds
        of the loading time, and most records and searches give a code, never a name)."""
        index = self.__dict__.get("_by_name_cache")
        if index is None:
            index = {}
            for c in self.communes.values():
                if c.code_parent is None:
                    for key in dict.fromkeys(name_key(n) for n in (c.nom, c.nom_court) if n):
                        index.setdefault(key, []).append(c.code_insee)
            for codes in index.values():
                codes.sort(key=lambda code: -self.communes[code].population)
            self.__dict__["_by_name_cache"] = index
        return index

    # -- lookups -----------------------------------------------------------------------------
    def commune(self, code_insee: str) -> Commune | None:
        """A commune or arrondissement by code INSEE; a former commune gives the one it merged into."""
        code = (code_insee or "").strip().upper()
        if code in self.communes:
            return self.communes[code]
        current = self.former.get(code)
        return self.communes.get(current) if current else None

    def by_postcode(self, code_postal: str) -> list[Commune]:
        """Communes served by a postal code, most populous first (CEDEX suffixes ignored)."""
        code = re.sub(r"\D", "", code_postal or "")[:5]
        return [self.communes[c] for c in self._by_postcode.get(code, [])]

    def by_name(self, name: str, code_postal: str | None = None,
                departement: str | None = None) -> list[Commune]:
        """Communes of that name (accents, case, hyphens, "St" folded), most populous first."""
        key = name_key(name)
        found = [self.communes[c] for c in self._by_name.get(key, [])]
        if not found and key in self._former_names:
            found = [self.communes[c] for c in self._former_names[key] if c in self.communes]
        if code_postal:
            with_cp = [c for c in found if code_postal[:5] in c.codes_postaux]
            same_dep = [c for c in found if c.code_departement == departement_of_postcode(code_postal)]
            found = with_cp or same_dep or found
        if departement:
            found = [c for c in found if c.code_departement == departement] or found
        return found

    def resolve(self, text: str) -> Commune | None:
        """Best commune for what a person typed: "12202", "12000", "Rodez", "rodez (12)", "Saint-Denis 97400"."""
        text = (text or "").strip()
        if not text:
            return None
        m = re.fullmatch(r"(\d[\dAB]\d{3})", text.upper())
        if m:
            return self.commune(m.group(1)) or next(iter(self.by_postcode(m.group(1))), None)
        cp = re.search(r"\b(\d{5})\b", text)
        dep = re.search(r"\((\d[\dAB]\d?)\)", text)
        name = re.sub(r"\(.*?\)|\b\d{5}\b", " ", text).strip(" ,-")
        if not name and cp:
            return next(iter(self.by_postcode(cp.group(1))), None)
        found = self.by_name(name, cp.group(1) if cp else None, dep.group(1) if dep else None)
        if found and cp:
            # "Marseille 13001" means the 1st arrondissement, not the whole city.
            arrondissement = next((c for c in self.by_postcode(cp.group(1))
                                   if c.code_parent == found[0].code_insee), None)
            return arrondissement or found[0]
        return found[0] if found else None

    def departement_communes(self, code_departement: str) -> list[Commune]:
        return [c for c in self.communes.values()
                if c.code_departement == code_departement and c.code_parent is None]

    def suggest(self, prefix: str, limit: int = 10) -> list[Commune]:
        """Autocomplete: communes whose folded name or postal code starts with the prefix."""
        key = name_key(prefix)
        if not key:
            return []
        if key.isdigit():
            hits = {c for cp, codes in self._by_postcode.items() if cp.startswith(key) for c in codes}
        else:
            hits = {c for name, codes in self._by_name.items() if name.startswith(key) for c in codes}
        return sorted((self.communes[c] for c in hits), key=lambda c: -c.population)[:limit]

    @property
    def _former_names(self) -> dict[str, list[str]]:
        cache = self.__dict__.get("_former_names_cache")
        if cache is None:
            cache = {}
            for old, new in self.former.items():
                name = self.__dict__.get("_former_nom", {}).get(old)
                if name:
                    cache.setdefault(name_key(name), []).append(new)
            self.__dict__["_former_names_cache"] = cache
        return cache


def name_key(name: str) -> str:
    key = fold(name or "")
    key = re.sub(r"\bste?\b\.?", lambda m: "sainte" if m.group(0).startswith("ste") else "saint", key)
    key = re.sub(r"\bcedex\b.*$", "", key)
    key = re.sub(r"\barrondissement\b|\b\d+(er|e|eme)\b", " ", key) if "arrondissement" in key else key
    return re.sub(r"[^a-z0-9]+", " ", key).strip()


def departement_of_postcode(code_postal: str) -> str | None:
    cp = re.sub(r"\D", "", code_postal or "")
    if len(cp) < 5:
        return None
    if cp.startswith("97"):
        return cp[:3]
    if cp.startswith("20"):
        return "2A" if int(cp) < 20200 else "2B"
    return cp[:2]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=1)
def geography(geo_dir: Path = GEO_DIR) -> Geography:
    """The whole reference geography, loaded once per process (~35k communes, about 0.3 s)."""
    communes: dict[str, Commune] = {}
    with open(geo_dir / "communes-2025-centres-complement.csv", encoding="utf-8") as f:
        complement = {r["code_insee"]: r for r in csv.DictReader(f)}
    with open(geo_dir / "communes-2025-centroides.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if not r["centroide_lat"]:
                r["centroide_lat"], r["centroide_lon"] = (complement[r["code_insee"]][k] for k in ("lat", "lon"))
            communes[r["code_insee"]] = Commune(
                code_insee=r["code_insee"], nom=r.get("nom_complet") or r["nom"],
                code_departement=r["code_departement"],
                code_region=r["code_region"], siren_epci=r["siren_epci"] or None,
                codes_postaux=tuple(r["codes_postaux"].split()),
                population=int(r["population_municipale"] or 0),
                lat=float(r["centroide_lat"]), lon=float(r["centroide_lon"]),
                nom_court=r["nom"] if r.get("nom_complet") and r["nom_complet"] != r["nom"] else None,
            )
    with open(geo_dir / "arrondissements-municipaux.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            parent = communes[r["code_parent"]]
            communes[r["code_insee"]] = Commune(
                code_insee=r["code_insee"], nom=r["nom"], code_departement=parent.code_departement,
                code_region=parent.code_region, siren_epci=parent.siren_epci,
                codes_postaux=tuple(r["codes_postaux"].split()),
                population=int(r["population_municipale"] or 0),
                lat=float(r["lat"]), lon=float(r["lon"]), code_parent=parent.code_insee,
            )
    former: dict[str, str] = {}
    former_nom: dict[str, str] = {}
    with open(geo_dir / "communes-deleguees-associees.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            former_nom[r["code_insee"]] = r["nom"]
            if r["code_insee"] not in communes:
                former[r["code_insee"]] = r["code_parent"]
            else:
                former.setdefault("_" + r["code_insee"], r["code_parent"])
    departements = {
        d["code"]: Departement(d["code"], d["nom"], d["region"])
        for d in json.loads((geo_dir / "departements.json").read_text(encoding="utf-8"))
    }
    regions = {r["code"]: r["nom"] for r in json.loads((geo_dir / "regions.json").read_text(encoding="utf-8"))}
    epci: dict[str, dict] = {}
    with open(geo_dir / "epci.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            epci[r["code"]] = r
    geo = Geography(communes, departements, regions, epci, {k: v for k, v in former.items() if not k.startswith("_")})
    # Former communes that kept their own code as a déléguée of a new commune resolve by name too.
    geo.__dict__["_former_nom"] = {k.lstrip("_"): former_nom[k.lstrip("_")] for k in former}
    geo.former.update({k.lstrip("_"): v for k, v in former.items() if k.startswith("_") and k.lstrip("_") != v})
    return geo
