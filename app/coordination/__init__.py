"""The coordinators' space (``/coordination``): coverage maps per need and territory, needs ×
territories matrix, demand signals, data quality per source, producer file checks — behind a login.

``init_coordination(app)`` (called by the app factory) sets up Flask-Login, Flask-WTF's CSRF
protection of this blueprint's forms, the session cookie and the blueprint itself. This package
is imported lazily so that ``app.services`` (the demand log) and the CLI (``reperes users``)
stay light.
"""
from __future__ import annotations

import datetime as dt


def init_coordination(app) -> None:
    from flask_login import LoginManager
    from flask_wtf.csrf import CSRFProtect

    from app.coordination import users as accounts
    from app.coordination.views import bp

    settings = app.config["REPERES"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.session_cookie_secure),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=bool(settings.session_cookie_secure),
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    # CSRF is checked on every POST of this blueprint (views.before_request); other blueprints
    # may opt in with WTF_CSRF_CHECK_DEFAULT=True — the API has no cookie session to protect.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf = CSRFProtect(app)
    app.extensions["reperes.csrf"] = csrf

    login = LoginManager(app)
    login.login_view = "coordination.login"
    login.login_message = "Connectez-vous pour accéder à l'espace coordination."
    login.login_message_category = "info"
    login.session_protection = "strong"

    @login.user_loader
    def _load(user_id: str):
        return accounts.load_user(settings.database_url, user_id)

    app.register_blueprint(bp)
