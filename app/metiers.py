"""Application services of the métier journey (docs/metiers.md): from a ROME code to the training,
immersion and employer offer near a commune. Views (``app/web/metiers.py``, ``app/api/metiers.py``)
call these; they speak domain words and know no HTTP.

Three sections, each one search (the same backends, filters and ranking as every search):

* ``formations``: services that declare a code of the métier (``codes_rome``, see
  :meth:`app.core.metiers.Referentiel.expand`) and are of type ``formation`` (LHEO actions);
* ``immersions``: services that declare a code of the métier and are not trainings (SIAE and GEIQ:
  jobs in insertion, alternance), i.e. the employers where one can work or do an immersion;
* ``decouvrir``: services near the place that help *discover a métier or confirm a choice*
  (sub-themes ``choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite`` and
  ``…--confirmer-son-choix-de-metier``: PMSMP and immersion schemes, SIAE, Missions locales…), for
  every métier — the sources do not say which métiers they open. Ranked by relevance to the word
  « immersion » (its synonyms: PMSMP, stage de découverte…), so immersion schemes come first.

Sections other than ``decouvrir`` are ordered by distance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.metiers import Metier, Referentiel, referentiel
from app.core.models import Service
from app.search import Place, SearchQuery, SearchResult

DECOUVRIR = ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
             "choisir-un-metier--confirmer-son-choix-de-metier")
DECOUVRIR_WORDS = "immersion"
#: every service type but ``formation`` (the employers' section)
NON_FORMATION_TYPES = tuple(sorted(voc.TYPES - {"formation"}))
SECTIONS = ("formations", "immersions", "decouvrir")
SECTION_TITLES = {
    "formations": "Formations",
    "immersions": "Immersions et employeurs",
    "decouvrir": "Découvrir le métier",
}
SECTION_INTROS = {
    "formations": "Sessions de formation qui mènent à ce métier (code ROME de l'action de formation).",
    "immersions": "Structures qui emploient sur ce métier ou son domaine : structures d'insertion par l'activité "
                  "économique (métiers déclarés ou activité), groupements d'employeurs (GEIQ) du secteur. "
                  "Elles accueillent aussi des immersions (PMSMP).",
    "decouvrir": "Lieux pour découvrir un métier ou confirmer son choix (immersion, PMSMP, stage de découverte), "
                 "tous métiers confondus : les sources ne précisent pas les métiers ouverts.",
}


class UnknownMetier(LookupError):
    """A code that is not in the ROME referential (message in French)."""


def rome() -> Referentiel:
    return referentiel()


def metier_or_error(code: str | None) -> Metier:
    """The métier of a code, or :class:`UnknownMetier` saying whether it is malformed or unknown."""
    from app.core.metiers import normalise_code

    norm = normalise_code(code)
    if norm is None:
        raise UnknownMetier(f"« {code} » n'est pas un code ROME : une lettre de A à N suivie de 2 ou 4 chiffres "
                            "(ex. K2204 pour une fiche métier, K22 pour un domaine).")
    found = rome().get(norm)
    if found is None:
        raise UnknownMetier(f"Code ROME inconnu : {norm} (absent du référentiel ROME v3).")
    return found


@dataclass
class Section:
    key: str
    result: SearchResult
    services: dict[str, Service] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return SECTION_TITLES[self.key]

    @property
    def intro(self) -> str:
        return SECTION_INTROS[self.key]

    @property
    def total(self) -> int:
        return self.result.total

    def rows(self):
        """(hit, service) of the page, hits whose row is gone skipped."""
        return [(h, self.services[h.id]) for h in self.result.hits if h.id in self.services]


@dataclass
class MetierOffer:
    metier: Metier
    codes: tuple[str, ...]
    place: Place | None
    rayon_km: float
    sections: dict[str, Section]


def section_query(key: str, codes: tuple[str, ...], place: Place | None, rayon_km: float,
                  page: int = 1, size: int = 20) -> SearchQuery:
    common = {"place": place, "rayon_km": rayon_km, "page": page, "size": size, "facets": False}
    if key == "formations":
        return SearchQuery(codes_rome=codes, types=("formation",), **common)
    if key == "immersions":
        return SearchQuery(codes_rome=codes, types=NON_FORMATION_TYPES, **common)
    if key == "decouvrir":
        # the same services as the sub-themes alone, ranked so that immersion schemes (PMSMP, « immersion
        # facilitée », stage de découverte: synonymes.txt) come first, then by proximity
        return SearchQuery(q=DECOUVRIR_WORDS, thematiques=DECOUVRIR, **common)
    raise ValueError(f"unknown section {key!r}")


def _backend():
    return current_app.extensions["reperes.search"]


def load_services(ids: list[str]) -> dict[str, Service]:
    if not ids:
        return {}
    with session_scope(current_app.config["REPERES"].database_url) as session:
        rows = session.scalars(select(Service).where(Service.id.in_(ids))).unique().all()
        for s in rows:
            _ = s.structure
        session.expunge_all()
    return {s.id: s for s in rows}


def offer(metier: Metier, place: Place | None, rayon_km: float, *, size: int = 20,
          pages: dict[str, int] | None = None, sections: tuple[str, ...] = SECTIONS) -> MetierOffer:
    """The three sections for a métier around a place (not logged as demand: one page is three searches)."""
    codes = rome().expand(metier.code)
    out: dict[str, Section] = {}
    results = {}
    for key in sections:
        page = (pages or {}).get(key, 1)
        results[key] = _backend().search(section_query(key, codes, place, rayon_km, page, size))
    loaded = load_services([h.id for r in results.values() for h in r.hits])
    for key, result in results.items():
        out[key] = Section(key, result, {h.id: loaded[h.id] for h in result.hits if h.id in loaded})
    return MetierOffer(metier, codes, place, rayon_km, out)


def service_codes(service: Service) -> list[str]:
    return list((service.extra or {}).get("codes_rome") or [])


def matching_codes(service: Service, metier: Metier) -> list[Metier]:
    """The codes of a service that link it to this métier (for « pourquoi ce résultat »)."""
    wanted = set(rome().expand(metier.code))
    return [m for m in (rome().get(c) for c in service_codes(service)) if m is not None and m.code in wanted]
