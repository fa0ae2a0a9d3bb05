"""Routes of « Métiers en tension » (/coordination/metiers): a coordinator loads the list of the
territory's métiers en tension and sees, per métier, the training and immersion offer within reach.
Login and CSRF come from the blueprint's guard (app/coordination/views.py)."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.coordination import data, report as rep, tension
from app.coordination.forms import TensionForm
from app.coordination.views import bp, settings
from app.core.geo import geography


def _context(terr, threshold):
    geo = geography()
    return {"terr": terr, "threshold": threshold, "fmt_km": rep.fmt_km,
            "departements": sorted(geo.departements.values(), key=lambda d: d.code),
            "regions": sorted(geo.regions.items())}


@bp.route("/metiers", methods=["GET", "POST"])
def metiers_tension():
    s = settings()
    terr = data.territory_from_args(request.args)
    threshold = rep.parse_threshold(request.args, s.coverage_threshold_km)
    context = _context(terr, threshold)
    if terr is None:
        return render_template("coordination/metiers.html", form=None, rows=None, entries=[], errors=[], **context)
    form = TensionForm()
    errors: list[tension.RowError] = []
    status = 200
    if request.method == "POST":
        if request.content_length and request.content_length > s.upload_max_mb * 1024 * 1024:
            errors = [tension.RowError(0, "", f"Fichier trop gros ({s.upload_max_mb} Mo au plus).")]
            status = 413
        elif not form.validate_on_submit():
            status = 400
        else:
            parsed = tension.parse(form.fichier.data.read())
            if parsed.ok:
                n = tension.save(s.database_url, terr.slug, parsed.rows, getattr(current_user, "id", None))
                current_app.logger.info("coordination: %d métiers en tension loaded for %s", n, terr.slug)
                flash(f"Liste enregistrée : {n} métier{'s' if n > 1 else ''} en tension pour {terr.label}.", "success")
                return redirect(url_for("coordination.metiers_tension", **terr.param))
            errors, status = parsed.errors, 400
    entries = tension.load(s.database_url, terr.slug)
    rows = tension.table(s.database_url, terr, entries, threshold) if entries else []
    return render_template("coordination/metiers.html", form=form, rows=rows, entries=entries, errors=errors,
                           **context), status


@bp.get("/metiers.csv")
def metiers_tension_csv():
    s = settings()
    terr = data.territory_from_args(request.args)
    if terr is None:
        raise data.BadRequest("indiquez un territoire (departement, region ou epci)")
    threshold = rep.parse_threshold(request.args, s.coverage_threshold_km)
    rows = tension.table(s.database_url, terr, tension.load(s.database_url, terr.slug), threshold)
    return Response(tension.csv_text(rows, threshold).encode("utf-8"), mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="metiers-en-tension-{terr.slug}.csv"'})
