"""Reference lists of the data·inclusion schema v1, read from the schema package itself.

Nothing here is retyped: values, labels and descriptions come from ``data_inclusion.schema.v1``
(PyPI ``data-inclusion-schema``, Licence Ouverte 2.0). The SPIE levers are Repères' own list, a
file in ``data/vocabularies/leviers.json`` mapped onto v1 sub-themes and checked against them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from data_inclusion.schema import v1 as schema

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Term:
    value: str
    label: str
    description: str | None = None

    def as_dict(self) -> dict:
        return {"value": self.value, "label": self.label, "description": self.description}


def _terms(enum) -> tuple[Term, ...]:
    return tuple(Term(m.value, m.label, m.description) for m in enum)


#: name used in /api/v1/doc/<name> -> terms (names follow data·inclusion's API).
VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "thematiques": _terms(schema.Thematique),
    "categories": _terms(schema.Categorie),
    "publics": _terms(schema.Public),
    "frais": _terms(schema.Frais),
    "modes-accueil": _terms(schema.ModeAccueil),
    "modes-mobilisation": _terms(schema.ModeMobilisation),
    "personnes-mobilisatrices": _terms(schema.PersonneMobilisatrice),
    "types-services": _terms(schema.TypeService),
    "reseaux-porteurs": _terms(schema.ReseauPorteur),
}

THEMATIQUES = frozenset(t.value for t in VOCABULARIES["thematiques"])
CATEGORIES = frozenset(t.value for t in VOCABULARIES["categories"])
PUBLICS = frozenset(t.value for t in VOCABULARIES["publics"])
FRAIS = frozenset(t.value for t in VOCABULARIES["frais"])
MODES_ACCUEIL = frozenset(t.value for t in VOCABULARIES["modes-accueil"])
MODES_MOBILISATION = frozenset(t.value for t in VOCABULARIES["modes-mobilisation"])
PERSONNES_MOBILISATRICES = frozenset(t.value for t in VOCABULARIES["personnes-mobilisatrices"])
TYPES = frozenset(t.value for t in VOCABULARIES["types-services"])
RESEAUX_PORTEURS = frozenset(t.value for t in VOCABULARIES["reseaux-porteurs"])
TOUS_PUBLICS = schema.Public.TOUS_PUBLICS.value


def label(vocabulary: str, value: str) -> str:
    return _LABELS[vocabulary].get(value, value)


_LABELS = {name: {t.value: t.label for t in terms} for name, terms in VOCABULARIES.items()}


def category_of(thematique: str) -> str:
    return thematique.split("--", 1)[0]


def expand_thematiques(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """A category stands for all its sub-themes; a sub-theme for itself."""
    out: set[str] = set()
    for value in values:
        if value in CATEGORIES:
            out.update(t for t in THEMATIQUES if category_of(t) == value)
        else:
            out.add(value)
    return frozenset(out)


@dataclass(frozen=True)
class Levier:
    value: str
    label: str
    description: str
    thematiques: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"value": self.value, "label": self.label, "description": self.description,
                "thematiques": list(self.thematiques)}


@lru_cache(maxsize=1)
def leviers() -> tuple[Levier, ...]:
    raw = json.loads((DATA_DIR / "vocabularies" / "leviers.json").read_text(encoding="utf-8"))
    out = []
    for item in raw["leviers"]:
        unknown = set(item["thematiques"]) - THEMATIQUES
        if unknown:
            raise ValueError(f"levier {item['value']}: unknown v1 sub-themes {sorted(unknown)}")
        out.append(Levier(item["value"], item["label"], item["description"], tuple(item["thematiques"])))
    return tuple(out)


def levier(value: str) -> Levier | None:
    return next((lv for lv in leviers() if lv.value == value), None)
