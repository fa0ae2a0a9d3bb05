"""data·inclusion, the national referential of insertion offers: v1 exports and two bundled v0 extracts.

``parse`` recognises the flavour of each JSON file:

* **v1** — a list of v1 services (each with ``structure_id``), a list of v1 structures, the open
  data / API bundle ``{"structures": [...], "services": [...]}``, or API output
  ``{"items": [{"service": {..., "structure": {...}}, "distance": …}]}``: fields map 1:1;
* **La Réunion extract** (``data-inclusion-reunion/``, v0 vocabulary, flattened with French
  column names): ``structures.json`` is read first and joined to ``services.json`` by
  "Structure ID"; v0 values go through :mod:`app.core.v0_to_v1`;
* **structures 2022** (``mednum-data-inclusion-2022/``, flat v0 structures): one structure each,
  with a "Médiation numérique" service built from its ``services`` list and the services its
  ``typologie`` implies (``data/vocabularies/typologies-services-v1.json``).

Our local id keeps the upstream source: v1 ids are already ``<source>--<id>``; v0 ids get it
prepended, so ``data-inclusion--dora--42`` stays unique and readable. Coordinates are passed as
read (the Réunion extract's latitudes lost their sign: ``indexer.normalise.fix_point`` repairs
them against the commune centre); an unreadable coordinate is dropped and noted, and the record
falls back to its commune's centre.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import partial
import re
from typing import Any, Iterable

import orjson

from app.core import v0_to_v1 as v0
from app.core import vocabularies as voc
from app.core.geo import geography
from indexer import normalise as norm
from indexer.connectors.base import Connector
from indexer.records import Offer, RawRecord, RecordError, ServiceRecord, StructureRecord, UnreadableInput

#: keys only the flat v0 structure files have (never a v1 structure)
_V0_STRUCTURE_KEYS = frozenset({"typologie", "pivot", "presentation_resume", "presentation_detail", "labels_nationaux",
                                "labels_autres", "services", "horaires", "horaires_ouverture", "publics_accueillis",
                                "modalites_accompagnement", "antenne", "rna"})
#: mediation-numérique "modalités d'accompagnement" -> v0 typologies de services
_MODALITES = (("avec de l'aide", "accompagnement"), ("dans un atelier", "atelier"), ("seul", "autonomie"),
              ("a ma place", "delegation"), ("à ma place", "delegation"))
#: upstream sources whose services serve the whole département of La Réunion (upstream practice)
_ZONE_BY_SOURCE = {"fredo": ["974"]}
#: the La Réunion extract is a territorial file whose rows lost their zone: a service it offers at a
#: distance is limited to the département (without a zone it would be eligible all over France)
_REUNION_ZONE = ["974"]
#: publics an upstream source implies when its rows carry no profils (upstream practice: crèches)
_PUBLICS_BY_SOURCE = {"monenfant": ["familles"]}


class DataInclusionConnector(Connector):
    name = "data-inclusion"
    label = "data·inclusion — référentiel de l'offre d'insertion"
    licence = "Licence Ouverte 2.0 (data·inclusion open data; vérifier par source)"
    format = "json (schéma data·inclusion v1, ou extraits v0)"
    origin = ("https://www.data.inclusion.gouv.fr ; extraits gip-inclusion/offre-inclusion (La Réunion, 2025) et "
              "anct-cartographie-nationale/mednum-cli (structures 2022)")
    leviers = ("formation", "immersion", "creation-entreprise", "emploi", "hebergement", "logement", "sante",
               "mobilite", "garde-enfants", "numerique", "acces-aux-droits")
    default_files = (
        "data-inclusion-reunion/structures.json",
        "data-inclusion-reunion/services.json",
        "mednum-data-inclusion-2022/data-inclusion-structures-2022.json",
    )

    def __init__(self) -> None:
        # State handed from one file of a run to the next (files are parsed in order):
        # Réunion structures -> Réunion services, v1 structures -> v1 services, and the structure
        # ids the (2025) Réunion services carry -> the (older) 2022 file, which then skips them.
        self._reunion_structures: dict[str, dict] = {}
        self._v1_structures: dict[str, dict] = {}
        self._recent_structure_ids: set[str] = set()

    # -- parse ----------------------------------------------------------------------------------
    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        text = self.decode(raw)
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:  # the standard parser also reads NaN, Infinity and integers beyond 64 bits
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UnreadableInput(f"JSON illisible : {exc.msg} (ligne {exc.lineno})") from None
        flavour = _flavour(data)
        if flavour == "reunion-structures":
            self._reunion_structures = {str(r.get("ID") or "").strip(): r for r in data if isinstance(r, dict)}
            return [RawRecord(i, {"kind": flavour, "row": r}, partial(_dump, r)) for i, r in enumerate(data, 1)]
        if flavour == "reunion-services":
            structures, self._reunion_structures = self._reunion_structures, {}
            self._recent_structure_ids = {f"{_text(r.get('Source'))}--{_text(r.get('Structure ID'))}"
                                          for r in data if isinstance(r, dict)}
            return [RawRecord(i, {"kind": flavour, "row": r,
                                  "structure": structures.get(_text(r.get("Structure ID")) or "")
                                  if isinstance(r, dict) else None}, partial(_dump, r))
                    for i, r in enumerate(data, 1)]
        if flavour == "v0-structures":
            recent, self._recent_structure_ids = self._recent_structure_ids, set()
            return [RawRecord(i, {"kind": flavour, "row": r,
                                  "superseded": isinstance(r, dict)
                                  and f"{_text(r.get('source'))}--{_text(r.get('id'))}" in recent}, partial(_dump, r))
                    for i, r in enumerate(data, 1)]
        return self._parse_v1(flavour, data)

    def _parse_v1(self, flavour: str, data: Any) -> list[RawRecord]:
        records: list[RawRecord] = []
        if flavour == "v1-structures":
            self._v1_structures = {_text(s.get("id")) or "": s for s in data if isinstance(s, dict)}
            return [RawRecord(i, {"kind": "v1", "structure": s, "service": None}, partial(_dump, s))
                    for i, s in enumerate(data, 1)]
        if flavour == "v1-bundle":
            structures = {_text(s.get("id")) or "": s for s in data.get("structures") or [] if isinstance(s, dict)}
            services = [s for s in data.get("services") or []]
            used: set[str] = set()
            for i, sv in enumerate(services, 1):
                sid = (_text(sv.get("structure_id")) or "") if isinstance(sv, dict) else ""
                used.add(sid)
                records.append(RawRecord(i, {"kind": "v1", "structure": structures.get(sid), "service": sv}, partial(_dump, sv)))
            for j, (sid, st) in enumerate(structures.items(), len(services) + 1):
                if sid not in used:
                    records.append(RawRecord(j, {"kind": "v1", "structure": st, "service": None}, partial(_dump, st)))
            return records
        if flavour == "v1-items":
            items = data["items"]
        else:  # v1-services
            items = data
        known, self._v1_structures = self._v1_structures, {}
        for i, item in enumerate(items, 1):
            sv = item.get("service") if isinstance(item, dict) and isinstance(item.get("service"), dict) else item
            st = None
            if isinstance(sv, dict):
                embedded = sv.get("structure")
                st = embedded if isinstance(embedded, dict) else known.get(_text(sv.get("structure_id")) or "")
            records.append(RawRecord(i, {"kind": "v1", "structure": st, "service": sv}, partial(_dump, item)))
        return records

    # -- to_offer -------------------------------------------------------------------------------
    def to_offer(self, record: RawRecord) -> Offer | list[Offer] | None:
        data = record.data
        kind = data["kind"]
        if kind == "reunion-structures":
            return self._reunion_structure_check(_row(data["row"]))
        if kind == "reunion-services":
            return self._reunion_service(_row(data["row"]), data.get("structure"))
        if kind == "v0-structures":
            if data.get("superseded"):
                return None  # the 2025 Réunion extract already gives this structure and its services
            return self._v0_structure(_row(data["row"]))
        return self._v1(data.get("structure"), data.get("service"))

    # -- La Réunion extract (v0 vocabulary) -----------------------------------------------------------
    @staticmethod
    def _reunion_structure_check(row: dict) -> None:
        """A structure row is used through the services that name it; here it is only checked."""
        if not _text(row.get("ID")):
            raise RecordError("ID de structure manquant")
        if not _text(row.get("Nom")):
            raise RecordError("nom de structure manquant")
        return None

    def _reunion_service(self, row: dict, srow: dict | None) -> Offer:
        source = _text(row.get("Source"))
        if not source:
            raise RecordError("source amont manquante (colonne Source)")
        service_id, structure_id = _text(row.get("Service ID")), _text(row.get("Structure ID"))
        if not service_id:
            raise RecordError("Service ID manquant")
        if not structure_id:
            raise RecordError("Structure ID manquant")
        nom = _text(row.get("Nom"))
        if not nom:
            raise RecordError("nom manquant")
        place = {"adresse": _text(row.get("Adresse")), "commune": _text(row.get("Commune")),
                 "code_postal": _text(row.get("Code Postal")), "code_insee": _text(row.get("Code Insee"))}
        lat, lon, notes = _point(row.get("Lat"), row.get("Long"), "Lat", "Long", place)
        modes = [m for m in _pg_array(row.get("Modes Accueil")) if m in voc.MODES_ACCUEIL]
        themes_v0 = _pg_array(row.get("Thematiques"))
        profils = _pg_array(row.get("Profils"))
        frais = _pg_array(row.get("Frais"))
        publics = (v0.publics_v1(profils) or v0.publics_from_thematiques(themes_v0)
                   or _PUBLICS_BY_SOURCE.get(source))
        extra = _compact({
            "source_amont": source,
            "thematiques_v0": themes_v0,
            "thematiques_inconnues": v0.unknown_thematiques(themes_v0),
            "profils_v0": profils,
            "frais_v0": frais,
            "mis_a_jour_dans_l_annee": _bool(row.get("Update-last-year")),
            "annee_creation": _int(row.get("Année-creation")),
            "corrections": notes,
        })
        service = ServiceRecord(
            local_id=f"{source}--{service_id}", nom=nom, thematiques=v0.thematiques_v1(themes_v0),
            frais=v0.frais_v1(frais), frais_precisions=v0.frais_precisions_v1(frais), publics=publics,
            conditions_acces=v0.conditions_from_profils(profils),
            latitude=lat, longitude=lon, **place,
            modes_accueil=modes or None,
            zone_eligibilite=_ZONE_BY_SOURCE.get(source) or (_REUNION_ZONE if "a-distance" in modes else None),
            extra=extra,
        )
        local_structure = f"{source}--{structure_id}"
        if srow is not None and _text(srow.get("Nom")):
            typologie = _text(srow.get("Typologie"))
            structure = StructureRecord(
                local_id=local_structure, nom=_text(srow.get("Nom")), commune=_text(srow.get("Commune")),
                code_insee=_text(srow.get("Code Insee")), reseaux_porteurs=v0.reseaux_porteurs_v1(typologie),
                extra=_compact({"source_amont": source, "typologie": typologie,
                                "typologie_libelle": v0.v0_label("typologies-de-structures", typologie or "")}))
        else:
            # structures.json does not list it: a structure at the service's place, named from its id
            same = service_id == structure_id  # monenfant: the crèche is both the structure and the service
            structure = StructureRecord(
                local_id=local_structure, nom=nom if same else f"Structure {structure_id} ({source})",
                latitude=lat, longitude=lon, **place,
                extra={"source_amont": source, "nom_construit": not same})
        return Offer(structure, [service])

    # -- structures 2022 (flat v0) --------------------------------------------------------------
    def _v0_structure(self, row: dict) -> Offer:
        source, rid, nom = _text(row.get("source")), _text(row.get("id")), _text(row.get("nom"))
        if not source:
            raise RecordError("source amont manquante")
        if not rid:
            raise RecordError("id manquant")
        if not nom:
            raise RecordError("nom manquant")
        local_id = f"{source}--{rid}"
        place = {"adresse": _text(row.get("adresse")), "complement_adresse": _text(row.get("complement_adresse")),
                 "commune": _text(row.get("commune")), "code_postal": _text(row.get("code_postal")),
                 "code_insee": _text(row.get("code_insee"))}
        lat, lon, notes = _point(row.get("latitude"), row.get("longitude"), "latitude", "longitude", place)
        declared = _text(row.get("typologie"))
        inferred = v0.typologie_from_name(nom, declared)
        typologie = inferred or declared
        labels = _split(row.get("labels_nationaux"))
        date_maj = _date(row.get("date_maj"))
        description = _text(row.get("presentation_detail")) or _text(row.get("presentation_resume"))
        structure = StructureRecord(
            local_id=local_id, nom=nom, date_maj=date_maj, siret=_text(row.get("pivot") or row.get("siret")),
            description=_clean_markup(description), latitude=lat, longitude=lon, **place,
            telephone=_text(row.get("telephone")), courriel=_text(row.get("courriel")),
            site_web=_text(row.get("site_web")), horaires_accueil=_text(row.get("horaires")),
            reseaux_porteurs=v0.reseaux_porteurs_v1(typologie, labels),
            extra=_compact({"source_amont": source, "typologie": declared, "typologie_deduite_du_nom": inferred,
                            "typologie_libelle": v0.v0_label("typologies-de-structures", typologie or ""),
                            "labels_nationaux": labels, "extrait": "data·inclusion 2022",
                            "date_maj_texte": None if date_maj else _text(row.get("date_maj")),
                            "corrections": notes}))
        services = []
        numeriques = _split(row.get("services"))
        if numeriques:
            services.append(self._numeric_service(local_id, row, numeriques))
        zone_commune = None
        for template in v0.typology_services().get(typologie or "", ()):
            if template.get("zone_eligibilite") and zone_commune is None:
                zone_commune = norm.resolve_commune(geography(), place["code_insee"], place["code_postal"],
                                                    place["commune"]) or False
            services.append(_typology_service(local_id, typologie, template, zone_commune or None))
        return Offer(structure, services)

    @staticmethod
    def _numeric_service(structure_id: str, row: dict, names: list[str]) -> ServiceRecord:
        themes_v0 = [v0.v0_value("thematiques", n) for n in names]
        frais_v0 = [f for f in (v0.v0_value("frais", c) for c in _split(row.get("conditions_acces"))) if f]
        modalites = _split(row.get("modalites_accompagnement"))
        types_v0 = [code for m in modalites for prefix, code in _MODALITES if _fold(m).startswith(prefix)]
        profils = [v0.v0_value("profils", p) for p in _split(row.get("publics_accueillis"))]
        lien = norm.clean_url(row.get("prise_rdv"))
        modes = ((["utiliser-lien-mobilisation"] if lien else [])
                 + (["telephoner"] if _text(row.get("telephone")) else []))
        description = "Services numériques proposés : " + ", ".join(names) + "."
        if modalites:
            description += " Modalités : " + " ; ".join(m.split(" : ")[0] for m in modalites) + "."
        return ServiceRecord(
            local_id=f"{structure_id}--mediation-numerique", nom="Médiation numérique", description=description,
            type=v0.type_v1(types_v0), thematiques=v0.thematiques_v1([t for t in themes_v0 if t]),
            frais=v0.frais_v1(frais_v0), frais_precisions=v0.frais_precisions_v1(frais_v0),
            publics=v0.publics_v1([p for p in profils if p]), modes_accueil=["en-presentiel"],
            lien_mobilisation=lien, modes_mobilisation=modes or None,
            extra=_compact({"origine": "liste des services numériques de la structure",
                            "services_inconnus": [n for n, t in zip(names, themes_v0) if not t]}))

    # -- v1 -------------------------------------------------------------------------------------
    def _v1(self, st: dict | None, sv: dict | None) -> Offer:
        if sv is not None and not isinstance(sv, dict):
            raise RecordError("service illisible : objet JSON attendu")
        if st is not None and not isinstance(st, dict):
            raise RecordError("structure illisible : objet JSON attendu")
        source = _text((sv or {}).get("source")) or _text((st or {}).get("source"))
        if not source:
            raise RecordError("source manquante")
        if st is not None:
            structure = _v1_structure(st, source)
        else:
            sid = _text(sv.get("structure_id"))
            if not sid:
                raise RecordError("structure_id manquant")
            structure = StructureRecord(local_id=_v1_id(source, sid), nom=f"Structure {sid}",
                                        extra={"source_amont": source, "nom_construit": True})
        services = [_v1_service(sv, source)] if sv is not None else []
        return Offer(structure, services)


# -- v1 records ---------------------------------------------------------------------------------
def _v1_id(source: str, value: Any) -> str:
    value = _text(value)
    if not value:
        raise RecordError("id manquant")
    return value if value.startswith(f"{source}--") else f"{source}--{value}"


def _v1_structure(s: dict, default_source: str) -> StructureRecord:
    t = _texts(s).get
    source = t("source") or default_source
    nom = t("nom")
    if not nom:
        raise RecordError("nom de structure manquant")
    place = {k: t(k) for k in _PLACE_KEYS}
    lat, lon, notes = _point(s.get("latitude"), s.get("longitude"), "latitude", "longitude", place)
    return StructureRecord(
        local_id=_v1_id(source, s.get("id")), nom=nom, date_maj=_date(s.get("date_maj")), siret=t("siret"),
        description=t("description"), latitude=lat, longitude=lon, **place,
        telephone=t("telephone"), courriel=t("courriel"), site_web=t("site_web"),
        lien_source=t("lien_source"), horaires_accueil=t("horaires_accueil"),
        accessibilite_lieu=t("accessibilite_lieu"),
        reseaux_porteurs=[r for r in _list(s.get("reseaux_porteurs")) if r in voc.RESEAUX_PORTEURS] or None,
        extra=_compact({"source_amont": source, "corrections": notes}))


def _v1_service(s: dict, source: str) -> ServiceRecord:
    t = _texts(s).get
    nom = t("nom")
    if not nom:
        raise RecordError("nom manquant")
    place = {k: t(k) for k in _PLACE_KEYS}
    lat, lon, notes = _point(s.get("latitude"), s.get("longitude"), "latitude", "longitude", place)
    frais = _list(s.get("frais"))
    types = _list(s.get("type")) or _list(s.get("types"))
    return ServiceRecord(
        local_id=_v1_id(source, s.get("id")), nom=nom, description=t("description"),
        date_maj=_date(s.get("date_maj")), type=v0.type_v1(types),
        thematiques=v0.thematiques_v1(_list(s.get("thematiques"))),
        frais=v0.frais_v1(frais), frais_precisions=t("frais_precisions") or v0.frais_precisions_v1(frais),
        publics=v0.publics_v1(_list(s.get("publics")) or _list(s.get("profils"))),
        publics_precisions=t("publics_precisions"), conditions_acces=t("conditions_acces"),
        latitude=lat, longitude=lon, **place, telephone=t("telephone"), courriel=t("courriel"),
        modes_accueil=[m for m in _list(s.get("modes_accueil")) if m in voc.MODES_ACCUEIL] or None,
        zone_eligibilite=_list(s.get("zone_eligibilite")) or None, lien_source=t("lien_source"),
        lien_mobilisation=t("lien_mobilisation"),
        modes_mobilisation=_list(s.get("modes_mobilisation")) or None,
        mobilisable_par=_list(s.get("mobilisable_par")) or None,
        mobilisation_precisions=t("mobilisation_precisions"),
        horaires_accueil=t("horaires_accueil"),
        volume_horaire_hebdomadaire=norm.parse_decimal(s.get("volume_horaire_hebdomadaire")),
        nombre_semaines=_int(s.get("nombre_semaines")),
        extra=_compact({"source_amont": source, "score_qualite_amont": s.get("score_qualite"), "corrections": notes}))


_PLACE_KEYS = ("adresse", "complement_adresse", "commune", "code_postal", "code_insee")


def _texts(record: dict) -> dict[str, str]:
    """:func:`_text` of every value of a record at once (a v1 record asks for twenty of them)."""
    out = {}
    for key, value in record.items():
        if value.__class__ is not str:
            if value is None or isinstance(value, (dict, list)):
                continue
            value = str(value)
        value = value.strip()
        if value:
            out[key] = value
    return out


# -- services implied by a structure typologie ------------------------------------------------------
def _typology_service(structure_id: str, typologie: str, template: dict, commune) -> ServiceRecord:
    label = v0.v0_label("typologies-de-structures", typologie) or typologie
    zone = None
    if commune is not None and template.get("zone_eligibilite"):
        zone = {"commune": [commune.code_insee], "departement": [commune.code_departement],
                "epci": [commune.siren_epci] if commune.siren_epci else None}[template["zone_eligibilite"]]
    return ServiceRecord(
        local_id=f"{structure_id}--{template['key']}", nom=template["nom"],
        description=f"{template['description']} Offre déduite du type de structure ({label}) : "
                    "à confirmer auprès de la structure.",
        type=template.get("type"), thematiques=list(template["thematiques"]), publics=template.get("publics"),
        frais=template.get("frais"), frais_precisions=template.get("frais_precisions"),
        conditions_acces=template.get("conditions_acces"), modes_accueil=template.get("modes_accueil"),
        modes_mobilisation=template.get("modes_mobilisation"), mobilisable_par=template.get("mobilisable_par"),
        mobilisation_precisions=template.get("mobilisation_precisions"), zone_eligibilite=zone,
        extra={"origine": "typologie", "typologie": typologie})


# -- flavour detection ----------------------------------------------------------------------------
def _flavour(data: Any) -> str:
    if isinstance(data, dict):
        if isinstance(data.get("services"), list) or isinstance(data.get("structures"), list):
            if not (data.get("services") or data.get("structures")):
                raise UnreadableInput("export data·inclusion vide : aucune structure ni aucun service")
            return "v1-bundle"
        if isinstance(data.get("items"), list):
            if not data["items"]:
                raise UnreadableInput("réponse de l'API sans résultat (items vide)")
            return "v1-items"
        raise UnreadableInput("objet JSON d'une forme inconnue : ni export v1 (structures, services), "
                              "ni réponse d'API (items)")
    if not isinstance(data, list):
        raise UnreadableInput("JSON d'une forme inconnue : une liste ou un objet était attendu")
    rows = [r for r in data[:50] if isinstance(r, dict)]
    if not data:
        raise UnreadableInput("liste vide : aucun enregistrement")
    if len(rows) < len(data[:50]) / 2:
        raise UnreadableInput("liste JSON qui ne contient pas d'objets : ce n'est pas un export data·inclusion")
    keys: set[str] = set().union(*(r.keys() for r in rows))
    if "Service ID" in keys:
        return "reunion-services"
    if {"ID", "Nom"} <= keys:
        return "reunion-structures"
    if "structure_id" in keys:
        return "v1-services"
    if keys & _V0_STRUCTURE_KEYS and {"id", "nom"} <= keys:
        return "v0-structures"
    if {"id", "nom", "source"} <= keys:
        return "v1-structures"
    raise UnreadableInput("liste d'objets d'une forme inconnue : ni schéma data·inclusion v1, "
                          "ni extrait v0 (La Réunion, structures 2022)")


# -- small parsers --------------------------------------------------------------------------------
def _row(row: Any) -> dict:
    if not isinstance(row, dict):
        raise RecordError(f"enregistrement illisible : objet JSON attendu, trouvé {type(row).__name__}")
    return row


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if value.__class__ is str:  # nearly every call: skip the isinstance chain
        return value.strip() or None
    if isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text and re.fullmatch(r"\d{1,6}", text) else None


def _bool(value: Any) -> bool | None:
    text = (_text(value) or "").lower()
    return True if text in {"true", "1", "oui", "t"} else False if text in {"false", "0", "non", "f"} else None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _pg_array(value) if value.strip().startswith("{") else [v for v in [value.strip()] if v]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return []


def _split(value: Any, sep: str = ";") -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in (_text(value) or "").split(sep) if p.strip()]


def _pg_array(value: Any) -> list[str]:
    """Postgres array text '{a,b,"c d"}' as a list (a plain list passes through)."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = (_text(value) or "").strip()
    if not text:
        return []
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [m.group(1) if m.group(1) is not None else m.group(2).strip()
            for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([^,]+)', text) if (m.group(1) or m.group(2) or "").strip()]


def _point(lat_raw: Any, lon_raw: Any, lat_name: str, lon_name: str,
           place: dict) -> tuple[float | None, float | None, list[str]]:
    """Coordinates as read (a decimal comma is fine); an unreadable one drops the point, with a note."""
    notes = []
    values = []
    for raw, name in ((lat_raw, lat_name), (lon_raw, lon_name)):
        text = _text(raw)
        value = norm.parse_decimal(raw) if text is not None or isinstance(raw, (int, float)) else None
        if text is not None and value is None:
            notes.append(f"{name} illisible : {text!r}")
        values.append(value)
    if notes:
        if not any(place.get(k) for k in ("code_insee", "code_postal", "commune")):
            raise RecordError(f"{notes[0]}, et aucune commune pour situer l'enregistrement")
        return None, None, [f"{'; '.join(notes)} : point ignoré, centre de la commune utilisé"]
    lat, lon = values
    if (lat is None) != (lon is None):
        return None, None, [f"{lat_name if lat is None else lon_name} absente : point ignoré"]
    return lat, lon, []


_OLDEST = dt.date(2000, 1, 1)


def _date(value: Any) -> dt.date | None:
    """A date written as ISO (with or without time), DD/MM/YYYY or YYYY/MM/DD; None if unreadable."""
    if isinstance(value, dt.datetime):
        found = value.date()
    elif isinstance(value, dt.date):
        found = value
    else:
        text = _text(value)
        if not text:
            return None
        found = None
        if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:10].isascii():
            try:  # nearly every date is ISO 8601
                found = dt.date.fromisoformat(text[:10])
            except ValueError:
                pass
            else:
                return found if _OLDEST <= found <= norm.today() else None
        m = re.match(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text) or None
        if m:
            y, mo, d = (int(g) for g in m.groups())
        else:
            m = re.match(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
            if not m:
                return None
            d, mo, y = (int(g) for g in m.groups())
        try:
            found = dt.date(y, mo, d)
        except ValueError:
            return None
    return found if _OLDEST <= found <= norm.today() else None


def _clean_markup(text: str | None) -> str | None:
    """Producer descriptions sometimes carry HTML line breaks and escaped markdown dashes."""
    if not text:
        return text
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I).replace("\\-", "-").replace("\r\n", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _fold(text: str) -> str:
    return text.strip().lower().replace("’", "'")


def _compact(values: dict) -> dict | None:
    out = {k: v for k, v in values.items() if v not in (None, [], {}, "")}
    return out or None
