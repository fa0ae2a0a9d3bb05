"""The Flask application factory."""
from __future__ import annotations

import logging
import secrets

from flask import Flask, jsonify, render_template, request

from app.core.db import create_schema, engine_for
from app.search import SearchUnavailable, get_backend
from config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_dir), instance_relative_config=False)
    logging.basicConfig(level=settings.log_level)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        REPERES=settings,
        JSON_SORT_KEYS=False,
        API_TITLE="Repères — API de l'offre d'insertion",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": "Offre d'insertion (schéma data·inclusion v1) : recherche par lieu, "
                                    "besoin et mots du quotidien. Compatible avec les paramètres de "
                                    "l'API data·inclusion (`/api/v1/search/services`)."},
        },
    )
    engine = engine_for(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        create_schema(engine)
    app.extensions["reperes.search"] = get_backend(settings)

    from app.api import register_api
    from app.web import bp as web_bp

    register_api(app)
    app.register_blueprint(web_bp)

    # coordinators' space (/coordination): Flask-Login, Flask-WTF CSRF, session cookie, blueprint
    from app.coordination import init_coordination

    init_coordination(app)

    @app.get("/healthz")
    def healthz():
        search = app.extensions["reperes.search"].health()
        status = 200 if search["status"] == "ok" else 503
        return jsonify({"status": "ok" if status == 200 else "degraded", "search": search}), status

    @app.errorhandler(SearchUnavailable)
    def search_unavailable(exc: SearchUnavailable):
        app.logger.warning("search unavailable: %s", exc)
        if request.path.startswith("/api/"):
            return jsonify({"code": 503, "status": "Service Unavailable",
                            "message": "La recherche est momentanément indisponible.",
                            "detail": str(exc)}), 503
        return render_template("indisponible.html"), 503

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=86400")
        return response

    return app
