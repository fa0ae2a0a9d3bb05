"""Registry of connectors: one module per source, each exposing a ``Connector`` subclass.

To add a source, write ``indexer/connectors/<name>.py`` and list it in ``MODULES``
(see docs/connectors.md).
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from indexer.connectors.base import Connector

#: modules in ingestion order (bigger, better-described sources first: dedupe keeps the best).
MODULES = (
    "data_inclusion",
    "france_services",
    "lheo",
    "aides_jeunes",  # aides-jeunes and mobiville
    "soliguide",
    "csv_mapping",  # "csv": the Aveyron example spreadsheet
    "hsds",  # no default file (import with --file)
    "mediation_numerique",  # aidants-connect (2024), conseillers-numeriques (2023)
    "france_travail",  # france-travail-agences (2019)
    "siae",  # siae, geiq (2019)
    "annuaire_service_public",  # service-public (2019)
)


@lru_cache(maxsize=1)
def registry() -> dict[str, type[Connector]]:
    found: dict[str, type[Connector]] = {}
    for module_name in MODULES:
        module = importlib.import_module(f"indexer.connectors.{module_name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Connector) and obj is not Connector \
                    and getattr(obj, "name", None) and obj.__module__ == module.__name__:
                found[obj.name] = obj
    return found


def get(name: str) -> Connector:
    try:
        return registry()[name]()
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(registry()))}") from None
