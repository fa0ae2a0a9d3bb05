"""The needs diagnostic pages: ``/diagnostic`` (the questionnaire) and ``/diagnostic/plan`` (the
prioritised needs, each with the offers around the person's commune).

Nothing about the person is stored on the server: the answers travel in the query string of a GET
form (so the pages work without JavaScript) and are printed on the plan; they are never logged.
The searches made for the plan go through :func:`app.services.search` like any search, which
records what every search records (commune, sub-themes, result count, radius — see
``app/coordination/demand.py``) and never publics, words or answers. The responses carry
``Referrer-Policy: no-referrer`` (the answers must not leak to the sites linked from the plan, nor
into access logs through the Referer header) and ``Cache-Control: no-store``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from flask import render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app import services
from app.core import diagnostic as diag
from app.core import vocabularies as voc
from app.core.geo import Commune
from app.search import SearchQuery
from app.web import bp
from app.web.criteria import Criteria
from app.web.present import ServiceView, view

#: offers shown per need on the plan (the "voir toutes" link opens the full results)
PER_NEED = 5
#: nearest offers examined per need, so that those meant for other publics can go last
CANDIDATES = 30
RAYONS = (10, 20, 30, 50, 100)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(value: str | None, limit: int) -> str:
    return _CONTROL.sub("", value or "").strip()[:limit]


@dataclass
class Form:
    """What the questionnaire was given (to fill it again, and to read the plan from)."""

    lieu: str = ""
    code_commune: str = ""
    commune: Commune | None = None
    raw: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    metier: str = ""
    rayon: int = 50
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: MultiDict) -> "Form":
        form = cls(lieu=_text(args.get("lieu"), 120), code_commune=_text(args.get("code_commune"), 10),
                   metier=_text(args.get("metier"), 100))
        default = int(services.settings().default_radius_km)
        try:
            rayon = int(args.get("rayon_km") or default)
        except ValueError:
            rayon = default
        form.rayon = rayon if 1 <= rayon <= 200 else default
        form.raw = {q: [v for raw in args.getlist(q) for v in _text(raw, 2000).split(",") if v.strip()][:50]
                    for q in diag.QUESTIONS}
        try:
            form.answers = diag.normalise_answers(form.raw)
        except diag.InvalidAnswer as error:
            form.errors.append(error.message)
        return form

    def resolve_place(self) -> None:
        """The commune, as the search form resolves it (code from the autocomplete, else the words)."""
        if not (self.lieu or self.code_commune):
            self.errors.insert(0, "Indiquez la commune de la personne : les solutions sont cherchées autour d'elle.")
            return
        crit = Criteria.from_args(MultiDict({"lieu": self.lieu, "code_commune": self.code_commune}))
        self.errors[:0] = crit.errors
        self.commune = crit.commune
        if self.commune is not None:
            self.code_commune = self.commune.code_insee
            self.lieu = self.lieu or self.commune.nom

    def checked(self, question: str, value: str) -> bool:
        return value in self.raw.get(question, ())

    def params(self) -> dict:
        """The query string of this questionnaire (to modify the answers or come back to the plan)."""
        params: dict = {}
        if self.lieu:
            params["lieu"] = self.lieu
        if self.code_commune:
            params["code_commune"] = self.code_commune
        for q in diag.QUESTIONS:
            if self.answers.get(q):
                params[q] = list(self.answers[q])
        if self.metier:
            params["metier"] = self.metier
        if self.rayon != int(services.settings().default_radius_km):
            params["rayon_km"] = self.rayon
        return params


@dataclass
class Section:
    need: diag.Need
    views: list[ServiceView]
    total: int
    thematiques: tuple[str, ...]
    widened: bool
    more_url: str


def fits(service_publics, publics: tuple[str, ...]) -> bool:
    """Whether an offer is open to the person: no public given, all publics, or one of theirs."""
    offered = set(service_publics or ())
    return not offered or voc.TOUS_PUBLICS in offered or bool(offered & set(publics))


def section(need: diag.Need, commune: Commune, rayon: int, now: dt.datetime) -> Section:
    """The offers of one need around the commune: the need's sub-themes, else its whole lever."""
    place = services.place_for(commune.code_insee, None, None)
    query = SearchQuery(thematiques=need.thematiques, place=place, rayon_km=float(rayon), size=CANDIDATES,
                        facets=False)
    result, rows = services.search(query)
    widened = False
    if result.total == 0 and set(need.thematiques) != set(need.levier.thematiques):
        query = dataclasses.replace(query, thematiques=need.levier.thematiques)
        result, rows = services.search(query)
        widened = True
    views = [view(rows[h.id], h, (need.levier,), now) for h in result.hits if h.id in rows]
    views.sort(key=lambda v: not fits(v.service.publics, need.publics))  # stable: distance order kept
    views = views[:PER_NEED]
    for rank, v in enumerate(views, start=1):
        v.rank = rank
    more = url_for("web.recherche", code_commune=commune.code_insee, thematiques=list(query.thematiques),
                   **({"rayon_km": rayon} if rayon != int(services.settings().default_radius_km) else {}))
    return Section(need, views, result.total, tuple(query.thematiques), widened, more)


@bp.after_app_request
def _private(response):
    """Every answer of the diagnostic pages (errors and 503 included) keeps its address to itself."""
    if request.path == "/diagnostic" or request.path.startswith("/diagnostic/"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _form_page(form: Form, status: int = 200):
    return render_template("diagnostic.html", form=form, rules=diag.load_rules(),
                           rayons=sorted({*RAYONS, form.rayon})), status


@bp.get("/diagnostic")
def diagnostic_form():
    form = Form.from_args(request.args)
    if form.code_commune or form.lieu:
        form.resolve_place()
    return _form_page(form, 400 if form.errors else 200)


@bp.get("/diagnostic/plan")
def diagnostic_plan():
    form = Form.from_args(request.args)
    form.resolve_place()
    result = None
    if not form.errors:
        result = diag.diagnose(form.answers)
        if not result.needs:
            form.errors.append("Cochez au moins un frein ou un projet : ce sont eux qui font les besoins du plan.")
    if form.errors:
        return _form_page(form, 400)
    now = dt.datetime.now(dt.timezone.utc)
    sections = [section(need, form.commune, form.rayon, now) for need in result.needs]
    return render_template("diagnostic_plan.html", form=form, diagnosis=result, sections=sections,
                           answers=diag.answer_labels(result.answers),
                           publics=[voc.label("publics", p) for p in result.publics], today=dt.date.today())
