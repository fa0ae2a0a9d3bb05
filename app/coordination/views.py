"""Routes of the coordinators' space. Every page needs a logged-in coordinator or admin."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from app.coordination import charts, data, demand as dem, imports, matrix as mx, quality as qual, report as rep
from app.coordination import users as accounts
from app.coordination.forms import ActionForm, LoginForm, UploadForm
from app.core import vocabularies as voc
from app.core.geo import geography

bp = Blueprint("coordination", __name__, url_prefix="/coordination", template_folder="templates",
               static_folder="static", static_url_path="/static")

#: endpoints reachable without an account
PUBLIC = {"coordination.login", "coordination.static"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def settings():
    return current_app.config["REPERES"]


def _url() -> str:
    return settings().database_url


@bp.before_request
def guard():
    if request.method in UNSAFE:
        current_app.extensions["reperes.csrf"].protect()  # 400 without a valid csrf_token
    if request.endpoint in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("coordination.login", next=request.full_path.rstrip("?")))
    if not current_user.is_coordinator:
        abort(403)
    return None


@bp.after_request
def no_store(response):
    if request.endpoint != "coordination.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def nombre(value) -> str:
    """12 345 (narrow no-break space), « — » for nothing."""
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", "\u202f")


def pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %".replace(".", ",")


def km(value) -> str:
    return "—" if value is None else f"{value:.1f} km".replace(".", ",")


@bp.context_processor
def _globals():
    """Only for this blueprint's pages (the public site's templates are not touched)."""
    return {"dsfr": (Path(current_app.static_folder or "") / "vendor" / "dsfr" / "dsfr.min.css").exists(),
            "nombre": nombre, "pct": pct, "km": km, "logout_form": ActionForm()}


@bp.errorhandler(CSRFError)
def csrf_error(exc):
    return render_template("coordination/erreur.html", code=400, titre="Formulaire expiré ou invalide",
                           message="Le jeton de sécurité du formulaire manque ou a expiré. "
                                   "Rechargez la page et recommencez."), 400


@bp.errorhandler(403)
def forbidden(exc):
    return render_template("coordination/erreur.html", code=403, titre="Accès refusé",
                           message="Votre compte n'a pas accès à cette partie de l'espace coordination. "
                                   "Demandez le rôle nécessaire à un administrateur."), 403


@bp.errorhandler(data.BadRequest)
def bad_request(exc):
    return render_template("coordination/erreur.html", code=400, titre="Demande invalide", message=str(exc)), 400


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/coordination") \
                and not target.startswith("//"):
            return target
    return url_for("coordination.index")


# -- login -------------------------------------------------------------------------------------
@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_url = _safe_next(request.args.get("next"))
    if request.method == "GET" and current_user.is_authenticated and current_user.is_coordinator:
        return redirect(next_url)
    status, error = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            s = settings()
            key = accounts.failure_key(request.remote_addr, form.email.data)
            window = dt.timedelta(minutes=s.login_rate_window_minutes)
            if accounts.recent_failures(s.database_url, key, window) >= s.login_rate_limit:
                minutes = s.login_rate_window_minutes
                response = Response(render_template(
                    "coordination/connexion.html", form=form, next_url=next_url,
                    error=f"Trop de tentatives de connexion. Réessayez dans {minutes} minutes."), status=429)
                response.headers["Retry-After"] = str(minutes * 60)
                return response
            user = accounts.authenticate(s.database_url, form.email.data, form.password.data)
            if user is not None:
                accounts.clear_failures(s.database_url, key)
                session.clear()  # a fresh session for the logged-in user
                login_user(user)
                session.permanent = True
                current_app.logger.info("coordination: login of user %s", user.id)
                return redirect(next_url)
            accounts.record_failure(s.database_url, key, window)
            status, error = 401, "Adresse électronique ou mot de passe incorrect."
        else:
            status = 400
    return render_template("coordination/connexion.html", form=form, next_url=next_url, error=error), status


@bp.post("/deconnexion")
def logout():
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("coordination.login"))


# -- home --------------------------------------------------------------------------------------
@bp.get("/")
def index():
    geo = geography()
    deps = sorted(geo.departements.values(), key=lambda d: (d.code.startswith("97"), d.code.replace("2A", "20A")
                                                              .replace("2B", "20B")))
    return render_template("coordination/accueil.html", departements=deps, regions=sorted(geo.regions.items()),
                           choices=data.need_choices(), threshold=settings().coverage_threshold_km)


# -- coverage ----------------------------------------------------------------------------------
def _report() -> rep.CoverageReport | None:
    s = settings()
    return rep.build(request.args, s.database_url, s.coverage_threshold_km, s.demand_low_results)


@bp.get("/couverture")
def couverture():
    t0 = time.perf_counter()
    report = _report()
    geo = geography()
    context = {"report": report, "choices": data.need_choices(), "threshold": settings().coverage_threshold_km,
               "departements": sorted(geo.departements.values(), key=lambda d: d.code),
               "regions": sorted(geo.regions.items()), "args": request.args}
    if report is None:
        return render_template("coordination/couverture.html", **context)
    frame = rep.frame(report.territory.kind, report.territory.code)
    dist = report.distribution()
    chart = charts.bar_chart([charts.Bar(label, pop, colour, f"{label} : {n} communes, {pop:,} habitants"
                                         .replace(",", "\u202f")) for label, colour, n, pop in dist],
                             "Population selon la distance à l'offre la plus proche", unit=" hab.",
                             width=460, label_width=150, bar_height=20)
    epcis = data.epci_of_departement(report.territory.code) if report.territory.kind == "departement" else []
    response = render_template("coordination/couverture.html", frame=frame, distribution=dist, chart=chart,
                               unmet=rep.top_unmet(report), epcis=epcis,
                               low_results=settings().demand_low_results, **context)
    current_app.logger.debug("coverage page in %.0f ms", (time.perf_counter() - t0) * 1000)
    return response


@bp.get("/couverture.geojson")
def couverture_geojson():
    report = _report()
    if report is None:
        raise data.BadRequest("indiquez un territoire (departement, region ou epci) et un besoin (levier ou thematiques)")
    body = json.dumps(report.geojson(), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f'attachment; filename="{report.filename}.geojson"'})


@bp.get("/couverture.csv")
def couverture_csv():
    report = _report()
    if report is None:
        raise data.BadRequest("indiquez un territoire (departement, region ou epci) et un besoin (levier ou thematiques)")
    return Response(report.csv_text().encode("utf-8"), mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{report.filename}.csv"'})


# -- gap brief (« fiche besoin », app/coordination/brief.py) -----------------------------------
def _gap_brief():
    from app.coordination import brief as gap

    report = _report()
    if report is None:
        raise data.BadRequest("indiquez un territoire (departement, region ou epci) et un besoin (levier ou thematiques)")
    b = gap.build(report, _url())
    context = {"b": b, "frame": rep.frame(report.territory.kind, report.territory.code),
               "show_communes": gap.SHOW_COMMUNES, "show_offers": gap.SHOW_OFFERS,
               "low_results": settings().demand_low_results}
    return gap, b, context


@bp.get("/fiche-besoin")
def fiche_besoin():
    _, _, context = _gap_brief()
    return render_template("coordination/fiche_besoin.html", **context)


@bp.get("/fiche-besoin.pdf")
def fiche_besoin_pdf():
    gap, b, context = _gap_brief()
    html = render_template("coordination/fiche_besoin_pdf.html", **context)
    try:
        pdf = gap.render_pdf(html, str(current_app.static_folder))
    except (ImportError, OSError):  # missing package or Pango: the HTML page is the way
        return render_template("coordination/erreur.html", code=503, titre="PDF indisponible",
                               message="Le PDF ne peut pas être produit sur ce serveur : imprimez la page de la fiche."), 503
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{b.filename}.pdf"'})


# -- needs × territories -------------------------------------------------------------------------
@bp.get("/matrice")
def matrice():
    s = settings()
    geo = geography()
    code = request.args.get("departement")
    deps = sorted(geo.departements.values(), key=lambda d: d.code)
    if not code:
        return render_template("coordination/matrice.html", matrix=None, departements=deps,
                               threshold=s.coverage_threshold_km)
    threshold = rep.parse_threshold(request.args, s.coverage_threshold_km)
    m = mx.build(s.database_url, code, threshold, s.demand_low_results)
    return render_template("coordination/matrice.html", matrix=m, departements=deps, threshold=threshold,
                           share_classes=mx.SHARE_CLASSES, fmt_km=rep.fmt_km)


# -- demand --------------------------------------------------------------------------------------
@bp.get("/demande")
def demande():
    s = settings()
    geo = geography()
    deps = sorted(geo.departements.values(), key=lambda d: d.code)
    terr = data.territory_from_args(request.args)
    if terr is None:
        return render_template("coordination/demande.html", terr=None, departements=deps,
                               regions=sorted(geo.regions.items()))
    try:
        days = max(1, min(int(request.args.get("jours", 365)), 3650))
    except ValueError:
        raise data.BadRequest("jours : un nombre de jours") from None
    since = dt.date.today() - dt.timedelta(days=days)
    searches = dem.load_searches(s.database_url, terr.departements, since)
    codes = {c.code_insee for c in terr.communes}
    searches = [e for e in searches if e.code_commune in codes]
    low = s.demand_low_results
    per_need = []
    for lv in voc.leviers():
        row = dem.total(searches, frozenset(lv.thematiques), low)
        per_need.append(("levier", lv.value, lv.label, row))
    per_cat = []
    for term in sorted(voc.VOCABULARIES["categories"], key=lambda t: t.label):
        row = dem.total(searches, voc.expand_thematiques([term.value]), low)
        if row.searches:
            per_cat.append(("thematiques", term.value, term.label, row))
    unspecified = dem.total(searches, None, low)
    everything = dem.DemandRow()
    communes: dict[str, dem.DemandRow] = {}
    for e in searches:
        everything.add(e, low)
        communes.setdefault(e.code_commune, dem.DemandRow()).add(e, low)
    top = sorted(((geo.commune(code), row) for code, row in communes.items() if row.low),
                 key=lambda cr: (-cr[1].low, -cr[1].searches))[:30]
    chart = charts.bar_chart([charts.Bar(label, row.low, "#b2182b") for _, _, label, row in per_need if row.searches],
                             "Recherches sans résultat ou avec peu de résultats, par levier")
    return render_template("coordination/demande.html", terr=terr, departements=deps,
                           regions=sorted(geo.regions.items()), per_need=per_need, per_cat=per_cat,
                           unspecified=unspecified, everything=everything, top=top, days=days, low=low,
                           chart=chart, threshold=rep.fmt_km(s.coverage_threshold_km))


# -- data quality ------------------------------------------------------------------------------
@bp.get("/qualite")
def qualite():
    sources = qual.sources(_url())
    segments = [charts.Segment(label, colour) for label, colour in
                zip(qual.SCORE_LABELS, ("#d6604d", "#f4a582", "#2166ac"))]
    chart = charts.stacked_chart([(q.source, q.score_classes) for q in sources if q.scores], segments,
                                 "Répartition des offres par score de qualité, par source")
    from app import feedback as fb

    return render_template("coordination/qualite.html", sources=sources, chart=chart, stale_days=qual.STALE_DAYS,
                           avis=fb.stats_by_source(_url()))


@bp.get("/qualite/<string:source>")
def qualite_source(source: str):
    detail = qual.source_detail(_url(), source)
    if detail is None:
        abort(404)
    hist = detail.quality.histogram()
    chart = charts.bar_chart([charts.Bar(f"{i / 10:.1f} – {(i + 1) / 10:.1f}".replace(".", ","), n,
                                         "#2166ac" if i >= 8 else "#f4a582" if i >= 5 else "#d6604d")
                              for i, n in enumerate(hist)], f"Score de qualité des offres de {source}",
                             unit=" offres", label_width=110)
    from app import feedback as fb

    return render_template("coordination/qualite_source.html", d=detail, q=detail.quality, chart=chart,
                           stale_days=qual.STALE_DAYS, avis=fb.with_names(_url(), fb.stats_by_service(_url(), source=source)),
                           verified_votes=settings().feedback_verified_votes, mark_of=fb.mark_of)


# -- producer files (admins) -----------------------------------------------------------------
def _admin_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/import", methods=["GET", "POST"])
def import_file():
    _admin_only()
    form = UploadForm()
    form.correspondance.choices = imports.bundled_mappings()
    s = settings()
    if request.method == "POST":
        if request.content_length and request.content_length > s.upload_max_mb * 1024 * 1024:
            return render_template("coordination/import.html", form=form, upload=None, report=None,
                                   error=f"Fichier trop gros ({s.upload_max_mb} Mo au plus)."), 413
        if not form.validate_on_submit():
            return render_template("coordination/import.html", form=form, upload=None, report=None), 400
        f = form.fichier.data
        mapping_file = form.correspondance_fichier.data
        try:
            upload = imports.save(s.instance_dir, f.filename, f.read(), form.correspondance.data,
                                  mapping_file.read() if mapping_file else None, current_user.email)
        except imports.ImportError_ as exc:
            return render_template("coordination/import.html", form=form, upload=None, report=None,
                                   error=str(exc)), 400
        return redirect(url_for("coordination.import_report", token=upload.token))
    return render_template("coordination/import.html", form=form, upload=None, report=None)


@bp.get("/import/<string:token>")
def import_report(token: str):
    _admin_only()
    upload = imports.load(settings().instance_dir, token)
    if upload is None:
        abort(404)
    report = imports.validate(upload)
    try:
        source, source_error = imports.mapping_source(upload), None
        imports.refuse_reserved_source(source)
    except imports.ImportError_ as exc:
        source, source_error = None, str(exc)
    return render_template("coordination/import.html", form=None, upload=upload, report=report,
                           summary=report.summary(), issues=report.issues[:500], source=source,
                           source_error=source_error, action=ActionForm())


@bp.post("/import/<string:token>/ingerer")
def import_ingest(token: str):
    _admin_only()
    upload = imports.load(settings().instance_dir, token)
    if upload is None:
        abort(404)
    try:
        result = imports.ingest(upload, settings())
    except imports.ImportError_ as exc:
        flash(str(exc), "error")
        return redirect(url_for("coordination.import_report", token=token))
    except Exception as exc:  # noqa: BLE001  (a failed run is recorded; say so)
        current_app.logger.exception("coordination: ingestion of an upload failed")
        flash(f"L'ingestion a échoué : {exc}", "error")
        return redirect(url_for("coordination.import_report", token=token))
    flash(f"Fichier ingéré : {result['summary']} — index reconstruit ({result['indexed']} services).", "success")
    return redirect(url_for("coordination.qualite_source", source=result["source"]))


from app.coordination import moderation  # noqa: E402,F401  (/coordination/avis: moderation of the public's feedback)
from app.coordination import tension_views  # noqa: E402,F401  (/coordination/metiers: métiers en tension)
