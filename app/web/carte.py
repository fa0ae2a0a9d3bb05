"""Maps without a tile server: our own outlines (``data/geo``) as GeoJSON for Leaflet, and small
static SVG maps (département, commune, point) for pages without JavaScript, print and PDF.

Outlines are simplified once per process (shapely) and kept in memory as ready-to-send bytes.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from markupsafe import Markup, escape
from shapely.geometry import shape

from app.core.geo import GEO_DIR, geography

#: simplification tolerance in degrees (≈ 1 km for départements, 200 m for communes)
DEPARTEMENT_TOLERANCE = 0.01
COMMUNE_TOLERANCE = 0.002
EPCI_TOLERANCE = 0.003


def _simplified(features: list[dict], tolerance: float, keep: tuple[str, ...]) -> list[dict]:
    """Features simplified (topology kept) and snapped to a grid of a fifth of the tolerance."""
    geometries = shapely.set_precision(
        shapely.simplify(np.array([shape(f["geometry"]) for f in features], dtype=object), tolerance,
                         preserve_topology=True), tolerance / 5)
    out = []
    for feature, geometry, text in zip(features, geometries, shapely.to_geojson(geometries)):
        if geometry is None or geometry.is_empty:
            continue
        out.append({"type": "Feature", "properties": {k: feature["properties"].get(k) for k in keep},
                    "geometry": json.loads(text)})
    return out


@lru_cache(maxsize=1)
def _departement_features() -> dict[str, dict]:
    raw = json.loads((GEO_DIR / "departements-avec-outre-mer.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f for f in _simplified(raw["features"], DEPARTEMENT_TOLERANCE, ("code", "nom"))}


@lru_cache(maxsize=1)
def departements_geojson() -> bytes:
    """Every département's outline (metropole and DROM), simplified: the base layer of our maps."""
    return json.dumps({"type": "FeatureCollection", "features": list(_departement_features().values())},
                      ensure_ascii=False, separators=(",", ":")).encode()


def _commune_file(code_departement: str) -> Path:
    return GEO_DIR / f"communes-2025-{code_departement}.geojson"


@lru_cache(maxsize=16)
def _contour_features(code_departement: str) -> tuple[str, list[dict]]:
    path = _commune_file(code_departement)
    if path.exists():
        raw = json.loads(path.read_text(encoding="utf-8"))
        return "communes", _simplified(raw["features"], COMMUNE_TOLERANCE, ("code", "nom"))
    raw = _epci_raw()
    mine = [f for f in raw if code_departement in (f["properties"].get("departements") or [])]
    return "epci", _simplified(mine, EPCI_TOLERANCE, ("code", "nom"))


@lru_cache(maxsize=1)
def _epci_raw() -> list[dict]:
    return json.loads((GEO_DIR / "epci-2025-simplifie.geojson").read_text(encoding="utf-8"))["features"]


@lru_cache(maxsize=16)
def contours_geojson(code_departement: str) -> bytes | None:
    """Finer outlines inside a département: its communes where we ship them (11, 12, 81), else its EPCI."""
    if code_departement not in geography().departements:
        return None
    level, features = _contour_features(code_departement)
    return json.dumps({"type": "FeatureCollection", "niveau": level, "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode()


def commune_feature(code_insee: str | None) -> dict | None:
    commune = geography().commune(code_insee) if code_insee else None
    if commune is None or not _commune_file(commune.code_departement).exists():
        return None
    _, features = _contour_features(commune.code_departement)
    return next((f for f in features if f["properties"]["code"] == commune.code_insee), None)


# -- static SVG maps -----------------------------------------------------------------------------
def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def static_map(lat: float | None, lon: float | None, code_insee: str | None, *, width: int = 260,
               height: int = 200, label: str | None = None) -> Markup | None:
    """A small SVG map: the département outline, the commune (when we have it) and the point.

    Returns None when there is nothing to place (no point and no known commune).
    """
    commune = geography().commune(code_insee) if code_insee else None
    if lat is None or lon is None:
        if commune is None:
            return None
        lat, lon = commune.lat, commune.lon
    departement = _departement_features().get(commune.code_departement) if commune else None
    if departement is None:  # find the département that holds the point
        from shapely.geometry import Point

        point = Point(lon, lat)
        departement = next((f for f in _departement_features().values()
                            if shape(f["geometry"]).contains(point)), None)
    rings = list(_rings(departement["geometry"])) if departement else []
    xs = [p[0] for ring in rings for p in ring] or [lon - 0.1, lon + 0.1]
    ys = [p[1] for ring in rings for p in ring] or [lat - 0.1, lat + 0.1]
    min_x, max_x, min_y, max_y = min(xs + [lon]), max(xs + [lon]), min(ys + [lat]), max(ys + [lat])
    k = math.cos(math.radians((min_y + max_y) / 2))
    span_x, span_y = max((max_x - min_x) * k, 1e-6), max(max_y - min_y, 1e-6)
    pad = 8
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def project(x: float, y: float) -> tuple[float, float]:
        return off_x + (x - min_x) * k * scale, off_y + (max_y - y) * scale

    def path(ring_list) -> str:
        parts = []
        for ring in ring_list:
            pts = [project(x, y) for x, y in ring]
            parts.append("M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + "Z")
        return "".join(parts)

    title = label or (f"Carte : {commune.nom}" if commune else "Carte")
    shapes = []
    if rings:
        shapes.append(f'<path d="{path(rings)}" fill="#f5f5fe" stroke="#6a6af4" stroke-width="1"/>')
    feature = commune_feature(code_insee) if commune else None
    if feature:
        shapes.append(f'<path d="{path(_rings(feature["geometry"]))}" fill="#cacafb" stroke="#000091" '
                      f'stroke-width="0.8"/>')
    px, py = project(lon, lat)
    shapes.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="6" fill="#e1000f" stroke="#fff" stroke-width="2"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)}" class="carte-statique">'
           f'<title>{escape(title)}</title><rect width="{width}" height="{height}" fill="#e8edff"/>'
           + "".join(shapes) + "</svg>")
    return Markup(svg)
