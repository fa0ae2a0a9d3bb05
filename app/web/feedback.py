"""The public's feedback forms: « Votre avis » on every service page, « Signaler une erreur ».

Both are anonymous POST forms, protected like the coordinators' forms: Flask-WTF's CSRF token
(the session cookie holds its secret: a strictly necessary cookie, nothing else is put in it),
a rate limit per client counted in the database under a keyed hash of the address
(``app.feedback.client_key``), and free text scrubbed before it is stored. Nothing is published
before a coordinator has moderated it (``/coordination/avis``). Logic in ``app/feedback.py``.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from app import feedback as fb
from app import services
from app.web import bp, setting
from app.web.present import view

log = logging.getLogger(__name__)


def _settings():
    return current_app.config["REPERES"]


def public_feedback(service_id: str) -> fb.PublicFeedback:
    """The mark and published comments of a service page (never fails the page)."""
    try:
        return fb.public_feedback(_settings().database_url, service_id, _settings().feedback_verified_votes)
    except SQLAlchemyError:
        log.warning("feedback: could not read the feedback of %s", service_id, exc_info=True)
        return fb.PublicFeedback()


@bp.context_processor
def _feedback_globals():
    return {"avis_public": public_feedback, "categories_signalement": fb.CATEGORIES}


def _protect() -> None:
    current_app.extensions["reperes.csrf"].protect()  # CSRFError (400) without a valid csrf_token


def _message(code: int, titre: str, message: str, service=None) -> Response:
    response = Response(render_template("avis_message.html", titre=titre, message=message, s=service), status=code)
    if code == 429:
        response.headers["Retry-After"] = str(_settings().feedback_rate_window_minutes * 60)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _csrf_error(exc):
    return _message(400, "Formulaire expiré", "Le jeton de sécurité du formulaire manque ou a expiré. "
                    "Revenez à la fiche, rechargez-la et envoyez à nouveau votre message.")


def _rate_limited() -> tuple[str, dt.timedelta, bool]:
    s = _settings()
    key = fb.client_key(current_app.config["SECRET_KEY"], request.remote_addr)
    window = dt.timedelta(minutes=s.feedback_rate_window_minutes)
    return key, window, fb.recent_hits(s.database_url, key, window) >= s.feedback_rate_limit


def _too_many(service) -> Response:
    minutes = _settings().feedback_rate_window_minutes
    return _message(429, "Trop d'envois", f"Vous avez envoyé beaucoup de messages en peu de temps. "
                    f"Réessayez dans {minutes} minutes.", service)


def _live_service(service_id: str | None):
    if not service_id or "\x00" in service_id or len(service_id) > 1000:
        return None
    found = services.get_service(service_id)
    return found if found is not None and found.retired_at is None else None


@bp.post("/avis")
def avis():
    _protect()
    found = _live_service(request.form.get("service"))
    if found is None:
        return _message(404, "Fiche introuvable", "Cette fiche n'existe pas ou plus.")
    values = {"utile": request.form.get("utile"), "exactes": request.form.get("exactes"),
              "commentaire": (request.form.get("commentaire") or "")[:5000]}
    try:
        useful, accurate = fb.answer(values["utile"]), fb.answer(values["exactes"])
        if len(values["commentaire"].strip()) > fb.COMMENT_MAX:
            raise fb.FeedbackError(f"le commentaire dépasse {fb.COMMENT_MAX} caractères")
        if useful is None and accurate is None and not fb.scrub_text(values["commentaire"], fb.COMMENT_MAX):
            raise fb.FeedbackError("répondez à au moins une question, ou écrivez un commentaire")
    except fb.FeedbackError as exc:
        return render_template("avis.html", s=found, valeurs=values, erreur=str(exc)), 400
    key, window, limited = _rate_limited()
    if limited:
        return _too_many(found)
    s = _settings()
    try:
        fb.submit_evaluation(s.database_url, found.id, useful, accurate, values["commentaire"],
                             s.feedback_retention_days)
    except fb.FeedbackError as exc:
        return render_template("avis.html", s=found, valeurs=values, erreur=str(exc)), 400
    fb.record_hit(s.database_url, key, window)
    return redirect(url_for("web.service", service_id=found.id, avis="merci", _anchor="avis"), code=303)


@bp.post("/signaler-une-erreur")
def signaler_envoi():
    _protect()
    found = _live_service(request.form.get("service"))
    if found is None:
        return _message(404, "Fiche introuvable", "Cette fiche n'existe pas ou plus.")
    values = {"categorie": request.form.get("categorie") or "", "texte": (request.form.get("texte") or "")[:10000]}
    error = None
    if values["categorie"] not in fb.CATEGORIES:
        error = "Choisissez ce qui est inexact."
    elif not fb.scrub_text(values["texte"], fb.REPORT_MAX):
        error = "Décrivez ce qui est inexact."
    elif len(values["texte"].strip()) > fb.REPORT_MAX:
        error = f"Votre message dépasse {fb.REPORT_MAX} caractères."
    if error is None:
        key, window, limited = _rate_limited()
        if limited:
            return _too_many(found)
        s = _settings()
        try:
            fb.submit_report(s.database_url, found.id, values["categorie"], values["texte"],
                             s.feedback_retention_days)
        except fb.FeedbackError as exc:
            error = str(exc).capitalize() + "."
        else:
            fb.record_hit(s.database_url, key, window)
            return redirect(url_for("web.service", service_id=found.id, signalement="merci", _anchor="avis"),
                            code=303)
    return render_template("signaler.html", s=found, v=view(found), valeurs=values, erreur=error,
                           page_url=url_for("web.service", service_id=found.id, _external=True),
                           email=setting("feedback_email")), 400
