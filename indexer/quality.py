"""``score_qualite`` with data·inclusion's own criteria (``data_inclusion.schema.v1.score_qualite``).

The package's criteria take a pydantic model and pendulum durations: correct, but about 0.5 ms per
service, a quarter of an ingestion run. :func:`service_score` applies the same ten criteria to a
plain dict, delegating to the package the one criterion that depends on calendar arithmetic
(``date_maj_recente``, cached per date). ``tests/test_quality.py`` checks both give the same
score on every bundled service; :func:`reference_score` is the package's own computation.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from data_inclusion.schema.v1 import Service as SchemaService
from data_inclusion.schema.v1 import score_qualite

from indexer.normalise import today

_NOT_DATED = {"agefiph", "france-travail"}


def reference_score(fields: dict[str, Any]) -> tuple[float, dict[str, float | None]]:
    """The package's computation, on an unvalidated model of the record."""
    values = dict(fields)
    values["description"] = values.get("description") or " "
    if isinstance(values.get("date_maj"), dt.datetime):
        values["date_maj"] = values["date_maj"].date()
    model = SchemaService.model_construct(**{k: values.get(k) for k in SchemaService.model_fields})
    score, details = score_qualite.score(model)
    return score, {k: (round(v, 2) if v is not None else None) for k, v in details.items()}


@lru_cache(maxsize=4096)
def _date_maj_recente(source_is_dated: bool, date_maj: dt.date | None, today: dt.date) -> float | None:
    if not source_is_dated:
        return None
    model = SchemaService.model_construct(source="x", date_maj=date_maj)
    value = score_qualite.date_maj_recente(model)
    return round(value, 2) if value is not None else None


def _description(text: str | None) -> float:
    n = len(text or " ")
    if n < 50:
        return 0.0
    if n < 200:
        return 0.5
    if n < 2000:
        return 1.0
    return 0.5


def service_score(fields: dict[str, Any]) -> tuple[float, dict[str, float | None]]:
    """Mean of the applicable criteria, rounded to 2 decimals, with each criterion's value."""
    modes_accueil = fields.get("modes_accueil") or []
    modes = fields.get("modes_mobilisation")
    par = fields.get("mobilisable_par")
    frais = fields.get("frais")
    date_maj = fields.get("date_maj")
    if isinstance(date_maj, dt.datetime):
        date_maj = date_maj.date()
    details: dict[str, float | None] = {
        "adresse_bien_definie": (1.0 if fields.get("adresse") else 0.0)
        if ("en-presentiel" in modes_accueil or "se-presenter" in (modes or [])) else None,
        "modes_mobilisation_bien_definis": (1.0 if modes is not None and par is not None
                                            else 0.5 if (modes is not None or par is not None) else 0.0),
        "au_moins_un_public": 1.0 if fields.get("publics") else 0.0,
        "au_moins_une_thematique": 1.0 if fields.get("thematiques") else 0.0,
        "au_moins_un_moyen_de_contact": 1.0 if (fields.get("courriel") or fields.get("lien_mobilisation")
                                                or fields.get("telephone")) else 0.0,
        "courriel_bien_defini": (1.0 if fields.get("courriel") else 0.0)
        if "envoyer-un-courriel" in (modes or []) else None,
        "date_maj_recente": _date_maj_recente(fields.get("source") not in _NOT_DATED, date_maj, today()),
        "frais_bien_definis": 0.0 if frais is None else 1.0 if frais == "gratuit"
        else (1.0 if fields.get("frais_precisions") else 0.5),
        "description_bien_definie": _description(fields.get("description")),
        "telephone_bien_defini": (1.0 if fields.get("telephone") else 0.0)
        if "telephoner" in (modes or []) else None,
    }
    # every criterion is 0, 0.5 or 1 except the date's, rounded once where it is computed
    kept = [v for v in details.values() if v is not None]
    return round(sum(kept) / len(kept), 2), details
