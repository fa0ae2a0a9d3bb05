"""Commune shapes for the coverage maps, drawn as inline SVG (no tiles, no JavaScript, no network).

Where the bundled geography has commune polygons (``data/geo/communes-2025-<dép>.geojson``: Aude,
Aveyron, Tarn) they are used as they are. Elsewhere only each commune's centre is bundled, so a
commune is drawn as its **Voronoi cell** (the area closer to its centre than to any other
commune's centre of the département) clipped to the département's outline
(``departements-avec-outre-mer.geojson``): an approximation of the real limits, good for a
choropleth, flagged as such on the page and in the GeoJSON export (``geometrie``:
``contour`` or ``approximation``). A commune missing from a polygon file (Conques-en-Rouergue,
a commune nouvelle of 2025) gets the part of its cell left uncovered by the real polygons.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from app.core.geo import GEO_DIR, Commune, geography

CONTOUR = "contour"
APPROXIMATION = "approximation"
#: width of the SVG drawing (its viewBox); the height follows the territory's shape
SVG_WIDTH = 800.0


def _polygon_file(code_departement: str) -> Path:
    return GEO_DIR / f"communes-2025-{code_departement}.geojson"


@lru_cache(maxsize=1)
def _outline_features() -> dict[str, dict]:
    raw = json.loads((GEO_DIR / "departements-avec-outre-mer.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["geometry"] for f in raw["features"]}


@lru_cache(maxsize=128)
def departement_outline(code_departement: str) -> shapely.Geometry | None:
    feature = _outline_features().get(code_departement)
    return shapely.make_valid(shape(feature)) if feature is not None else None


@lru_cache(maxsize=8)
def _real_polygons(code_departement: str) -> dict[str, shapely.Geometry]:
    path = _polygon_file(code_departement)
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shapely.make_valid(shape(f["geometry"])) for f in raw["features"]}


def _scaled(geom, k: float, inverse: bool = False):
    factor = np.array([1 / k if inverse else k, 1.0])
    return shapely.transform(geom, lambda xy: xy * factor)


def _voronoi_cells(communes: list[Commune], outline) -> list[shapely.Geometry]:
    """Each commune's Voronoi cell (among ``communes``), clipped to ``outline`` (lon/lat)."""
    lat0 = float(np.mean([c.lat for c in communes]))
    k = math.cos(math.radians(lat0))  # local equirectangular: cells are drawn in true proportions
    pts = np.array([(c.lon * k, c.lat) for c in communes], dtype=float)
    # identical centres would share one cell: nudge them apart by a few metres
    _, first = np.unique(np.round(pts, 7), axis=0, return_index=True)
    dup = np.setdiff1d(np.arange(len(pts)), first)
    pts[dup] += 1e-5 * (1 + np.arange(len(dup)))[:, None]
    if len(pts) == 1:
        cells = [shapely.Point(pts[0]).buffer(0.05)]
    else:
        minx, miny = pts.min(axis=0) - 1.0
        maxx, maxy = pts.max(axis=0) + 1.0
        vor = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=shapely.box(minx, miny, maxx, maxy),
                                       ordered=True)
        cells = list(shapely.get_parts(vor))
    out = []
    clip = _scaled(outline, k) if outline is not None else None
    clipped = shapely.intersection(np.array(cells, dtype=object), clip) if clip is not None else cells
    for point, cell in zip(pts, clipped):
        if cell is None or cell.is_empty or cell.area == 0:
            cell = shapely.Point(point).buffer(0.01)  # a centre outside the simplified outline (an island)
        out.append(_scaled(cell, k, inverse=True))
    return out


@dataclass(frozen=True)
class Shape:
    geometry: shapely.Geometry
    kind: str  # CONTOUR | APPROXIMATION


@lru_cache(maxsize=128)
def departement_shapes(code_departement: str) -> dict[str, Shape]:
    """Commune code -> shape, for every commune of a département."""
    communes = sorted(geography().departement_communes(code_departement), key=lambda c: c.code_insee)
    if not communes:
        return {}
    outline = departement_outline(code_departement)
    real = _real_polygons(code_departement)
    out: dict[str, Shape] = {c.code_insee: Shape(real[c.code_insee], CONTOUR) for c in communes if c.code_insee in real}
    missing = [i for i, c in enumerate(communes) if c.code_insee not in real]
    if not missing:
        return out
    cells = _voronoi_cells(communes, outline)
    left = None
    if real:
        covered = shapely.union_all(list(out.values() and [s.geometry for s in out.values()]))
        left = shapely.difference(outline, covered) if outline is not None else None
    for i in missing:
        c, cell = communes[i], cells[i]
        if left is not None:
            part = shapely.intersection(cell, left)
            parts = [p for p in shapely.get_parts(part) if p.area > 0] if not part.is_empty else []
            if parts:
                point = shapely.Point(c.lon, c.lat)
                cell = min(parts, key=lambda p: (not p.contains(point), -p.area))
        out[c.code_insee] = Shape(cell, APPROXIMATION)
    return out


def shapes_for(communes: tuple[Commune, ...]) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for dep in sorted({c.code_departement for c in communes}):
        shapes = departement_shapes(dep)
        out.update({c.code_insee: shapes[c.code_insee] for c in communes
                    if c.code_departement == dep and c.code_insee in shapes})
    return out


# -- SVG ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SvgFrame:
    width: float
    height: float
    paths: dict[str, str]   # code INSEE -> SVG path data
    kinds: dict[str, str]   # code INSEE -> CONTOUR | APPROXIMATION

    @property
    def approximate(self) -> int:
        return sum(1 for k in self.kinds.values() if k == APPROXIMATION)


def _path_data(geom) -> str:
    out = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) < 3:
                continue
            pts = " ".join(f"{x:.1f} {y:.1f}" for x, y in xy)
            out.append(f"M{pts}Z")
    return "".join(out)


def svg_frame(communes: tuple[Commune, ...], width: float = SVG_WIDTH) -> SvgFrame:
    """Projected, simplified SVG paths of the communes (cache it per territory)."""
    shapes = shapes_for(communes)
    if not shapes:
        return SvgFrame(width, width, {}, {})
    geoms = list(shapes.values())
    minx, miny, maxx, maxy = shapely.total_bounds(np.array([s.geometry for s in geoms], dtype=object))
    k = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * k, 1e-9), max(maxy - miny, 1e-9)
    scale = width / span_x
    height = span_y * scale
    if height > width * 1.3:  # tall territories: cap the height, narrow the drawing
        scale = width * 1.3 / span_y
        height = width * 1.3
        width = span_x * scale

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - minx) * k * scale, (maxy - xy[:, 1]) * scale))

    paths: dict[str, str] = {}
    for code, s in shapes.items():
        g = shapely.transform(s.geometry, project)
        g = shapely.simplify(g, 0.35, preserve_topology=True)
        paths[code] = _path_data(g)
    return SvgFrame(round(width, 1), round(height, 1), paths, {code: s.kind for code, s in shapes.items()})


def geojson_geometry(geom, precision: int = 5) -> dict:
    """A GeoJSON geometry with coordinates rounded (1e-5° ≈ 1 m)."""
    rounded = shapely.set_precision(geom, 10 ** -precision) if precision else geom
    if rounded.is_empty:
        rounded = geom
    return shapely.geometry.mapping(rounded)
