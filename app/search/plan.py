"""Query building for the embedded backend: a pure function from the domain query to a plan.

The plan says which documents may match (filter groups of index terms, eligibility zones,
the circle around the place, the FTS5 expression) and how to order them; it touches no index,
so it is unit-tested on its output alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core import vocabularies as voc
from app.search.lexicon import ExpandedQuery, expand
from app.search.query import SearchQuery


@dataclass(frozen=True)
class Plan:
    #: each group is a set of index terms; a document must carry at least one term of each group
    groups: tuple[frozenset[str], ...]
    #: eligibility: documents with no zone, or carrying one of these ``zone:`` terms
    zone_terms: frozenset[str] | None
    center: tuple[float, float] | None
    radius_km: float
    fts: str | None
    need_terms: frozenset[str]
    expanded: ExpandedQuery
    score_min: float | None
    exclude_duplicates: bool
    order: str  # "distance" | "relevance"
    offset: int
    limit: int
    facets: bool


def term(field: str, value: str) -> str:
    return f"{field}:{value}"


def fts_expression(terms: tuple[tuple[str, ...], ...]) -> str | None:
    """An FTS5 OR-expression of stems and phrases: "gard" OR "enfant" OR "assist matern"."""
    parts = ['"' + " ".join(t) + '"' for t in terms if t]
    return " OR ".join(parts) if parts else None


def build_plan(query: SearchQuery) -> Plan:
    groups: list[frozenset[str]] = []
    if query.thematiques:
        groups.append(frozenset(term("cat" if v in voc.CATEGORIES else "th", v) for v in query.thematiques))
    if query.publics:
        groups.append(frozenset(term("pub", v) for v in (*query.publics, voc.TOUS_PUBLICS)))
    for field, values in (("frais", query.frais), ("mode", query.modes_accueil), ("type", query.types),
                          ("src", query.sources), ("dep", query.departements),
                          ("com", query.communes), ("rome", query.codes_rome)):
        if values:
            groups.append(frozenset(term(field, v) for v in values))
    place = query.place
    zone_terms = frozenset(term("zone", c) for c in place.zone_codes) if place and place.zone_codes else None
    expanded = expand(query.q)
    has_words = bool(expanded.terms or expanded.needs)
    return Plan(
        groups=tuple(groups),
        zone_terms=zone_terms,
        center=(place.lat, place.lon) if place else None,
        radius_km=query.rayon_km,
        fts=fts_expression(expanded.terms),
        need_terms=frozenset(term("th", t) for t in expanded.needs),
        expanded=expanded,
        score_min=query.score_qualite_minimum,
        exclude_duplicates=query.exclure_doublons,
        order="relevance" if has_words else "distance",
        offset=(query.page - 1) * query.size,
        limit=query.size,
        facets=query.facets,
    )


def document_terms(doc: dict) -> list[str]:
    """Index terms of a document, the vocabulary of :class:`Plan` groups."""
    out = [term("th", t) for t in doc["thematiques"]]
    out += [term("cat", c) for c in doc["categories"]]
    out += [term("pub", p) for p in doc["publics"]]
    out += [term("frais", f) for f in doc["frais"]]
    out += [term("mode", m) for m in doc["modes_accueil"]]
    if doc["type"]:
        out.append(term("type", doc["type"]))
    out.append(term("src", doc["source"]))
    if doc.get("code_insee"):
        out.append(term("com", doc["code_insee"]))
    if doc.get("code_departement"):
        out.append(term("dep", doc["code_departement"]))
    out += [term("zone", z) for z in doc["zone_eligibilite"] or []]
    out += [term("rome", c) for c in doc.get("codes_rome") or []]
    return out
