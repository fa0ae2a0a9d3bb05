"""Export of stored structures and services to Open Referral HSDS 3.0 (JSON tabular data package).

HSDS 3.0 (https://docs.openreferral.org, schemas in openreferral/specification) can be
serialised as a Tabular Data Package; we write it as **one JSON file**: a data package descriptor
whose resources carry their rows inline (``"data": [...]``), resource names as in HSDS's own
``datapackage.json`` (``organization``, ``service``, ``location``, ``address``,
``service_at_location``, ``phone``, ``schedule``, ``service_area``, ``organization_identifier``,
``taxonomy``, ``taxonomy_term``, ``attribute``).

Correspondence with data·inclusion v1:

* structure → ``organization`` (+ ``organization_identifier`` SIRET); service → ``service``
  (``fees_description`` starts with ``gratuit``/``payant``; ``eligibility_description`` = publics
  precisions + access conditions; ``application_process`` = mobilisation);
* the service's place (or its structure's) → a ``physical`` ``location`` with its ``address``
  (``state_province`` = département code, ``external_identifier`` = code INSEE) and a
  ``service_at_location``; a remote service (``a-distance``) also gets a ``virtual`` location
  whose ``url`` is its mobilisation link;
* ``horaires_accueil`` (OSM ``opening_hours``) → ``schedule`` rows (``freq`` WEEKLY, ``byday``,
  ``opens_at``/``closes_at``) when the expression is in the simple weekly subset; the OSM string
  itself is kept in each row's ``description`` (``Horaires (OpenStreetMap) : …``) so that an
  import gets it back verbatim; an expression outside the subset becomes one descriptive row;
* thematiques, publics, type and modes d'accueil → ``attribute`` rows pointing at
  ``taxonomy_term`` rows of four custom taxonomies (``data·inclusion — thématiques``…; the
  sub-themes have their category as ``parent_id``);
* ``zone_eligibilite`` → ``service_area`` rows (``name`` = the code, ``extent_type``
  ``data-inclusion:zone_eligibilite``).

Ids are UUIDs derived from ours (:func:`hsds_id`, UUID v5), so an export is reproducible and an
HSDS import of it can be matched back. Personal data: none is exported (``contact_nom_prenom``
is never stored; only the structures' public contacts are).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import vocabularies as voc
from app.core.geo import geography
from app.core.models import Service, Structure

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://reperes.inclusion/hsds")
OSM_PREFIX = "Horaires (OpenStreetMap) : "
ZONE_EXTENT_TYPE = "data-inclusion:zone_eligibilite"
DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
TAXONOMIES = {
    "thematiques": ("data·inclusion — thématiques (schéma v1)", "thematiques"),
    "publics": ("data·inclusion — publics (schéma v1)", "publics"),
    "type": ("data·inclusion — types de services (schéma v1)", "types-services"),
    "modes_accueil": ("data·inclusion — modes d'accueil (schéma v1)", "modes-accueil"),
}
TAXONOMY_URI = "https://github.com/gip-inclusion/data-inclusion-schema"
RESOURCES = ("organization", "organization_identifier", "service", "location", "address", "service_at_location",
             "phone", "schedule", "service_area", "taxonomy", "taxonomy_term", "attribute")


def hsds_id(kind: str, value: str) -> str:
    """Stable UUID (v5) for one of our ids: ``hsds_id("service", "lheo--07_10--07_114782")``."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{value}"))


