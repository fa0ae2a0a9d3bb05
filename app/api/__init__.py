"""The public API ``/api/v1`` (flask-smorest), compatible with data·inclusion's parameters."""
from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_api(app: Flask) -> Api:
    from app.api.routes import blp

    api = Api(app)
    api.register_blueprint(blp)
    return api
