"""The coverage report of one territory and one need: what the page shows and the exports carry.

The page, ``couverture.geojson`` and ``couverture.csv`` are built from the same
:class:`CoverageReport` (same parameters, same rows, same order), so an export is exactly
what is shown.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache

from app.coordination import demand as dem
from app.coordination import maps
from app.coordination.data import BadRequest, Need, Territory, compute, need_from_args, territory_from_args
from app.core import coverage

SORTS = {"distance": "distance", "population": "population", "nom": "nom", "offres": "offres",
         "demande": "demande"}
DEMAND_DAYS = 365
COLOURS = ("#2166ac", "#92c5de", "#f4a582", "#d6604d", "#67001f")


@dataclass
class Row:
    code_insee: str
    nom: str
    population: int
    distance_km: float | None
    offres: int                   # within the threshold
    offres_10: int
    offres_20: int
    offres_30: int
    a_distance: bool
    offres_a_distance: int
    zone_blanche: bool
    classe: int
    geometrie: str
    demande: dem.DemandRow = field(default_factory=dem.DemandRow)

    @property
    def distance_label(self) -> str:
        return "—" if self.distance_km is None else f"{self.distance_km:.1f}".replace(".", ",")


def fmt_km(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def classes(threshold: float) -> list[tuple[str, str]]:
    half, more = threshold / 2, threshold * 1.5
    return [(f"≤ {fmt_km(half)} km", COLOURS[0]), (f"{fmt_km(half)} – {fmt_km(threshold)} km", COLOURS[1]),
            (f"{fmt_km(threshold)} – {fmt_km(more)} km", COLOURS[2]), (f"> {fmt_km(more)} km", COLOURS[3]),
            ("aucune offre éligible", COLOURS[4])]


def class_of(distance: float, threshold: float) -> int:
    if not math.isfinite(distance):
        return 4
    if distance <= threshold / 2:
        return 0
    if distance <= threshold:
        return 1
    if distance <= threshold * 1.5:
        return 2
    return 3


@lru_cache(maxsize=64)
def frame(kind: str, code: str) -> maps.SvgFrame:
    from app.coordination.data import territory

    return maps.svg_frame(territory(kind, code).communes)


def parse_threshold(args, default: float) -> float:
    raw = (args.get("seuil") or "").replace(",", ".").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"seuil invalide : {raw} (un nombre de kilomètres)") from None
    if not 1 <= value <= 200:
        raise BadRequest("le seuil doit être compris entre 1 et 200 km")
    return value


@dataclass
class CoverageReport:
    territory: Territory
    need: Need
    threshold: float
    cov: coverage.Coverage
    rows: list[Row]             # in the order shown, after the filter
    all_rows: list[Row]         # every commune, in the territory's order (map)
    summary: dict
    demand_total: dem.DemandRow
    demand_days: int
    sort: str
    order: str
    only_gaps: bool
    generated: dt.datetime

    # -- what the page needs -------------------------------------------------------------
    @property
    def classes(self) -> list[tuple[str, str]]:
        return classes(self.threshold)

    def params(self, **changes) -> dict:
        """Query parameters of this report (for links and exports), with changes."""
        out: dict = dict(self.territory.param)
        for key, value in self.need.param:
            if key == "thematiques":
                out.setdefault(key, []).append(value)
            else:
                out[key] = value
        out["seuil"] = fmt_km(self.threshold)
        out["tri"], out["ordre"] = self.sort, self.order
        if self.only_gaps:
            out["seulement"] = "zones-blanches"
        out.update(changes)
        return {k: v for k, v in out.items() if v not in (None, "")}

    def distribution(self) -> list[tuple[str, str, int, int]]:
        """(label, colour, communes, population) per distance class."""
        out = []
        for i, (label, colour) in enumerate(self.classes):
            members = [r for r in self.all_rows if r.classe == i]
            out.append((label, colour, len(members), sum(r.population for r in members)))
        return out

    # -- exports -------------------------------------------------------------------------
    def geojson(self) -> dict:
        shapes = maps.shapes_for(self.territory.communes)
        features = []
        for r in self.rows:
            shape = shapes.get(r.code_insee)
            features.append({
                "type": "Feature",
                "id": r.code_insee,
                "geometry": maps.geojson_geometry(shape.geometry) if shape is not None else None,
                "properties": {
                    "code_insee": r.code_insee, "nom": r.nom, "population": r.population,
                    "offres": r.offres,
                    "distance_km": None if r.distance_km is None else round(r.distance_km, 2),
                    "offres_10km": r.offres_10, "offres_20km": r.offres_20, "offres_30km": r.offres_30,
                    "a_distance": r.a_distance, "zone_blanche": r.zone_blanche,
                    "recherches": r.demande.searches, "recherches_sans_resultat": r.demande.zero,
                    "recherches_peu_de_resultats": r.demande.low,
                    "geometrie": r.geometrie,
                },
            })
        return {
            "type": "FeatureCollection",
            "territoire": {"type": self.territory.kind, "code": self.territory.code, "nom": self.territory.nom},
            "besoin": {"cle": self.need.key, "libelle": self.need.label, "thematiques": sorted(self.need.expanded)},
            "seuil_km": self.threshold,
            "offres": "offres sur place éligibles dans la commune à moins de seuil_km (distance à vol d'oiseau "
                      "depuis le centre de la commune)",
            "genere_le": self.generated.isoformat(timespec="seconds"),
            "features": features,
        }

    def csv_text(self) -> str:
        """UTF-8 text with a BOM, ``;``-separated, decimal comma: opens as is in a French spreadsheet."""
        buf = io.StringIO()
        buf.write("\ufeff")
        writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        t = fmt_km(self.threshold)
        writer.writerow(["code_insee", "nom", "population", "distance_km", f"offres_a_moins_de_{t}_km",
                         "offres_10km", "offres_20km", "offres_30km", "offre_a_distance", "zone_blanche",
                         "recherches", "recherches_sans_resultat", "recherches_peu_de_resultats", "geometrie"])
        for r in self.rows:
            writer.writerow([r.code_insee, r.nom, r.population,
                             "" if r.distance_km is None else f"{r.distance_km:.2f}".replace(".", ","),
                             r.offres, r.offres_10, r.offres_20, r.offres_30, "oui" if r.a_distance else "non",
                             "oui" if r.zone_blanche else "non", r.demande.searches, r.demande.zero,
                             r.demande.low, r.geometrie])
        return buf.getvalue()

    @property
    def filename(self) -> str:
        return f"couverture-{self.territory.slug}-{self.need.slug}-{fmt_km(self.threshold)}km"


def build(args, database_url: str, default_threshold: float, low_results: int,
          today: dt.date | None = None) -> CoverageReport | None:
    """The report asked for by request arguments; None when territory or need is missing."""
    terr = territory_from_args(args)
    need = need_from_args(args)
    threshold = parse_threshold(args, default_threshold)
    if terr is None or need is None:
        return None
    sort = args.get("tri") or "distance"
    if sort not in SORTS:
        raise BadRequest(f"tri inconnu : {sort} ({', '.join(SORTS)})")
    order = args.get("ordre") or ("desc" if sort in ("distance", "population", "demande") else "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("ordre : asc ou desc")
    only_gaps = args.get("seulement") == "zones-blanches"
    cov = compute(database_url, terr, need, threshold)
    today = today or dt.date.today()
    searches = dem.load_searches(database_url, terr.departements, today - dt.timedelta(days=DEMAND_DAYS))
    codes = {c.code_insee for c in terr.communes}
    per_commune = dem.by_commune(searches, need.expanded, low_results, codes)
    kinds = frame(terr.kind, terr.code).kinds
    within_t = cov.count_within(threshold)
    rows = []
    for i, code in enumerate(cov.communes.codes):
        d = float(cov.distance_km[i])
        rows.append(Row(
            code_insee=code, nom=cov.communes.noms[i], population=int(cov.communes.population[i]),
            distance_km=d if math.isfinite(d) else None, offres=int(within_t[i]),
            offres_10=int(cov.within[10.0][i]), offres_20=int(cov.within[20.0][i]), offres_30=int(cov.within[30.0][i]),
            a_distance=bool(cov.remote[i]), offres_a_distance=int(cov.remote_offers[i]),
            zone_blanche=bool(d > threshold), classe=class_of(d, threshold),
            geometrie=kinds.get(code, maps.APPROXIMATION), demande=per_commune.get(code, dem.DemandRow())))
    shown = [r for r in rows if r.zone_blanche] if only_gaps else list(rows)
    key = {
        "distance": lambda r: (r.distance_km if r.distance_km is not None else math.inf, r.population),
        "population": lambda r: (r.population, r.nom),
        "nom": lambda r: (r.nom.lower(), r.code_insee),
        "offres": lambda r: (r.offres, r.population),
        "demande": lambda r: (r.demande.low, r.demande.searches, r.population),
    }[sort]
    shown.sort(key=key, reverse=order == "desc")
    return CoverageReport(
        territory=terr, need=need, threshold=threshold, cov=cov, rows=shown, all_rows=rows,
        summary=cov.summary(threshold), demand_total=dem.total(searches, need.expanded, low_results, codes),
        demand_days=DEMAND_DAYS, sort=sort, order=order, only_gaps=only_gaps,
        generated=dt.datetime.now().astimezone())


def top_unmet(report: CoverageReport, limit: int = 10) -> list[Row]:
    rows = [r for r in report.all_rows if r.demande.low]
    return sorted(rows, key=lambda r: (-r.demande.low, -r.population))[:limit]

