"""Routes of the French pages."""
from __future__ import annotations

import datetime as dt
import logging
import math

from flask import Response, abort, current_app, jsonify, render_template, request, url_for

from app import services
from app.core import vocabularies as voc
from app.core.geo import geography
from app.web import bp, carte, queries, setting
from app.web.criteria import FACET_PARAMS, Criteria, facet_label
from app.web.present import grouped_by_need, levier_of, view

for _noisy in ("weasyprint", "fontTools"):  # per-step INFO lines on every PDF
    logging.getLogger(_noisy).setLevel(logging.WARNING)

PAGE_SIZE = 20
#: with "ouvert maintenant", the nearest candidates examined (hours are not in the index)
OPEN_NOW_CANDIDATES = 300
CATALOGUE_PAGE_SIZE = 30


# -- home and results --------------------------------------------------------------------------
@bp.get("/")
def home():
    per_dep = queries.services_per_departement()
    departements = [(code, queries.departement_label(code), count) for code, count in per_dep.items()]
    return render_template("accueil.html", crit=Criteria(), departements=departements)


@bp.get("/recherche")
def recherche():
    crit = Criteria.from_args(request.args)
    context = {"crit": crit, "result": None, "cards": [], "facets": [], "total": 0, "pages": 0}
    if crit.errors:
        return render_template("resultats.html", **context), 400
    if crit.is_empty:
        return render_template("resultats.html", **context)
    now = dt.datetime.now(dt.timezone.utc)
    if crit.ouvert:
        result, rows = services.search(crit.query(page=1, size=OPEN_NOW_CANDIDATES))
        views = [view(rows[h.id], h, crit.preferred_leviers, now) for h in result.hits if h.id in rows]
        views = [v for v in views if v.hours.is_open]
        total = len(views)
        views = views[(crit.page - 1) * PAGE_SIZE: crit.page * PAGE_SIZE]
    else:
        result, rows = services.search(crit.query(page=crit.page, size=PAGE_SIZE))
        # A hit whose row is gone (index catching up with the database) is skipped, not an error.
        views = [view(rows[h.id], h, crit.preferred_leviers, now) for h in result.hits if h.id in rows]
        total = result.total
    for rank, v in enumerate(views, start=(crit.page - 1) * PAGE_SIZE + 1):
        v.rank = rank
    context.update(result=result, cards=views, facets=_facets(crit, result.facets), total=total,
                   pages=math.ceil(total / PAGE_SIZE) if total else 0,
                   inferred=[voc.label("thematiques", t) for t in result.inferred_thematiques])
    return render_template("resultats.html", **context)


_FACET_TITLES = {
    "sous_thematiques": "Besoins précis", "publics": "Publics", "frais": "Frais",
    "modes_accueil": "Modes d'accueil", "types": "Types de service", "sources": "Sources",
}
_FACET_SOURCE = {"sous_thematiques": "thematiques", "publics": "publics", "frais": "frais",
                 "modes_accueil": "modes_accueil", "types": "types", "sources": "sources"}


def _facets(crit: Criteria, counts: dict[str, dict[str, int]]) -> list[dict]:
    """Facets with counts; values chosen but absent from the counts stay listed (count 0)."""
    needs = crit.need_subthemes
    out = []
    for name in FACET_PARAMS:
        values = dict(counts.get(_FACET_SOURCE[name]) or {})
        if name == "sous_thematiques" and needs:
            values = {v: n for v, n in values.items() if v in needs}
        chosen = set(crit.facets.get(name) or ())
        for value in chosen:
            values.setdefault(value, 0)
        if not values:
            continue
        items = sorted(values.items(), key=lambda kv: (kv[0] not in chosen, -kv[1], facet_label(name, kv[0])))
        out.append({"name": name, "title": _FACET_TITLES[name],
                    "items": [{"value": v, "label": facet_label(name, v), "count": n, "checked": v in chosen}
                              for v, n in items]})
    return out


# -- service and structure pages ---------------------------------------------------------------
def _id_or_404(value: str) -> str:
    """Ids go to the database: PostgreSQL refuses NUL characters in text (a 500), so refuse them first."""
    if not value or "\x00" in value or len(value) > 1000:
        abort(404)
    return value


