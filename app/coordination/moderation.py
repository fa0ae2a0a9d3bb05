"""Moderation of the public's feedback (``/coordination/avis``): publish or reject comments, confirm
or close error reports. Routes of the coordination blueprint (login, role and CSRF checked by its
``before_request``); every coordinator and admin may moderate. Logic in ``app/feedback.py``.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import feedback as fb
from app.coordination.forms import ActionForm
from app.coordination.views import bp

#: decisions of the moderation page's buttons
COMMENT_DECISIONS = {"publier": True, "rejeter": False}
REPORT_DECISIONS = {"confirmer": fb.REPORT_CONFIRMED, "corrigee": fb.REPORT_FIXED, "rejeter": fb.REPORT_REJECTED}


def _url() -> str:
    return current_app.config["REPERES"].database_url


@bp.get("/avis")
def moderation():
    comments, reports = fb.moderation_queue(_url())
    return render_template("coordination/avis.html", comments=comments, reports=reports, action=ActionForm(),
                           categories=fb.CATEGORIES)


@bp.post("/avis/commentaires/<int:feedback_id>")
def moderate_comment(feedback_id: int):
    decision = request.form.get("decision")
    if decision not in COMMENT_DECISIONS:
        flash("Décision inconnue.", "error")
    elif fb.moderate_comment(_url(), feedback_id, COMMENT_DECISIONS[decision], current_user.id):
        flash("Commentaire publié." if COMMENT_DECISIONS[decision] else "Commentaire rejeté et effacé.", "success")
    else:
        flash("Ce commentaire n'existe plus ou a déjà été rejeté.", "error")
    return redirect(url_for("coordination.moderation") + "#commentaires", code=303)


@bp.post("/avis/signalements/<int:report_id>")
def moderate_report(report_id: int):
    decision = request.form.get("decision")
    if decision not in REPORT_DECISIONS:
        flash("Décision inconnue.", "error")
    elif fb.set_report_status(_url(), report_id, REPORT_DECISIONS[decision], current_user.id):
        flash({"confirmer": "Signalement confirmé : la fiche est marquée « erreur signalée ».",
               "corrigee": "Signalement clos (corrigé).", "rejeter": "Signalement clos (rejeté)."}[decision],
              "success")
    else:
        flash("Ce signalement n'existe plus.", "error")
    return redirect(url_for("coordination.moderation") + "#signalements", code=303)
