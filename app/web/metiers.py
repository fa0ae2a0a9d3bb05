"""The métier pages: from a métier (ROME code or words) to the training, immersions and employers
near a commune (docs/metiers.md).

* ``/metiers``: the form (métier + commune); a typed label lists the matching métiers;
* ``/metiers/<code>``: sections « Formations », « Immersions et employeurs », « Découvrir le métier »
  around ``code_commune`` (or ``lieu``) within ``rayon_km``;
* ``/metiers/suggestions?q=``: JSON for autocompletion.
"""
from __future__ import annotations

import math

from flask import current_app, jsonify, redirect, render_template, request, url_for

from app import metiers as svc
from app import services
from app.core.geo import Commune, geography
from app.web import bp
from app.web.criteria import _names
from app.web.present import view

PAGE_SIZE = 20
RAYON_MIN, RAYON_MAX = 1.0, 200.0


def _text(name: str, limit: int = 200) -> str:
    return (request.args.get(name) or "").strip()[:limit]


def _place_args() -> tuple[Commune | None, str, float, list[str]]:
    """(commune, what was typed, radius, errors) from ``code_commune`` / ``lieu`` / ``rayon_km``."""
    errors = []
    geo = geography()
    lieu = _text("lieu", 120)
    code = _text("code_commune", 10)
    commune = None
    if code:
        commune = geo.commune(code)
        if commune is None:
            errors.append(f"Commune inconnue : « {code} ».")
        elif lieu and not _names(commune, lieu):  # typed another place without the autocompletion
            commune = geo.resolve(lieu)
            if commune is None:
                errors.append(f"Commune introuvable : « {lieu} ». Essayez un nom de commune ou un code postal.")
    elif lieu:
        commune = geo.resolve(lieu)
        if commune is None:
            errors.append(f"Commune introuvable : « {lieu} ». Essayez un nom de commune ou un code postal.")
    default = float(current_app.config["REPERES"].default_radius_km)
    raw = _text("rayon_km", 10)
    try:
        rayon = float(raw.replace(",", ".")) if raw else default
        if not math.isfinite(rayon):
            raise ValueError
    except ValueError:
        errors.append(f"Distance invalide : « {raw} » (un nombre de kilomètres).")
        rayon = default
    rayon = min(max(rayon, RAYON_MIN), RAYON_MAX)
    return commune, (lieu or (commune.nom if commune else "")), rayon, errors


def _place_params(commune: Commune | None, rayon: float) -> dict:
    out: dict = {"rayon_km": int(rayon) if rayon == int(rayon) else rayon}
    if commune is not None:
        out["code_commune"] = commune.code_insee
    return out


@bp.get("/metiers")
def metiers():
    q = _text("q")
    commune, lieu, rayon, errors = _place_args()
    suggestions = svc.rome().suggest(q, limit=20) if q else []
    exact = svc.rome().get(q) if q else None
    if exact is not None and not errors:
        return redirect(url_for("web.metier", code=exact.code, **_place_params(commune, rayon)))
    status = 400 if errors else 200
    return render_template("metiers.html", q=q, lieu=lieu, commune=commune, rayon=rayon, errors=errors,
                           suggestions=suggestions, place_params=_place_params(commune, rayon)), status


@bp.get("/metiers/suggestions")
def metier_suggestions():
    q = _text("q", 120)
    found = svc.rome().suggest(q, limit=10) if len(q) >= 2 else []
    response = jsonify([{**s.as_dict(), "libelle_complet": f"{s.libelle} ({s.code})"} for s in found])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/metiers/<string:code>")
def metier(code: str):
    try:
        m = svc.metier_or_error(code)
    except svc.UnknownMetier as exc:
        return render_template("metier_inconnu.html", message=str(exc), code=code), 404
    if m.code != code:
        return redirect(url_for("web.metier", code=m.code, **request.args.to_dict(flat=True)), 301)
    commune, lieu, rayon, errors = _place_args()
    section = _text("section", 20)
    try:
        page = max(1, min(int(_text("page", 6) or 1), 1000))
    except ValueError:
        page = 1
    pages = {section: page} if section in svc.SECTIONS else {}
    place = services.place_for(commune.code_insee, None, None) if commune is not None else None
    offer = svc.offer(m, place, rayon, size=PAGE_SIZE, pages=pages)
    sections = []
    for key in svc.SECTIONS:
        sec = offer.sections[key]
        cards = []
        for hit, service in sec.rows():
            cards.append((view(service, hit), svc.matching_codes(service, m)))
        current = pages.get(key, 1)
        sections.append({"key": key, "title": sec.title, "intro": sec.intro, "total": sec.total, "cards": cards,
                         "page": current, "pages": math.ceil(sec.total / PAGE_SIZE) if sec.total else 0})
    return render_template("metier.html", m=m, rome=svc.rome(), commune=commune, lieu=lieu, rayon=rayon,
                           errors=errors, sections=sections, place_params=_place_params(commune, rayon),
                           appellations=svc.rome().appellations_of(m.code)[:12]), 400 if errors else 200
