"""Server-rendered French pages (minimal for now: home and results)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app import services
from app.core import vocabularies as voc
from app.core.geo import geography
from app.search import SearchQuery

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")

PAGE_SIZE = 20


@bp.app_context_processor
def _vocabularies():
    return {"voc": voc, "leviers": voc.leviers()}


@bp.get("/")
def home():
    return render_template("accueil.html")


@bp.get("/recherche")
def recherche():
    lieu = (request.args.get("lieu") or request.args.get("code_commune") or "").strip()
    levier_value = request.args.get("levier") or ""
    q = (request.args.get("q") or "").strip()[:300] or None
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    errors = []
    commune = geography().resolve(lean_place(lieu)) if lieu else None
    if lieu and commune is None:
        errors.append(f"Commune introuvable : « {lieu} ». Essayez un nom de commune ou un code postal.")
    levier = voc.levier(levier_value) if levier_value else None
    thematiques = tuple(t for t in request.args.getlist("thematiques") if t in voc.THEMATIQUES | voc.CATEGORIES)
    if levier:
        thematiques += levier.thematiques
    result = rows = None
    if not errors and (commune or q or thematiques):
        place = services.place_for(commune.code_insee, None, None) if commune else None
        query = SearchQuery(q=q, thematiques=thematiques, place=place, page=page, size=PAGE_SIZE,
                            rayon_km=services.settings().default_radius_km)
        result, rows = services.search(query)
    return render_template("resultats.html", lieu=lieu, commune=commune, levier=levier, q=q or "",
                           result=result, rows=rows, page=page, page_size=PAGE_SIZE, errors=errors), \
        (400 if errors else 200)


@bp.get("/services/<path:service_id>")
def service(service_id: str):
    found = services.get_service(service_id)
    if found is None:
        abort(404)
    return render_template("service.html", service=found)


def lean_place(text: str) -> str:
    return text[:120]
