"""Open Referral HSDS 3.0 import: organizations, services, locations and their links, as JSON.

Accepted shapes (all JSON):

* a **tabular data package** whose resources carry their rows inline (``{"resources": [{"name":
  "service", "data": [...]}, ...]}``) — what :mod:`indexer.exporters.hsds` writes; resource names
  singular (HSDS ``datapackage.json``) or plural (``services``, ``phones``…);
* a plain object of tables (``{"organizations": [...], "services": [...], ...}``);
* HSDS's canonical nested JSON: a list of ``service`` objects (or an API ``Page`` with
  ``contents``) embedding ``organization``, ``service_at_locations[].location``, ``phones``,
  ``schedules``, ``attributes[].taxonomy_term``, ``service_areas``.

Mapping to v1: organization → structure (placed at its first physical location); service →
service placed at its first physical ``service_at_location`` (address, point, code INSEE from
``external_identifier`` of type ``code_insee``); a ``virtual`` location makes it ``a-distance``
with that URL as mobilisation link; attributes whose taxonomy term ``code`` is a data·inclusion
value give ``thematiques``, ``publics``, ``type``, ``modes_accueil``; ``service_area`` names give
``zone_eligibilite``; ``schedule`` rows give OSM ``horaires_accueil`` (verbatim when the row's
description carries the OSM expression, else rebuilt from ``byday``/``opens_at``/``closes_at``).
Services ``inactive`` or ``defunct`` are skipped. Contacts (``contact`` table: people) are not read.

No file is bundled for ``reperes ingest --all``: the example in ``data/offers/hsds/`` is an export
of Repères' own records, ingesting it would duplicate them; ingest an HSDS file with ``--file``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Iterable

from app.core import vocabularies as voc
from indexer.connectors._text import join_paragraphs, plain_text
from indexer.connectors.base import Connector
from indexer.exporters.hsds import OSM_PREFIX, ZONE_EXTENT_TYPE, weekly_to_osm
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

TABLE_ALIASES = {
    "organization": ("organization", "organizations"), "service": ("service", "services"),
    "location": ("location", "locations"), "address": ("address", "addresses"),
    "service_at_location": ("service_at_location", "service_at_locations", "services_at_location"),
    "phone": ("phone", "phones"), "schedule": ("schedule", "schedules"),
    "service_area": ("service_area", "service_areas"), "taxonomy": ("taxonomy", "taxonomies"),
    "taxonomy_term": ("taxonomy_term", "taxonomy_terms"), "attribute": ("attribute", "attributes"),
    "organization_identifier": ("organization_identifier", "organization_identifiers"),
}
DAY = {"MO": "Mo", "TU": "Tu", "WE": "We", "TH": "Th", "FR": "Fr", "SA": "Sa", "SU": "Su"}
FIELD_VOCABULARY = {"thematiques": voc.THEMATIQUES, "publics": voc.PUBLICS, "type": voc.TYPES,
                    "modes_accueil": voc.MODES_ACCUEIL}


class Dataset:
    """HSDS tables indexed by id, with the links a service needs."""

    def __init__(self, tables: dict[str, list[dict]]) -> None:
        self.tables = {name: [r for r in tables.get(name, []) if isinstance(r, dict)] for name in TABLE_ALIASES}
        self.by_id = {name: {str(r.get("id")): r for r in rows if r.get("id") is not None}
                      for name, rows in self.tables.items()}
        self._index: dict[tuple[str, str], dict[str, list[dict]]] = {}

    def rows(self, table: str, **where) -> list[dict]:
        """Rows of ``table`` whose columns equal the given values (one indexed column, then filtered)."""
        (column, value), *rest = where.items()
        index = self._index.get((table, column))
        if index is None:
            index = {}
            for r in self.tables[table]:
                index.setdefault(str(r.get(column)), []).append(r)
            self._index[(table, column)] = index
        return [r for r in index.get(str(value), []) if all(str(r.get(k)) == str(v) for k, v in rest)]


def _tables_from(data) -> dict[str, list[dict]]:
    if isinstance(data, dict) and isinstance(data.get("resources"), list):
        tables: dict[str, list[dict]] = {}
        for res in data["resources"]:
            if not isinstance(res, dict) or not isinstance(res.get("data"), list):
                continue
            name = next((canon for canon, names in TABLE_ALIASES.items() if res.get("name") in names), None)
            if name:
                tables.setdefault(name, []).extend(res["data"])
        return tables
    if isinstance(data, dict) and any(k in names for names in TABLE_ALIASES.values() for k in data) \
            and not ("name" in data and "id" in data):
        tables = {}
        for canon, names in TABLE_ALIASES.items():
            for n in names:
                if isinstance(data.get(n), list):
                    tables.setdefault(canon, []).extend(data[n])
        return tables
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if isinstance(data, dict) and "name" in data and "id" in data:
        data = [data]
    if isinstance(data, list):
        return _flatten_services(data)
    return {}


def _flatten_services(items: list) -> dict[str, list[dict]]:
    """Canonical nested HSDS JSON (service objects) → tables."""
    tables: dict[str, list[dict]] = {name: [] for name in TABLE_ALIASES}
    for sv in items:
        if not isinstance(sv, dict):
            continue
        org = sv.get("organization")
        if isinstance(org, dict):
            tables["organization"].append({k: v for k, v in org.items() if not isinstance(v, (list, dict))})
            sv.setdefault("organization_id", org.get("id"))
        tables["service"].append({k: v for k, v in sv.items() if not isinstance(v, (list, dict))})
        for ph in sv.get("phones") or []:
            tables["phone"].append({**ph, "service_id": sv.get("id")})
        for sc in sv.get("schedules") or []:
            tables["schedule"].append({**sc, "service_id": sv.get("id")})
        for area in sv.get("service_areas") or []:
            tables["service_area"].append({**area, "service_id": sv.get("id")})
        for attr in sv.get("attributes") or []:
            term = attr.get("taxonomy_term") if isinstance(attr.get("taxonomy_term"), dict) else None
            if term:
                tables["taxonomy_term"].append({k: v for k, v in term.items() if not isinstance(v, (list, dict))})
                attr = {**attr, "taxonomy_term_id": term.get("id")}
            tables["attribute"].append({k: v for k, v in attr.items() if k != "taxonomy_term"} | {"link_id": sv.get("id")})
        for sal in sv.get("service_at_locations") or []:
            loc = sal.get("location") if isinstance(sal.get("location"), dict) else None
            if loc:
                tables["location"].append({k: v for k, v in loc.items() if not isinstance(v, (list, dict))})
                for addr in loc.get("addresses") or []:
                    tables["address"].append({**addr, "location_id": loc.get("id")})
                for ph in loc.get("phones") or []:
                    tables["phone"].append({**ph, "location_id": loc.get("id")})
            tables["service_at_location"].append({"id": sal.get("id"), "service_id": sv.get("id"),
                                                  "location_id": (loc or {}).get("id") or sal.get("location_id")})
            for sc in sal.get("schedules") or []:
                tables["schedule"].append({**sc, "service_at_location_id": sal.get("id")})
    return tables


class HsdsConnector(Connector):
    name = "hsds"
    label = "Fichier Open Referral HSDS 3.0 (JSON)"
    licence = "selon le producteur du fichier HSDS"
    format = "json (Open Referral HSDS 3.0 : data package ou JSON imbriqué)"
    origin = "https://docs.openreferral.org/en/latest/hsds/"
    leviers = ()
    default_files = ()

    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        text = self.decode(raw)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableInput(f"JSON illisible : {exc.msg} (ligne {exc.lineno}, colonne {exc.colno})") from None
        tables = _tables_from(data)
        if not tables.get("service") and not tables.get("organization"):
            raise UnreadableInput("pas un jeu HSDS : ni table service ni table organization")
        ds = Dataset(tables)
        records = []
        with_services = set()
        for i, sv in enumerate(ds.tables["service"], start=1):
            with_services.add(str(sv.get("organization_id")))
            records.append(RawRecord(i, (ds, "service", sv), json.dumps(sv, ensure_ascii=False, default=str)))
        for j, org in enumerate(ds.tables["organization"], start=len(records) + 1):
            if str(org.get("id")) not in with_services:
                records.append(RawRecord(j, (ds, "organization", org), json.dumps(org, ensure_ascii=False, default=str)))
        return records

    def to_offer(self, record: RawRecord) -> Offer | None:
        ds, kind, row = record.data
        if kind == "organization":
            return Offer(structure=self._structure(ds, row), services=[])
        sid = row.get("id")
        name = plain_text(row.get("name"))
        if not sid:
            raise RecordError("service HSDS sans id")
        if not name:
            raise RecordError(f"service HSDS {sid} sans nom")
        status = str(row.get("status") or "active").lower()
        if status in {"inactive", "defunct"}:
            return None
        org = ds.by_id["organization"].get(str(row.get("organization_id")))
        if org is None:
            raise RecordError(f"service HSDS {sid} : organisation inconnue ({row.get('organization_id')!r})")
        structure = self._structure(ds, org)

        sals = ds.rows("service_at_location", service_id=sid)
        locations = [ds.by_id["location"].get(str(s.get("location_id"))) for s in sals]
        physical = [(s, loc) for s, loc in zip(sals, locations) if loc and loc.get("location_type", "physical") == "physical"]
        virtual = [loc for loc in locations if loc and loc.get("location_type") == "virtual"]
        place = self._place(ds, physical[0][1]) if physical else {}

        values: dict[str, list[str]] = {k: [] for k in FIELD_VOCABULARY}
        for attr in ds.rows("attribute", link_id=sid):
            term = ds.by_id["taxonomy_term"].get(str(attr.get("taxonomy_term_id"))) or {}
            code = term.get("code") or attr.get("value")
            field_name = attr.get("link_type") if attr.get("link_type") in FIELD_VOCABULARY else \
                next((f for f, allowed in FIELD_VOCABULARY.items() if code in allowed), None)
            if field_name and code in FIELD_VOCABULARY[field_name]:
                values[field_name].append(code)
        modes = list(dict.fromkeys(values["modes_accueil"] + (["a-distance"] if virtual else [])
                                   + (["en-presentiel"] if physical and not values["modes_accueil"] else [])))
        schedules = ds.rows("schedule", service_id=sid) + [
            sc for s, _loc in physical[:1] for sc in ds.rows("schedule", service_at_location_id=s.get("id"))]
        fees = plain_text(row.get("fees_description"))
        frais, frais_precisions = None, fees
        if fees:
            m = re.match(r"^(gratuit|payant)\b\s*(?:[–-]\s*)?(.*)$", fees, re.S | re.I)
            if m:
                frais, frais_precisions = m.group(1).lower(), m.group(2).strip() or None
            elif re.search(r"\b(free|gratuit)\b", fees, re.I):
                frais = "gratuit"
        phone = next((p.get("number") for p in ds.rows("phone", service_id=sid) if p.get("number")), None)
        if phone is None and physical:
            phone = next((p.get("number") for p in ds.rows("phone", location_id=physical[0][1].get("id"))
                          if p.get("number")), None)
        zone = [a.get("name") for a in ds.rows("service_area", service_id=sid)
                if a.get("name") and (a.get("extent_type") in (None, "", ZONE_EXTENT_TYPE))]
        last = str(row.get("last_modified") or "")[:10]
        try:
            date_maj = dt.date.fromisoformat(last) if last else None
        except ValueError:
            date_maj = None
        service = ServiceRecord(
            local_id=str(sid), nom=name, description=plain_text(row.get("description")), date_maj=date_maj,
            type=(values["type"] or [None])[0], thematiques=values["thematiques"], frais=frais,
            frais_precisions=frais_precisions, publics=values["publics"] or None,
            publics_precisions=plain_text(row.get("eligibility_description")),
            adresse=place.get("adresse"), complement_adresse=place.get("complement"), commune=place.get("commune"),
            code_postal=place.get("code_postal"), code_insee=place.get("code_insee"),
            latitude=place.get("latitude"), longitude=place.get("longitude"),
            telephone=phone, courriel=row.get("email"), modes_accueil=modes or None,
            zone_eligibilite=zone or None, lien_source=row.get("url"),
            lien_mobilisation=virtual[0].get("url") if virtual else None,
            mobilisation_precisions=plain_text(row.get("application_process")),
            horaires_accueil=self._hours(schedules),
            extra={k: v for k, v in {"hsds_id": sid, "hsds_statut": status if status != "active" else None,
                                      "mots_cles": [plain_text(row.get("alternate_name"))] if row.get("alternate_name") else None
                                      }.items() if v},
        )
        return Offer(structure=structure, services=[service])

    def _structure(self, ds: Dataset, org: dict) -> StructureRecord:
        oid = org.get("id")
        name = plain_text(org.get("name"))
        if not oid or not name:
            raise RecordError(f"organisation HSDS sans id ou sans nom ({oid!r})")
        locs = [loc for loc in ds.rows("location", organization_id=oid) if loc.get("location_type", "physical") == "physical"]
        place = self._place(ds, locs[0]) if locs else {}
        siret = next((i.get("identifier") for i in ds.rows("organization_identifier", organization_id=oid)
                      if str(i.get("identifier_type", "")).upper() == "SIRET"), None)
        phone = next((p.get("number") for p in ds.rows("phone", organization_id=oid) if p.get("number")), None)
        hours = self._hours([sc for loc in locs[:1] for sc in ds.rows("schedule", location_id=loc.get("id"))])
        return StructureRecord(
            local_id=str(oid), nom=name, description=plain_text(org.get("description")), siret=siret,
            adresse=place.get("adresse"), complement_adresse=place.get("complement"), commune=place.get("commune"),
            code_postal=place.get("code_postal"), code_insee=place.get("code_insee"),
            latitude=place.get("latitude"), longitude=place.get("longitude"), telephone=phone,
            courriel=org.get("email"), site_web=org.get("website"), lien_source=org.get("uri"), horaires_accueil=hours,
        )

    @staticmethod
    def _place(ds: Dataset, loc: dict) -> dict:
        addr = next(iter(ds.rows("address", location_id=loc.get("id"))), {})
        code = loc.get("external_identifier") if str(loc.get("external_identifier_type") or "").lower() in \
            {"code_insee", "insee", "cog"} else None
        lat, lon = loc.get("latitude"), loc.get("longitude")
        street = addr.get("address_1") or None
        if street and addr.get("city") and street.strip().lower() == str(addr["city"]).strip().lower():
            street = None  # exporters that must fill address_1 repeat the town for placeless offers
        return {"adresse": street, "complement": addr.get("address_2") or None,
                "commune": addr.get("city") or None, "code_postal": addr.get("postal_code") or None,
                "code_insee": code, "latitude": float(lat) if isinstance(lat, (int, float)) else None,
                "longitude": float(lon) if isinstance(lon, (int, float)) else None}

    @staticmethod
    def _hours(schedules: list[dict]) -> str | None:
        for sc in schedules:
            desc = str(sc.get("description") or "")
            if desc.startswith(OSM_PREFIX):
                return desc[len(OSM_PREFIX):].strip() or None
        rows = []
        for sc in schedules:
            if str(sc.get("freq") or "").upper() != "WEEKLY" or not sc.get("opens_at") or not sc.get("closes_at"):
                continue
            days = [DAY[d.strip().upper()] for d in str(sc.get("byday") or "").split(",") if d.strip().upper() in DAY]
            if days:
                rows.append((days, str(sc["opens_at"])[:5], str(sc["closes_at"])[:5]))
        osm = weekly_to_osm(rows) if rows else None
        if osm is None:
            return join_paragraphs(*(sc.get("description") for sc in schedules)) if schedules else None
        from indexer.connectors.soliguide import valid_osm
        return osm if valid_osm(osm) else None