# -- opening hours -----------------------------------------------------------------------------
def osm_to_weekly(value: str | None) -> list[tuple[list[str], str, str]] | None:
    """``Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00`` → [(days, opens, closes), …].

    Only the plain weekly subset of OSM opening_hours (day lists and ranges, time spans,
    ``24/7``, ``PH off`` ignored) is understood; anything else returns None.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if text == "24/7":
        return [(list(DAY_CODES), "00:00", "24:00")]
    out = []
    for rule in (r.strip() for r in text.split(";")):
        if not rule or rule == "PH off":
            continue
        m = re.fullmatch(r"((?:Mo|Tu|We|Th|Fr|Sa|Su)(?:[-,](?:Mo|Tu|We|Th|Fr|Sa|Su))*)\s+"
                         r"(\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*)", rule)
        if not m:
            return None
        days: list[str] = []
        for part in m.group(1).split(","):
            if "-" in part:
                a, b = part.split("-")
                i, j = DAY_CODES.index(a), DAY_CODES.index(b)
                days += [DAY_CODES[k % 7] for k in range(i, (j if j >= i else j + 7) + 1)]
            else:
                days.append(part)
        for span in m.group(2).split(","):
            opens, closes = span.split("-")
            out.append((list(dict.fromkeys(days)), opens, closes))
    return out or None


def weekly_to_osm(rows: list[tuple[list[str], str, str]]) -> str | None:
    """Inverse of :func:`osm_to_weekly` (days with identical spans grouped)."""
    per_day: dict[str, list[str]] = {}
    for days, opens, closes in rows:
        for d in days:
            per_day.setdefault(d, []).append(f"{opens}-{closes}")
    if not per_day:
        return None
    spans = [",".join(sorted(set(per_day[d]))) if d in per_day else None for d in DAY_CODES]
    if all(s == "00:00-24:00" for s in spans):
        return "24/7"
    rules, i = [], 0
    while i < 7:
        if spans[i] is None:
            i += 1
            continue
        j = i
        while j + 1 < 7 and spans[j + 1] == spans[i]:
            j += 1
        days = DAY_CODES[i] if i == j else (f"{DAY_CODES[i]},{DAY_CODES[j]}" if j == i + 1 else f"{DAY_CODES[i]}-{DAY_CODES[j]}")
        rules.append(f"{days} {spans[i]}")
        i = j + 1
    return "; ".join(rules)


# -- export ------------------------------------------------------------------------------------
class _Package:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {name: {} for name in RESOURCES}

    def add(self, table: str, row: dict) -> str:
        row = {k: v for k, v in row.items() if v is not None and v != []}  # "" kept: required HSDS fields
        self.tables[table].setdefault(row["id"], row)
        return row["id"]


def _taxonomies(pkg: _Package) -> None:
    for field_name, (title, vocabulary) in TAXONOMIES.items():
        tax_id = hsds_id("taxonomy", field_name)
        pkg.add("taxonomy", {"id": tax_id, "name": title, "uri": TAXONOMY_URI, "version": "1",
                             "description": f"Valeurs de la liste « {vocabulary} » du schéma data·inclusion v1 "
                                            f"(codes comme dans le schéma)."})


def _term(pkg: _Package, field_name: str, value: str) -> str:
    title, vocabulary = TAXONOMIES[field_name]
    terms = {t.value: t for t in voc.VOCABULARIES[vocabulary]}
    term = terms.get(value)
    parent_id = None
    if field_name == "thematiques" and "--" in value:
        category = voc.category_of(value)
        parent_id = hsds_id("term", f"thematiques:{category}")
        label = voc.label("categories", category)
        pkg.add("taxonomy_term", {"id": parent_id, "code": category, "name": label, "description": label,
                                  "taxonomy": title, "taxonomy_id": hsds_id("taxonomy", field_name), "language": "fr"})
    term_id = hsds_id("term", f"{field_name}:{value}")
    pkg.add("taxonomy_term", {
        "id": term_id, "code": value, "name": term.label if term else value,
        "description": (term.description or term.label) if term else value, "parent_id": parent_id,
        "taxonomy": title, "taxonomy_id": hsds_id("taxonomy", field_name), "language": "fr"})
    return term_id


def _location(pkg: _Package, owner, organization_id: str, name: str) -> str | None:
    """A physical location (and its address) for a service or a structure; None without a place."""
    if owner.latitude is None and not owner.code_insee and not owner.adresse:
        return None
    key = f"{owner.code_insee}|{owner.adresse}|{owner.code_postal}|{owner.latitude}|{owner.longitude}"
    loc_id = hsds_id("location", key)
    commune = geography().commune(owner.code_insee) if owner.code_insee else None
    pkg.add("location", {
        "id": loc_id, "location_type": "physical", "organization_id": organization_id, "name": name,
        "latitude": owner.latitude, "longitude": owner.longitude,
        "external_identifier": owner.code_insee, "external_identifier_type": "code_insee" if owner.code_insee else None,
    })
    pkg.add("address", {
        "id": hsds_id("address", key), "location_id": loc_id,
        "address_1": owner.adresse or (owner.commune or ""), "address_2": owner.complement_adresse or None,
        "city": owner.commune or (commune.nom if commune else ""),
        "region": geography().regions.get(commune.code_region) if commune else None,
        "state_province": commune.code_departement if commune else "",
        "postal_code": owner.code_postal or "", "country": "FR", "address_type": "physical",
    })
    if owner.telephone:
        pkg.add("phone", {"id": hsds_id("phone", f"location:{loc_id}:{owner.telephone}"), "location_id": loc_id,
                          "number": owner.telephone, "type": "voice"})
    return loc_id


def _schedules(pkg: _Package, hours: str, **links) -> None:
    owner = next(iter(links.values()))
    weekly = osm_to_weekly(hours)
    if weekly is None:
        pkg.add("schedule", {"id": hsds_id("schedule", f"{owner}:{hours}"), **links,
                             "description": OSM_PREFIX + hours})
        return
    for days, opens, closes in weekly:
        pkg.add("schedule", {
            "id": hsds_id("schedule", f"{owner}:{','.join(days)}:{opens}-{closes}"), **links,
            "freq": "WEEKLY", "wkst": "MO", "byday": ",".join(d.upper() for d in days),
            "opens_at": opens, "closes_at": closes, "description": OSM_PREFIX + hours,
        })


def build_package(services: Iterable[Service], structures: Iterable[Structure] = ()) -> dict:
    """HSDS 3.0 data package (dict) for these services and their structures."""
    pkg = _Package()
    _taxonomies(pkg)
    seen_structures: dict[str, str] = {}

    def organization(st: Structure) -> str:
        if st.id in seen_structures:
            return seen_structures[st.id]
        org_id = hsds_id("organization", st.id)
        pkg.add("organization", {
            "id": org_id, "name": st.nom,
            "description": st.description or f"Structure référencée par Repères (source {st.source}).",
            "email": st.courriel, "website": st.site_web, "uri": st.lien_source,
        })
        if st.siret:
            pkg.add("organization_identifier", {"id": hsds_id("siret", st.id), "organization_id": org_id,
                                                "identifier_scheme": "FR-SIRET", "identifier_type": "SIRET",
                                                "identifier": st.siret})
        if st.telephone:
            pkg.add("phone", {"id": hsds_id("phone", f"organization:{st.id}"), "organization_id": org_id,
                              "number": st.telephone, "type": "voice"})
        loc = _location(pkg, st, org_id, st.nom)
        if loc and st.horaires_accueil:
            _schedules(pkg, st.horaires_accueil, location_id=loc)
        seen_structures[st.id] = org_id
        return org_id

    for st in structures:
        organization(st)
    for sv in services:
        st = sv.structure
        org_id = organization(st)
        sv_id = hsds_id("service", sv.id)
        fees = None
        if sv.frais or sv.frais_precisions:
            fees = " – ".join(p for p in (sv.frais, sv.frais_precisions) if p)
        eligibility = "\n\n".join(p for p in (sv.publics_precisions, sv.conditions_acces) if p) or None
        application = "\n\n".join(p for p in (
            ", ".join(sv.modes_mobilisation) if sv.modes_mobilisation else None,
            ("Mobilisable par : " + ", ".join(sv.mobilisable_par)) if sv.mobilisable_par else None,
            sv.mobilisation_precisions) if p) or None
        pkg.add("service", {
            "id": sv_id, "organization_id": org_id, "name": sv.nom, "description": sv.description,
            "url": sv.lien_source, "email": sv.courriel, "status": "active",
            "fees_description": fees, "eligibility_description": eligibility,
            "application_process": application,
            "last_modified": dt.datetime.combine(sv.date_maj, dt.time()).isoformat() + "Z" if sv.date_maj else None,
        })
        if sv.telephone and sv.telephone != st.telephone:
            pkg.add("phone", {"id": hsds_id("phone", f"service:{sv.id}"), "service_id": sv_id,
                              "number": sv.telephone, "type": "voice"})
        loc_id = _location(pkg, sv, org_id, st.nom)
        if loc_id:
            sal_id = hsds_id("service_at_location", f"{sv.id}:{loc_id}")
            pkg.add("service_at_location", {"id": sal_id, "service_id": sv_id, "location_id": loc_id})
            if sv.horaires_accueil:
                _schedules(pkg, sv.horaires_accueil, service_at_location_id=sal_id)
        elif sv.horaires_accueil:
            _schedules(pkg, sv.horaires_accueil, service_id=sv_id)
        if "a-distance" in (sv.modes_accueil or []) and (sv.lien_mobilisation or sv.lien_source):
            url = sv.lien_mobilisation or sv.lien_source
            vloc = hsds_id("location", f"virtual:{url}")
            pkg.add("location", {"id": vloc, "location_type": "virtual", "url": url, "organization_id": org_id,
                                 "name": f"{sv.nom} (en ligne)"})
            pkg.add("service_at_location", {"id": hsds_id("service_at_location", f"{sv.id}:{vloc}"),
                                            "service_id": sv_id, "location_id": vloc})
        for field_name in TAXONOMIES:
            values = getattr(sv, field_name)
            for value in ([values] if isinstance(values, str) else values or []):
                pkg.add("attribute", {"id": hsds_id("attribute", f"{sv.id}:{field_name}:{value}"), "link_id": sv_id,
                                      "link_entity": "service", "link_type": field_name,
                                      "taxonomy_term_id": _term(pkg, field_name, value), "value": value})
        for code in sv.zone_eligibilite or []:
            pkg.add("service_area", {"id": hsds_id("service_area", f"{sv.id}:{code}"), "service_id": sv_id,
                                     "name": code, "description": _zone_label(code),
                                     "extent_type": ZONE_EXTENT_TYPE})
    return {
        "name": "reperes-hsds",
        "title": "Repères — offre d'insertion au format Open Referral HSDS 3.0",
        "profile": "tabular-data-package",
        "hsds_version": "3.0",
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "description": "Export de Repères (structures et services au schéma data·inclusion v1) vers HSDS 3.0.",
        "resources": [{"name": name, "profile": "tabular-data-resource", "data": list(rows.values())}
                      for name, rows in pkg.tables.items()],
    }


def _zone_label(code: str) -> str:
    geo = geography()
    if code == "france":
        return "France entière"
    if code in geo.departements:
        return f"Département : {geo.departements[code].nom}"
    if code in geo.epci:
        return f"EPCI : {geo.epci[code]['nom']}"
    commune = geo.commune(code)
    return f"Commune : {commune.nom}" if commune else code


def export_hsds(session: Session, sources: list[str] | None = None, departements: list[str] | None = None,
                limit: int | None = None) -> dict:
    """HSDS 3.0 package of the live (not retired) services of the database, optionally filtered."""
    stmt = select(Service).where(Service.retired_at.is_(None)).order_by(Service.id)
    if sources:
        stmt = stmt.where(Service.source.in_(sources))
    services = list(session.scalars(stmt))
    if departements:
        geo = geography()

        def in_deps(sv: Service) -> bool:
            commune = geo.commune(sv.code_insee) if sv.code_insee else None
            zone = set(sv.zone_eligibilite or [])
            return bool((commune and commune.code_departement in departements) or zone & set(departements)
                        or any((c := geo.commune(z)) and c.code_departement in departements for z in zone))
        services = [sv for sv in services if in_deps(sv)]
    if limit:
        services = services[:limit]
    return build_package(services)


def write_package(package: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    from app.core.db import session_scope
    from config import load_settings

    parser = argparse.ArgumentParser(prog="python -m indexer.exporters.hsds",
                                     description="Exporter l'offre stockée au format HSDS 3.0 (JSON).")
    parser.add_argument("output", type=Path)
    parser.add_argument("--source", action="append", dest="sources")
    parser.add_argument("--departement", action="append", dest="departements")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    settings = load_settings()
    with session_scope(settings.database_url) as session:
        package = export_hsds(session, args.sources, args.departements, args.limit)
    write_package(package, args.output)
    counts = {r["name"]: len(r["data"]) for r in package["resources"]}
    print(f"{args.output}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