@bp.get("/services/<path:service_id>")
def service(service_id: str):
    found = services.get_service(_id_or_404(service_id))
    if found is None or found.retired_at is not None:
        abort(404)
    v = view(found)
    others = [view(s) for s in found.structure.services if s.id != found.id and s.retired_at is None]
    point = v.point
    return render_template("service.html", v=v, s=found, structure=found.structure, others=others,
                           carte=carte.static_map(point[0] if point else None, point[1] if point else None,
                                                  found.code_insee, label=f"Localisation : {found.commune or ''}"))


@bp.get("/structures/<path:structure_id>")
def structure(structure_id: str):
    found, live, doublons = queries.structure_with_services(_id_or_404(structure_id))
    if found is None or found.retired_at is not None:
        abort(404)
    from app.web.hours import read_hours

    return render_template("structure.html", structure=found, services_=[view(s) for s in live],
                           doublons=doublons, hours=read_hours(found.horaires_accueil, found.code_insee),
                           carte=carte.static_map(found.latitude, found.longitude, found.code_insee,
                                                  label=f"Localisation : {found.commune or ''}"))


@bp.get("/signaler-une-erreur")
def signaler():
    found = services.get_service(_id_or_404(request.args.get("service") or ""))
    if found is None:
        abort(404)
    page_url = url_for("web.service", service_id=found.id, _external=True)
    return render_template("signaler.html", s=found, v=view(found), page_url=page_url,
                           email=setting("feedback_email"))


# -- selection ---------------------------------------------------------------------------------
def _selection_ids() -> list[str]:
    ids = [part.strip() for raw in request.args.getlist("ids") for part in raw.split(",") if part.strip()]
    return list(dict.fromkeys(i for i in ids if "\x00" not in i and len(i) <= 1000))[: queries.MAX_SELECTION]


def _selection_needs() -> dict[str, voc.Levier]:
    """``besoins=a,,b``, aligned with ``ids``: the need (lever) each service was added for, so that a
    service answering several needs is filed under that one (e.g. from the diagnostic's plan)."""
    ids = [part.strip() for raw in request.args.getlist("ids") for part in raw.split(",") if part.strip()]
    needs = [part.strip() for raw in request.args.getlist("besoins") for part in raw.split(",")]
    if len(needs) != len(ids):
        return {}
    out: dict[str, voc.Levier] = {}
    for service_id, value in zip(ids, needs):
        if (lv := voc.levier(value)) is not None:
            out.setdefault(service_id, lv)
    return out


def _selection_views(ids: list[str]):
    now = dt.datetime.now(dt.timezone.utc)
    needs = _selection_needs()
    return [view(s, None, (needs[s.id],) if s.id in needs else (), now) for s in queries.services_by_ids(ids)]


def _selection_params(views) -> dict:
    """Link parameters of a selection: the ids, and the needs when one differs from the default."""
    params = {"ids": ",".join(v.id for v in views)}
    if any(v.levier != levier_of(v.service) for v in views):
        params["besoins"] = ",".join(v.levier.value if v.levier else "" for v in views)
    return params


@bp.get("/selection")
def selection():
    ids = _selection_ids()
    views = _selection_views(ids)
    maps = {v.id: carte.static_map(*(v.point or (None, None)), v.service.code_insee, width=200, height=150,
                                   label=f"Localisation : {v.service.commune or ''}") for v in views}
    return render_template("selection.html", ids=ids, views=views, groups=grouped_by_need(views), maps=maps,
                           missing=len(ids) - len(views), share_params=_selection_params(views))


@bp.get("/selection.pdf")
def selection_pdf():
    ids = _selection_ids()
    views = _selection_views(ids)
    if not views:
        abort(404)
    maps = {v.id: carte.static_map(*(v.point or (None, None)), v.service.code_insee, width=220, height=165,
                                   label=f"Localisation : {v.service.commune or ''}") for v in views}
    html = render_template("selection_pdf.html", views=views, groups=grouped_by_need(views), maps=maps,
                           today=dt.date.today(), share_url=url_for("web.selection", **_selection_params(views),
                                                                    _external=True))
    try:
        from weasyprint import HTML
    except (ImportError, OSError):  # missing package or Pango: the printable page is the way
        return render_template("indisponible_pdf.html"), 503
    static_root = current_app.static_folder
    pdf = HTML(string=html, base_url=str(static_root) + "/").write_pdf()
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="selection-reperes.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- public catalogue --------------------------------------------------------------------------
@bp.get("/catalogue")
def catalogue_index():
    per_dep = queries.services_per_departement()
    departements = [(code, queries.departement_label(code), count) for code, count in per_dep.items()]
    return render_template("catalogue_index.html", departements=departements)


