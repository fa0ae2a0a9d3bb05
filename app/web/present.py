"""What pages show of a service, computed once per service: labels, need, hours, freshness, zone."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from app.core import vocabularies as voc
from app.core.facts import FactGroup, facts_for
from app.core.geo import geography
from app.core.models import Service
from app.search import SearchHit
from app.web import text
from app.web.hours import Hours, read_hours

OTHER_NEED = ("autres", "Autres besoins")


def levier_of(service: Service, preferred: tuple[voc.Levier, ...] = ()) -> voc.Levier | None:
    """The need a service answers: a lever asked for if it matches, else the lever of the service's
    first sub-theme that belongs to one (producers list the main theme first)."""
    themes = list(service.thematiques or [])
    for lv in preferred:
        if set(themes) & set(lv.thematiques):
            return lv
    for theme in themes:
        lv = _LEVER_OF_THEME().get(theme)
        if lv is not None:
            return lv
    return None


def _lever_of_theme() -> dict[str, voc.Levier]:
    out: dict[str, voc.Levier] = {}
    for lv in voc.leviers():
        for theme in lv.thematiques:
            out.setdefault(theme, lv)
    return out


_LEVER_OF_THEME = lru_cache(maxsize=1)(_lever_of_theme)


def distance_words(km: float | None) -> str | None:
    if km is None:
        return None
    if km < 1:
        return f"à {int(round(km * 1000, -1)) or 10} m"
    return f"à {km:.1f} km".replace(".", ",") if km < 10 else f"à {round(km)} km"


def zone_words(zone: list[str] | None) -> str:
    """``zone_eligibilite`` in words: "département de l'Aveyron (12)", "toute la France"…"""
    from app.web.queries import departement_de

    if not zone:
        return "Pas de restriction de territoire indiquée"
    geo = geography()
    words = []
    for code in zone:
        if code in {"france", "99100"}:
            words.append("toute la France")
        elif code in geo.departements:
            words.append(f"département {departement_de(code)} ({code})")
        elif len(code) == 9 and code in geo.epci:
            words.append(geo.epci[code].get("nom") or code)
        elif (commune := geo.commune(code)) is not None:
            words.append(f"commune de {commune.nom} ({commune.code_departement})")
        else:
            words.append(code)
    return ", ".join(dict.fromkeys(words)).capitalize()


@dataclass
class ServiceView:
    service: Service
    hit: SearchHit | None
    levier: voc.Levier | None
    hours: Hours
    rank: int = 0

    @property
    def id(self) -> str:
        return self.service.id

    @property
    def need(self) -> tuple[str, str]:
        return (self.levier.value, self.levier.label) if self.levier else OTHER_NEED

    @property
    def distance(self) -> str | None:
        return distance_words(self.hit.distance_km) if self.hit else None

    @property
    def themes(self) -> list[str]:
        return [voc.label("thematiques", t) for t in (self.service.thematiques or [])]

    @property
    def publics(self) -> list[str]:
        return [voc.label("publics", p) for p in (self.service.publics or [])]

    @property
    def modes_accueil(self) -> list[str]:
        return [voc.label("modes-accueil", m) for m in (self.service.modes_accueil or [])]

    @property
    def frais(self) -> str | None:
        return voc.label("frais", self.service.frais) if self.service.frais else None

    @property
    def type_label(self) -> str | None:
        return voc.label("types-services", self.service.type) if self.service.type else None

    @property
    def modes_mobilisation(self) -> list[str]:
        return [voc.label("modes-mobilisation", m) for m in (self.service.modes_mobilisation or [])]

    @property
    def mobilisable_par(self) -> list[str]:
        return [voc.label("personnes-mobilisatrices", m) for m in (self.service.mobilisable_par or [])]

    @property
    def remote_only(self) -> bool:
        return (self.service.modes_accueil or []) == ["a-distance"]

    @property
    def freshness(self) -> tuple[str, str]:
        return text.freshness(self.service.date_maj)

    @property
    def source(self) -> str:
        from app.web.criteria import source_label

        return source_label(self.service.source)

    @property
    def point(self) -> tuple[float, float] | None:
        s = self.service
        if s.latitude is not None and s.longitude is not None:
            return s.latitude, s.longitude
        commune = geography().commune(s.code_insee) if s.code_insee else None
        return (commune.lat, commune.lon) if commune else None

    @property
    def address_lines(self) -> list[str]:
        s = self.service
        lines = [x for x in (s.adresse, s.complement_adresse) if x]
        town = " ".join(x for x in (s.code_postal, s.commune) if x)
        if town:
            lines.append(town)
        return lines

    @property
    def summary(self) -> str:
        return text.plain(self.service.description, 220)

    @property
    def zone(self) -> str:
        return zone_words(self.service.zone_eligibilite)

    @property
    def lien_source(self) -> str | None:
        return text.safe_url(self.service.lien_source)

    @property
    def facts(self) -> list[FactGroup]:
        """Kind-specific facts (sessions, funders, IAE measure, amount, 115…) from ``extra``."""
        return facts_for(self.service)

    @property
    def lien_mobilisation(self) -> str | None:
        return text.safe_url(self.service.lien_mobilisation)

    @property
    def directions_url(self) -> str | None:
        point = self.point
        if point is None:
            return None
        return f"https://www.openstreetmap.org/directions?to={point[0]:.5f}%2C{point[1]:.5f}"


def view(service: Service, hit: SearchHit | None = None, preferred: tuple[voc.Levier, ...] = (),
         now: dt.datetime | None = None, rank: int = 0) -> ServiceView:
    return ServiceView(service, hit, levier_of(service, preferred),
                       read_hours(service.horaires_accueil, service.code_insee, now), rank)


def grouped_by_need(views: list[ServiceView]) -> list[tuple[tuple[str, str], list[ServiceView]]]:
    """Views grouped by need, groups in lever order, "autres" last."""
    order = {lv.value: i for i, lv in enumerate(voc.leviers())}
    groups: dict[tuple[str, str], list[ServiceView]] = {}
    for v in views:
        groups.setdefault(v.need, []).append(v)
    return sorted(groups.items(), key=lambda kv: order.get(kv[0][0], len(order)))
