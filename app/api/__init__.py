"""The public API ``/api/v1`` (flask-smorest), compatible with data·inclusion's parameters."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_api(app: Flask) -> Api:
    from app.api.fragments import ServiceJsonCache
    from app.api.routes import blp, dump_service
    from app.api import diagnostic  # noqa: F401  (adds /diagnostic to blp)
    from app.api import metiers  # noqa: F401  (adds /metiers to blp, docs/metiers.md)

    app.extensions["reperes.api_json"] = ServiceJsonCache(app.config["REPERES"].api_cache_size, dump_service)
    api = Api(app)
    api.register_blueprint(blp)
    return api
