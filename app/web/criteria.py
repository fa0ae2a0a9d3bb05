"""What a results page is asked, read from the query string (GET only, so every page is a link).

Accepted parameters (all optional, lists repeated or comma-separated):

* place: ``code_commune`` (code INSEE), ``lieu`` (what a person typed: name, postal code), or
  ``lat``/``lon`` ("autour de moi"; the nearest commune gives the eligibility zone);
* needs: ``levier`` (SPIE levers) and ``thematiques`` (v1 categories or sub-themes), unioned;
* words: ``q``;
* facets: ``sous_thematiques`` (narrows within the needs), ``publics``, ``frais``, ``modes_accueil``,
  ``types``, ``sources``; ``rayon_km``; ``ouvert`` (open now); ``a_distance`` (reachable remotely);
* ``page``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from app import services
from app.core import vocabularies as voc
from app.core.geo import Commune, geography, name_key
from app.search import SearchQuery

FACET_PARAMS = ("sous_thematiques", "publics", "frais", "modes_accueil", "types", "sources")
_ALLOWED = {
    "publics": voc.PUBLICS, "frais": voc.FRAIS, "modes_accueil": voc.MODES_ACCUEIL, "types": voc.TYPES,
}
RAYON_MIN, RAYON_MAX = 1, 200


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str | None, limit: int) -> str:
    """A query-string value without control characters (NUL is refused by PostgreSQL)."""
    return _CONTROL.sub("", value or "").strip()[:limit]


def _list(args: MultiDict, name: str, limit: int = 50) -> tuple[str, ...]:
    values = [part.strip() for raw in args.getlist(name) for part in _text(raw, 5000).split(",") if part.strip()]
    return tuple(dict.fromkeys(v[:200] for v in values))[:limit]


def _float(args: MultiDict, name: str, low: float, high: float) -> float | None:
    try:
        value = float(args.get(name, ""))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _names(commune: Commune, text: str) -> bool:
    """Whether what was typed designates this commune (its name, a postal code, its code)."""
    key = name_key(text)
    return key in {name_key(commune.nom), name_key(commune.nom_court or ""), commune.code_insee.lower(),
                   *commune.codes_postaux} or name_key(re.sub(r"\(.*?\)|\d{5}", " ", text)) == name_key(commune.nom)


def _flag(args: MultiDict, name: str) -> bool:
    return (args.get(name) or "").lower() in {"1", "on", "oui", "true"}


@dataclass
class Criteria:
    lieu: str = ""
    commune: Commune | None = None
    lat: float | None = None
    lon: float | None = None
    leviers: tuple[voc.Levier, ...] = ()
    thematiques: tuple[str, ...] = ()
    q: str = ""
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rayon_km: float | None = None
    ouvert: bool = False
    a_distance: bool = False
    page: int = 1
    errors: list[str] = field(default_factory=list)

    # -- reading ---------------------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: MultiDict) -> "Criteria":
        crit = cls()
        geo = geography()
        crit.lieu = _text(args.get("lieu"), 120)
        code = _text(args.get("code_commune"), 10)
        crit.lat = _float(args, "lat", -90, 90)
        crit.lon = _float(args, "lon", -180, 180)
        if crit.lat is None or crit.lon is None:
            crit.lat = crit.lon = None
        if code:
            crit.commune = geo.commune(code)
            if crit.commune is None:
                crit.errors.append(f"Commune inconnue : « {code} » (code INSEE attendu, ex. 12202).")
            elif crit.lieu and not _names(crit.commune, crit.lieu):
                # The place was typed again since the code was chosen (a form without JavaScript):
                # what the person wrote wins.
                crit.commune = geo.resolve(crit.lieu)
                if crit.commune is None:
                    crit.errors.append(f"Commune introuvable : « {crit.lieu} ». "
                                       "Essayez un nom de commune ou un code postal.")
        elif crit.lat is not None:
            from app.web.queries import nearest_commune

            crit.commune = nearest_commune(crit.lat, crit.lon)
        elif crit.lieu:
            crit.commune = geo.resolve(crit.lieu)
            if crit.commune is None:
                crit.errors.append(f"Commune introuvable : « {crit.lieu} ». "
                                   "Essayez un nom de commune ou un code postal.")
        if crit.commune and not crit.lieu:
            crit.lieu = crit.commune.nom
        crit.leviers = tuple(lv for v in _list(args, "levier") if (lv := voc.levier(v)))
        crit.thematiques = tuple(t for t in _list(args, "thematiques") if t in voc.THEMATIQUES | voc.CATEGORIES)
        crit.q = _text(args.get("q"), 300)
        crit.facets = {
            "sous_thematiques": tuple(t for t in _list(args, "sous_thematiques") if t in voc.THEMATIQUES),
            "sources": _list(args, "sources", 20),
            **{name: tuple(v for v in _list(args, name) if v in allowed) for name, allowed in _ALLOWED.items()},
        }
        rayon = _float(args, "rayon_km", RAYON_MIN, RAYON_MAX)
        crit.rayon_km = rayon if rayon is not None and rayon != services.settings().default_radius_km else None
        crit.ouvert = _flag(args, "ouvert")
        crit.a_distance = _flag(args, "a_distance")
        try:
            crit.page = max(1, min(int(args.get("page", 1)), 10_000))
        except ValueError:
            crit.page = 1
        return crit

    # -- meaning ---------------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not (self.commune or self.q or self.need_thematiques)

    @property
    def need_thematiques(self) -> tuple[str, ...]:
        """The needs asked for: levers' sub-themes and explicit thematiques (categories kept as such)."""
        out = list(self.thematiques)
        for lv in self.leviers:
            out.extend(lv.thematiques)
        return tuple(dict.fromkeys(out))

    @property
    def need_subthemes(self) -> frozenset[str]:
        return voc.expand_thematiques(self.need_thematiques)

    @property
    def preferred_leviers(self) -> tuple[voc.Levier, ...]:
        """Levers asked for, then those the explicit thematiques fall in (to group a service by need)."""
        wanted = voc.expand_thematiques(self.thematiques)
        extra = tuple(lv for lv in voc.leviers() if lv not in self.leviers and wanted & set(lv.thematiques))
        return self.leviers + extra

    @property
    def need_labels(self) -> list[str]:
        """Words for the needs asked for: lever labels, then category or sub-theme labels."""
        labels = [lv.label for lv in self.leviers]
        for t in self.thematiques:
            labels.append(voc.label("categories" if t in voc.CATEGORIES else "thematiques", t))
        return list(dict.fromkeys(labels))

    @property
    def rayon(self) -> float:
        return self.rayon_km or services.settings().default_radius_km

    def search_thematiques(self) -> tuple[str, ...]:
        """Needs, narrowed by the sub-theme facet when it falls within them."""
        chosen = self.facets.get("sous_thematiques") or ()
        if chosen:
            needs = self.need_subthemes
            narrowed = tuple(t for t in chosen if not needs or t in needs)
            if narrowed:
                return narrowed
        return self.need_thematiques

    def query(self, *, page: int, size: int) -> SearchQuery:
        place = None
        if self.commune is not None:
            place = services.place_for(self.commune.code_insee, self.lat, self.lon)
        modes = tuple(self.facets.get("modes_accueil") or ())
        if self.a_distance and "a-distance" not in modes:
            modes += ("a-distance",)
        return SearchQuery(
            q=self.q or None, thematiques=self.search_thematiques(),
            publics=self.facets.get("publics") or (), frais=self.facets.get("frais") or (),
            modes_accueil=modes, types=self.facets.get("types") or (), sources=self.facets.get("sources") or (),
            place=place, rayon_km=self.rayon, page=page, size=size)

    # -- writing links ---------------------------------------------------------------------------
    def base_params(self) -> dict:
        """The parameters that define the question (place, needs, words), without the filters."""
        params: dict = {}
        if self.commune is not None:
            params["code_commune"] = self.commune.code_insee
            if self.lieu and self.lieu != self.commune.nom:
                params["lieu"] = self.lieu
        elif self.lieu:
            params["lieu"] = self.lieu
        if self.lat is not None:
            params["lat"], params["lon"] = round(self.lat, 5), round(self.lon, 5)
        if self.leviers:
            params["levier"] = [lv.value for lv in self.leviers]
        if self.thematiques:
            params["thematiques"] = list(self.thematiques)
        if self.q:
            params["q"] = self.q
        return params

    def params(self, **overrides) -> dict:
        """Every parameter of this page, with some replaced (``page=2``) or removed (``None``)."""
        params = self.base_params()
        for name in FACET_PARAMS:
            if self.facets.get(name):
                params[name] = list(self.facets[name])
        if self.rayon_km:
            params["rayon_km"] = int(self.rayon_km) if float(self.rayon_km).is_integer() else self.rayon_km
        if self.ouvert:
            params["ouvert"] = 1
        if self.a_distance:
            params["a_distance"] = 1
        if self.page > 1:
            params["page"] = self.page
        for key, value in overrides.items():
            if value is None or value == [] or value == ():
                params.pop(key, None)
            else:
                params[key] = value
        return params

    def without(self, facet: str, value: str) -> dict:
        """Link parameters with one facet value removed (and back to page 1)."""
        rest = [v for v in self.facets.get(facet, ()) if v != value]
        return self.params(**{facet: rest or None, "page": None})

    @property
    def active_filters(self) -> list[tuple[str, str, str]]:
        """(facet, value, label) of every filter in force, for the "retirer" tags."""
        out = []
        for name in FACET_PARAMS:
            for value in self.facets.get(name, ()):
                out.append((name, value, facet_label(name, value)))
        return out


_VOCABULARY_OF = {"sous_thematiques": "thematiques", "thematiques": "thematiques", "publics": "publics",
                  "frais": "frais", "modes_accueil": "modes-accueil", "types": "types-services"}


def facet_label(facet: str, value: str) -> str:
    if facet == "sources":
        return source_label(value)
    if facet == "categories":
        return voc.label("categories", value)
    vocabulary = _VOCABULARY_OF.get(facet)
    return voc.label(vocabulary, value) if vocabulary else value


def source_label(slug: str) -> str:
    try:
        from indexer.connectors import registry

        cls = registry().get(slug)
        return getattr(cls, "label", None) or slug
    except Exception:  # the registry is optional for pages
        return slug
