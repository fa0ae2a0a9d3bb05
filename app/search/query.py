"""The domain query and result, shared by every backend."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """Where the person is: a commune (its centre, or ``lat``/``lon`` when given)."""

    lat: float
    lon: float
    #: codes a service's ``zone_eligibilite`` may hold to be eligible here; empty = no
    #: eligibility filter (a bare lat/lon outside any known commune)
    zone_codes: tuple[str, ...] = ()
    code_insee: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """What an adviser or a person asks for, in the words of the data·inclusion API.

    Array filters match if any value matches; ``thematiques`` accepts sub-themes and categories;
    ``publics`` also matches ``tous-publics``.
    """

    q: str | None = None
    thematiques: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    frais: tuple[str, ...] = ()
    modes_accueil: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    score_qualite_minimum: float | None = None
    place: Place | None = None
    rayon_km: float = 50.0
    exclure_doublons: bool = False
    page: int = 1
    size: int = 20
    facets: bool = True
    #: restrict to services whose own commune is in one of these départements (lists, catalogue)
    departements: tuple[str, ...] = ()
    #: restrict to services whose own commune is one of these codes INSEE (``GET /services``)
    communes: tuple[str, ...] = ()
    #: ROME v3 codes (fiches, domaines, grands domaines): services declaring any of them
    #: (``extra["codes_rome"]``); ``app.core.metiers.Referentiel.expand`` gives the codes of a métier
    codes_rome: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    id: str
    score: float | None
    distance_km: float | None
    #: short French explanation of why this item ranks here
    explanation: str | None = None


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: the needs inferred from ``q`` (lay words → sub-themes), for display
    inferred_thematiques: tuple[str, ...] = ()


#: facet name -> document field
FACET_FIELDS = {
    "thematiques": "thematiques",
    "categories": "categories",
    "publics": "publics",
    "frais": "frais",
    "modes_accueil": "modes_accueil",
    "types": "type",
    "sources": "source",
}
