"""The gap brief (« fiche besoin »): one page on a territory × need, for a consortium designing a
new offer — population beyond reach, communes and intercommunalités concerned, the nearest existing
offers, unmet searches.

Every figure comes from the coverage report of ``app/coordination/report.py`` (``report.build``,
the code path of the coverage page and of ``couverture.csv`` / ``couverture.geojson``): the
brief adds no computation of its own to the figures, only groupings of the report's rows, and
which offer is the nearest (the report has the distance, not the offer). That offer is found by
the same rules as ``app.core.coverage`` (on site, eligible in the commune, great-circle distance
from the commune's centre through the same unit vectors), so its distance is the report's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from app.coordination import report as rep
from app.core import coverage
from app.core.db import session_scope
from app.core.geo import geography
from app.core.models import Service, Structure

#: how many rows of each list a one-page brief shows (the exports have them all)
SHOW_COMMUNES = 12
SHOW_OFFERS = 5
SHOW_WORDS = 8
KM_PER_DEGREE = 111.2


@dataclass
class NearestOffer:
    """An existing offer that is the nearest one for some communes beyond the threshold."""

    id: str
    nom: str
    structure: str | None
    commune: str | None
    code_postal: str | None
    communes: list[str] = field(default_factory=list)   # names of the gap communes it is nearest to
    population: int = 0
    distance_min_km: float = math.inf
    distance_max_km: float = 0.0


@dataclass
class EpciGap:
    siren: str | None
    nom: str
    communes: int
    population: int


@dataclass
class GapBrief:
    report: rep.CoverageReport
    gaps: list[rep.Row]                    # communes beyond the threshold, most populated first
    epcis: list[EpciGap]
    nearest: list[NearestOffer]
    #: gap commune code -> (id, km) of its nearest eligible on-site offer (None: none anywhere)
    nearest_of: dict[str, tuple[str, float] | None]
    unmet: list[rep.Row]                   # communes with the most unmet searches
    words: list[tuple[str, int]]           # words of the unmet searches, most frequent first

    @property
    def figures(self) -> dict:
        """The headline figures, named as in the report's summary (and the exports' columns)."""
        s = self.report.summary
        d = self.report.demand_total
        return {
            "communes": s["communes"], "population": s["population"],
            "communes_au_dela": s["communes_au_dela"], "population_au_dela": s["population_au_dela"],
            "population_au_dela_sans_distance": s["population_au_dela_sans_distance"],
            "communes_au_dela_sans_distance": s["communes_au_dela_sans_distance"],
            "communes_sans_offre": s["communes_sans_offre"], "part_couverte": s["part_couverte"],
            "distance_mediane_km": s["distance_mediane_km"], "distance_max_km": s["distance_max_km"],
            "recherches": d.searches, "recherches_sans_resultat": d.zero, "recherches_peu_de_resultats": d.low,
            "recherches_peu_de_resultats_zones_blanches": sum(r.demande.low for r in self.gaps),
        }

    @property
    def filename(self) -> str:
        return self.report.filename.replace("couverture-", "fiche-besoin-", 1)


def build(report: rep.CoverageReport, database_url: str) -> GapBrief:
    gaps = sorted((r for r in report.all_rows if r.zone_blanche), key=lambda r: (-r.population, r.nom))
    nearest, nearest_of = nearest_offers(report, gaps, database_url)
    return GapBrief(report=report, gaps=gaps, epcis=_epcis(gaps), nearest=nearest, nearest_of=nearest_of,
                    unmet=rep.top_unmet(report, SHOW_COMMUNES),
                    words=report.demand_total.words.most_common(SHOW_WORDS))


def _epcis(gaps: list[rep.Row]) -> list[EpciGap]:
    geo = geography()
    groups: dict[str | None, list[rep.Row]] = {}
    for r in gaps:
        commune = geo.commune(r.code_insee)
        groups.setdefault(commune.siren_epci if commune else None, []).append(r)
    out = []
    for siren, rows in groups.items():
        nom = geo.epci[siren]["nom"] if siren in geo.epci else (f"EPCI {siren}" if siren else "sans intercommunalité")
        out.append(EpciGap(siren, nom, len(rows), sum(r.population for r in rows)))
    return sorted(out, key=lambda e: (-e.population, e.nom))


def _eligible(zone, commune_codes: frozenset[str]) -> bool:
    codes = coverage._norm_zone(zone)  # the coverage's own reading of a zone (None: everywhere)
    return codes is None or not commune_codes.isdisjoint(codes)


def _on_site(lat, lon, modes) -> bool:
    return lat is not None and lon is not None and (not modes or coverage.PRESENTIEL in modes)


def nearest_offers(report: rep.CoverageReport, gaps: list[rep.Row], database_url: str
                   ) -> tuple[list[NearestOffer], dict[str, tuple[str, float] | None]]:
    """For each gap commune, its nearest eligible on-site offer of the need (the offer behind the
    report's ``distance_km``), grouped by offer, the offers serving the most people first."""
    geo = geography()
    located = [(r, geo.commune(r.code_insee)) for r in gaps if r.distance_km is not None]
    nearest_of: dict[str, tuple[str, float] | None] = {r.code_insee: None for r in gaps}
    if not located:
        return [], nearest_of
    reach = max(r.distance_km for r, _ in located) + 1.0
    lats = [c.lat for _, c in located]
    lons = [c.lon for _, c in located]
    dlat = reach / KM_PER_DEGREE
    dlon = reach / (KM_PER_DEGREE * max(0.05, min(math.cos(math.radians(min(89.0, abs(la) + dlat))) for la in lats)))
    values = set(report.need.expanded) | set(report.need.values)
    with session_scope(database_url) as session:
        rows = session.execute(
            select(Service.id, Service.nom, Service.latitude, Service.longitude, Service.thematiques,
                   Service.modes_accueil, Service.zone_eligibilite, Service.commune, Service.code_postal,
                   Structure.nom)
            .join(Structure, Structure.id == Service.structure_id, isouter=True)
            .where(Service.retired_at.is_(None),
                   Service.latitude.between(min(lats) - dlat, max(lats) + dlat),
                   Service.longitude.between(min(lons) - dlon, max(lons) + dlon))).all()
    offers = []
    for sid, nom, lat, lon, themes, modes, zone, commune, cp, structure in rows:
        if not _on_site(lat, lon, modes):
            continue
        have = set(themes or ()) | {coverage.category_of(t) for t in themes or ()}
        if have & values:
            offers.append((sid, nom, float(lat), float(lon), zone, commune, cp, structure))
    if not offers:
        return [], nearest_of
    o_xyz = coverage.unit_vectors(np.array([o[2] for o in offers]), np.array([o[3] for o in offers]))
    found: dict[str, NearestOffer] = {}
    for row, commune in located:
        codes = frozenset(commune.zone_codes)
        eligible = np.array([_eligible(o[4], codes) for o in offers], dtype=bool)
        if not eligible.any():
            continue
        c_xyz = coverage.unit_vectors(np.array([commune.lat]), np.array([commune.lon]))[0]
        chord = np.sqrt(((o_xyz - c_xyz) ** 2).sum(axis=1))
        chord[~eligible] = np.inf
        best = int(np.argmin(chord))
        km = float(coverage.km_for_chord(np.array([chord[best]]))[0])
        sid, nom, _, _, _, town, cp, structure = offers[best]
        nearest_of[row.code_insee] = (sid, km)
        item = found.setdefault(sid, NearestOffer(sid, nom, structure, town, cp))
        item.communes.append(row.nom)
        item.population += row.population
        item.distance_min_km = min(item.distance_min_km, km)
        item.distance_max_km = max(item.distance_max_km, km)
    ordered = sorted(found.values(), key=lambda o: (-o.population, o.distance_min_km, o.id))
    return ordered, nearest_of


def render_pdf(html: str, static_root: str) -> bytes:
    """The brief's PDF (WeasyPrint, like the selection's); ImportError/OSError when it is missing."""
    from weasyprint import HTML

    return HTML(string=html, base_url=static_root.rstrip("/") + "/").write_pdf()
