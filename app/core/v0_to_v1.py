"""data·inclusion schema v0 values translated to v1, from ``data/vocabularies/v0-to-v1.json``.

Some sources still publish the v0 vocabulary (168 thématiques, 28 profils, ``types[]``,
``frais[]``, ``modes_orientation_*``, structure ``typologie`` and ``labels_nationaux``). The
mapping is a data file written by meaning for Repères (docs/v0-to-v1.md explains each choice);
this module loads it once, checks that every v0 value of the bundled v0 lists has an entry and
that every target is a real v1 value of the ``data-inclusion-schema`` package, and exposes one
function per field. Every function accepts ``None``/empty input and returns ``None`` (or an empty
list for themes) when nothing maps, never an invalid v1 value.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from app.core import vocabularies as voc

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "vocabularies"
MAPPING_FILE = DATA_DIR / "v0-to-v1.json"
V0_DIR = DATA_DIR / "v0"

#: v0 publics that only describe an age or a household: "adultes" with them means everyone.
_AGE_GROUPS = frozenset({"jeunes", "seniors", "familles"})


class MappingError(ValueError):
    """The mapping file does not match the v0 lists or names a value v1 does not have."""


@dataclass(frozen=True)
class Mapping:
    thematiques: dict[str, tuple[str, ...]]
    thematiques_publics: dict[str, tuple[str, ...]]
    publics: dict[str, tuple[str, ...]]
    types: dict[str, str | None]
    type_precedence: tuple[str, ...]
    frais: dict[str, str | None]
    frais_precisions: dict[str, str]
    orientation_accompagnateur: dict[str, tuple[str, ...]]
    orientation_beneficiaire: dict[str, tuple[str, ...]]
    reseaux_typologie: dict[str, tuple[str, ...]]
    reseaux_labels: dict[str, tuple[str, ...]]
    labels_alias: dict[str, str]
    #: folded v0 labels -> v0 values, per list (sources sometimes write labels, not values)
    v0_labels: dict[str, dict[str, str]]
    #: v0 value -> its French label, per list
    v0_label_of: dict[str, dict[str, str]]


def _v0_list(name: str) -> list[dict]:
    return json.loads((V0_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _fold_label(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).replace("’", "'").replace("\u00a0", " "))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", " ", text).strip(" .")


def _check(section: str, table: dict, v0_values: set[str] | None, allowed: frozenset[str]) -> None:
    if v0_values is not None and set(table) - {"_"} != v0_values:
        missing, extra = v0_values - set(table), set(table) - v0_values
        raise MappingError(f"{section}: v0 values without entry {sorted(missing)}, unknown v0 values {sorted(extra)}")
    for key, targets in table.items():
        values = [targets] if isinstance(targets, str) or targets is None else list(targets)
        bad = [t for t in values if t is not None and t not in allowed]
        if bad:
            raise MappingError(f"{section}[{key!r}]: not v1 values {bad}")


@lru_cache(maxsize=1)
def mapping() -> Mapping:
    """The mapping, loaded and validated once (raises MappingError if the file is inconsistent)."""
    raw = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    v0 = {name: _v0_list(name) for name in (
        "thematiques", "profils", "typologies-de-services", "frais", "modes-orientation-accompagnateur",
        "modes-orientation-beneficiaire", "typologies-de-structures", "labels-nationaux")}
    values = {name: {item["value"] for item in items} for name, items in v0.items()}

    _check("thematiques", raw["thematiques"], values["thematiques"], voc.THEMATIQUES)
    _check("thematiques_publics", raw["thematiques_publics"], None, voc.PUBLICS)
    if set(raw["thematiques_publics"]) - values["thematiques"]:
        raise MappingError("thematiques_publics: keys must be v0 thématiques")
    _check("publics", raw["publics"], values["profils"], voc.PUBLICS)
    _check("types", raw["types"], values["typologies-de-services"], voc.TYPES)
    _check("type_precedence", {"_": raw["type_precedence"]}, None, voc.TYPES)
    if set(raw["type_precedence"]) != voc.TYPES:
        raise MappingError("type_precedence must list every v1 type once")
    _check("frais", raw["frais"], values["frais"], voc.FRAIS)
    _check("modes_orientation_accompagnateur", raw["modes_orientation_accompagnateur"],
           values["modes-orientation-accompagnateur"], voc.MODES_MOBILISATION)
    _check("modes_orientation_beneficiaire", raw["modes_orientation_beneficiaire"],
           values["modes-orientation-beneficiaire"], voc.MODES_MOBILISATION)
    _check("reseaux_porteurs_typologie", raw["reseaux_porteurs_typologie"],
           values["typologies-de-structures"], voc.RESEAUX_PORTEURS)
    _check("reseaux_porteurs_typologie_hors_liste", raw["reseaux_porteurs_typologie_hors_liste"], None,
           voc.RESEAUX_PORTEURS)
    _check("reseaux_porteurs_labels", raw["reseaux_porteurs_labels"], values["labels-nationaux"], voc.RESEAUX_PORTEURS)
    bad_alias = {k: v for k, v in raw["labels_nationaux_alias"].items() if v not in values["labels-nationaux"]}
    if bad_alias:
        raise MappingError(f"labels_nationaux_alias: targets are not v0 labels {bad_alias}")

    def tuples(table: dict) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v or ()) for k, v in table.items()}

    return Mapping(
        thematiques=tuples(raw["thematiques"]),
        thematiques_publics=tuples(raw["thematiques_publics"]),
        publics=tuples(raw["publics"]),
        types=dict(raw["types"]),
        type_precedence=tuple(raw["type_precedence"]),
        frais=dict(raw["frais"]),
        frais_precisions=dict(raw["frais_precisions"]),
        orientation_accompagnateur=tuples(raw["modes_orientation_accompagnateur"]),
        orientation_beneficiaire=tuples(raw["modes_orientation_beneficiaire"]),
        reseaux_typologie={**tuples(raw["reseaux_porteurs_typologie"]),
                           **tuples(raw["reseaux_porteurs_typologie_hors_liste"])},
        reseaux_labels=tuples(raw["reseaux_porteurs_labels"]),
        labels_alias=dict(raw["labels_nationaux_alias"]),
        v0_labels={name: {_fold_label(item["label"]): item["value"] for item in items} for name, items in v0.items()},
        v0_label_of={name: {item["value"]: item["label"].strip() for item in items} for name, items in v0.items()},
    )


def _values(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for v in values if v and str(v).strip()]


def v0_value(list_name: str, text: str | None) -> str | None:
    """The v0 value of a list ("profils", "thematiques", "frais"…) given its value or its label."""
    if not text:
        return None
    table = mapping().v0_labels[list_name]
    if text.strip() in table.values():
        return text.strip()
    folded = _fold_label(text)
    if folded in table:
        return table[folded]
    # labels written with their description ("Gratuit : Je peux accéder…"), or singular/plural drift
    head = _fold_label(text.split(" : ")[0].split(" :")[0])
    return table.get(head) or table.get(head + "s") or table.get(head.removesuffix("s"))


# -- thématiques --------------------------------------------------------------------------------
def thematiques_v1(values: Iterable[str] | None) -> list[str]:
    """v1 sub-themes for v0 thématiques (v1 sub-themes pass through); unknown values are dropped."""
    table = mapping().thematiques
    out: set[str] = set()
    for value in _values(values):
        value = value.removesuffix("--autre")  # DORA's "<category>--autre"
        if value in voc.THEMATIQUES:
            out.add(value)
        elif value in table:
            out.update(table[value])
        elif value in voc.CATEGORIES:
            out.update(voc.expand_thematiques([value]))
    return sorted(out)


def unknown_thematiques(values: Iterable[str] | None) -> list[str]:
    """Input values neither v0 nor v1 (worth keeping in ``extra`` for the record)."""
    table = mapping().thematiques
    return [v for v in _values(values)
            if v.removesuffix("--autre") not in table and v.removesuffix("--autre") not in voc.THEMATIQUES
            and v.removesuffix("--autre") not in voc.CATEGORIES]


def publics_from_thematiques(values: Iterable[str] | None) -> list[str]:
    """v1 publics implied by v0 thématiques that became publics in v1 (handicap, asylum…)."""
    table = mapping().thematiques_publics
    out: set[str] = set()
    for value in _values(values):
        key = "handicap" if value.startswith("handicap--") else value
        out.update(table.get(key, ()))
    return sorted(out)


# -- publics ------------------------------------------------------------------------------------
def publics_v1(values: Iterable[str] | None) -> list[str] | None:
    """v1 publics for v0 profils (v1 publics pass through); None when nothing maps.

    "adultes" alone, or with only age/household groups (jeunes, seniors, familles), means
    tous-publics; with a specific public (femmes, demandeurs d'emploi…) it adds nothing.
    """
    table = mapping().publics
    values = _values(values)
    out: set[str] = set()
    for value in values:
        if value == "adultes":
            continue
        if value in table:
            out.update(table[value])
        elif value in voc.PUBLICS:
            out.add(value)
    if "adultes" in values and out <= _AGE_GROUPS:
        out = {voc.TOUS_PUBLICS}
    if voc.TOUS_PUBLICS in out:
        return [voc.TOUS_PUBLICS]
    return sorted(out) or None


def conditions_from_profils(values: Iterable[str] | None) -> str | None:
    """Access conditions v1 keeps as text for the v0 profils locataires / propriétaires."""
    values = _values(values)
    parts = []
    if "locataires" in values:
        parts.append("Le bénéficiaire doit être locataire.")
    if "proprietaires" in values:
        parts.append("Le bénéficiaire doit être propriétaire.")
    return " ".join(parts) or None


# -- type, frais --------------------------------------------------------------------------------
def type_v1(values: Iterable[str] | None) -> str | None:
    """The single v1 type for v0 types (v1 types pass through), by the documented precedence."""
    m = mapping()
    found = set()
    for value in _values(values):
        if value in m.types:
            if m.types[value]:
                found.add(m.types[value])
        elif value in voc.TYPES:
            found.add(value)
    return next((t for t in m.type_precedence if t in found), None)


def frais_v1(values: Iterable[str] | None) -> str | None:
    """"payant" if any v0 frais maps to it, else "gratuit" if any does, else None."""
    m = mapping()
    found = {m.frais.get(v, v if v in voc.FRAIS else None) for v in _values(values)} - {None}
    if "payant" in found:
        return "payant"
    return "gratuit" if "gratuit" in found else None


def frais_precisions_v1(values: Iterable[str] | None) -> str | None:
    """French text for the v0 nuances v1 cannot hold (adhésion, sous conditions, Pass numérique)."""
    table = mapping().frais_precisions
    parts = [table[v] for v in dict.fromkeys(_values(values)) if v in table]
    return " ".join(parts) or None


# -- mobilisation -------------------------------------------------------------------------------
def mobilisation_v1(acc: Iterable[str] | None,
                    benef: Iterable[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """(modes_mobilisation, mobilisable_par) for v0 ``modes_orientation_accompagnateur`` / ``_beneficiaire``."""
    m = mapping()
    acc, benef = _values(acc), _values(benef)
    modes: set[str] = set()
    for value in acc:
        modes.update(m.orientation_accompagnateur.get(value, (value,) if value in voc.MODES_MOBILISATION else ()))
    for value in benef:
        modes.update(m.orientation_beneficiaire.get(value, (value,) if value in voc.MODES_MOBILISATION else ()))
    par = ([] if not benef else ["usagers"]) + ([] if not acc else ["professionnels"])
    return (sorted(modes) or None), (sorted(par) or None)


# -- structures ---------------------------------------------------------------------------------
def reseaux_porteurs_v1(typologie: str | None, labels: Iterable[str] | None = None) -> list[str] | None:
    """v1 réseaux porteurs for a v0 structure typologie (e.g. "ML", "CCAS") and labels nationaux.

    Labels may be given as v0 values ("france-service") or labels ("France Services", "CNFS").
    """
    m = mapping()
    out: set[str] = set()
    if typologie and typologie.strip():
        code = typologie.strip()
        out.update(m.reseaux_typologie.get(code, m.reseaux_typologie.get(code.upper(), ())))
    for label in _values(labels):
        value = m.labels_alias.get(label, label)
        if value not in m.reseaux_labels:
            value = v0_value("labels-nationaux", value) or value
        out.update(m.reseaux_labels.get(value, ()))
    return sorted(out) or None


def v0_label(list_name: str, value: str | None) -> str | None:
    """The French label of a v0 value ("typologies-de-structures", "ML" -> "Mission Locale")."""
    return mapping().v0_label_of[list_name].get(value or "")


# -- services a structure typologie implies -------------------------------------------------------
TYPOLOGY_SERVICES_FILE = DATA_DIR / "typologies-services-v1.json"
_SERVICE_KEYS = {"key", "nom", "description", "type", "thematiques", "publics", "frais", "frais_precisions",
                 "conditions_acces", "modes_accueil", "modes_mobilisation", "mobilisable_par",
                 "mobilisation_precisions", "zone_eligibilite"}


@lru_cache(maxsize=1)
def typology_services() -> dict[str, tuple[dict, ...]]:
    """Services a v0 structure typologie offers by its mission (data/vocabularies/typologies-services-v1.json).

    Checked at load: known typologie codes, unique keys, and only real v1 values.
    """
    raw = json.loads(TYPOLOGY_SERVICES_FILE.read_text(encoding="utf-8"))["typologies"]
    known = set(mapping().reseaux_typologie)
    out: dict[str, tuple[dict, ...]] = {}
    for code, services in raw.items():
        if code not in known:
            raise MappingError(f"typologies-services: unknown v0 typologie {code!r}")
        keys = [s["key"] for s in services]
        if len(set(keys)) != len(keys):
            raise MappingError(f"typologies-services[{code}]: duplicate keys")
        for s in services:
            where = f"typologies-services[{code}][{s.get('key')}]"
            if set(s) - _SERVICE_KEYS:
                raise MappingError(f"{where}: unknown fields {sorted(set(s) - _SERVICE_KEYS)}")
            checks = [("thematiques", s.get("thematiques") or [], voc.THEMATIQUES),
                      ("publics", s.get("publics") or [], voc.PUBLICS),
                      ("type", [s["type"]] if s.get("type") else [], voc.TYPES),
                      ("frais", [s["frais"]] if s.get("frais") else [], voc.FRAIS),
                      ("modes_accueil", s.get("modes_accueil") or [], voc.MODES_ACCUEIL),
                      ("modes_mobilisation", s.get("modes_mobilisation") or [], voc.MODES_MOBILISATION),
                      ("mobilisable_par", s.get("mobilisable_par") or [], voc.PERSONNES_MOBILISATRICES),
                      ("zone_eligibilite", [s["zone_eligibilite"]] if s.get("zone_eligibilite") else [],
                       {"commune", "epci", "departement"})]
            for name, values, allowed in checks:
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise MappingError(f"{where}.{name}: not v1 values {bad}")
            if not s.get("thematiques") or not s.get("nom"):
                raise MappingError(f"{where}: nom and thematiques are required")
        out[code] = tuple(services)
    return out


@lru_cache(maxsize=1)
def _name_rules() -> tuple[frozenset, tuple[re.Pattern, ...], tuple[tuple[re.Pattern, str], ...]]:
    raw = json.loads(TYPOLOGY_SERVICES_FILE.read_text(encoding="utf-8"))["typologie_from_name"]
    known = set(mapping().reseaux_typologie)
    rules = []
    for pattern, code in raw["rules"]:
        if code not in known:
            raise MappingError(f"typologie_from_name: unknown v0 typologie {code!r}")
        rules.append((re.compile(pattern), code))
    return frozenset(raw["applies_when"]), tuple(re.compile(p) for p in raw["unless"]), tuple(rules)


def typologie_from_name(nom: str | None, typologie: str | None) -> str | None:
    """The typologie a structure's name states ("Mission locale …" -> "ML") when the declared one
    is missing or generic (ASSO, Autre, EPCI…); None otherwise."""
    applies_when, unless, rules = _name_rules()
    if typologie not in applies_when or not nom:
        return None
    folded = _fold_label(nom)
    if any(pattern.search(folded) for pattern in unless):
        return None
    return next((code for pattern, code in rules if pattern.search(folded)), None)