def _departement_or_404(code: str):
    dep = geography().departements.get(code.upper())
    if dep is None:
        abort(404)
    return dep


@bp.get("/catalogue/<string:departement>")
def catalogue_departement(departement: str):
    dep = _departement_or_404(departement)
    counts = queries.leviers_in_departement(dep.code)
    return render_template("catalogue_departement.html", dep=dep, de=queries.departement_de(dep.code),
                           counts=counts)


@bp.get("/catalogue/<string:departement>/<string:levier>")
def catalogue(departement: str, levier: str):
    dep = _departement_or_404(departement)
    lv = voc.levier(levier)
    if lv is None:
        abort(404)
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    entries = queries.catalogue_entries(dep.code, lv)
    total = len(entries)
    chosen = entries[(page - 1) * CATALOGUE_PAGE_SIZE: page * CATALOGUE_PAGE_SIZE]
    if page > 1 and not chosen:
        abort(404)
    views = [view(s, None, (lv,)) for s in queries.services_by_ids([e[2] for e in chosen])]
    by_commune: dict[str, list] = {}
    for v in views:
        by_commune.setdefault(v.service.commune or "Commune non précisée", []).append(v)
    return render_template("catalogue.html", dep=dep, de=queries.departement_de(dep.code), levier=lv,
                           by_commune=by_commune, total=total, page=page,
                           pages=math.ceil(total / CATALOGUE_PAGE_SIZE) if total else 0,
                           others=[x for x in voc.leviers() if x.value != lv.value])


@bp.get("/sitemap.xml")
def sitemap():
    urls = [url_for("web.home", _external=True), url_for("web.catalogue_index", _external=True)]
    for code in queries.services_per_departement():
        urls.append(url_for("web.catalogue_departement", departement=code, _external=True))
        urls.extend(url_for("web.catalogue", departement=code, levier=lv.value, _external=True)
                    for lv in voc.leviers())
    body = render_template("sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml", headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/robots.txt")
def robots():
    body = (f"User-agent: *\nDisallow: /selection\nDisallow: /recherche\nDisallow: /api/\n"
            f"Sitemap: {url_for('web.sitemap', _external=True)}\n")
    return Response(body, mimetype="text/plain", headers={"Cache-Control": "public, max-age=86400"})


# -- JSON and GeoJSON for the page scripts -----------------------------------------------------
@bp.get("/communes/suggestions")
def commune_suggestions():
    prefix = (request.args.get("q") or "").strip()[:80]
    out = []
    for c in geography().suggest(prefix, limit=8) if len(prefix) >= 2 else []:
        dep = geography().departements.get(c.code_departement)
        cp = c.codes_postaux[0] if c.codes_postaux else c.code_departement
        out.append({"code_insee": c.code_insee, "nom": c.nom, "code_departement": c.code_departement,
                    "departement": dep.nom if dep else c.code_departement,
                    "codes_postaux": list(c.codes_postaux), "libelle": f"{c.nom} ({cp})"})
    response = jsonify(out)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _geojson(body: bytes | None) -> Response:
    if body is None:
        abort(404)
    response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/carte/departements.geojson")
def departements_geojson():
    return _geojson(carte.departements_geojson())


@bp.get("/carte/contours/<string:departement>.geojson")
def contours_geojson(departement: str):
    return _geojson(carte.contours_geojson(departement.upper()))


# -- errors ------------------------------------------------------------------------------------
@bp.app_errorhandler(404)
def not_found(error):
    if request.path.startswith("/api/"):
        api = current_app.extensions.get("flask-smorest", {}).get("blp_name_to_api", {}).get("api_v1")
        return api.handle_http_exception(error) if api is not None else error
    return render_template("404.html"), 404

