"""Server-rendered French pages (DSFR): search, results with map and facets, service and structure
pages, the adviser's selection (browser-side, printable, PDF), and the public catalogue.

Pages work without JavaScript; ``static/reperes.js`` adds autocomplete, "autour de moi" and the
selection, ``static/carte.js`` the Leaflet map. No inline script: a Content-Security-Policy header
is set on every page (see :func:`security_headers`).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, request

from app.core import vocabularies as voc
from app.web import text

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")


def setting(name: str, default=None):
    """A ``REPERES_*`` setting that may not be declared yet (``map_tiles_url``, ``feedback_email``)."""
    values = getattr(current_app.config["REPERES"], "values", {})
    return values.get(name, default) or default


def tiles_url() -> str | None:
    url = setting("map_tiles_url")
    return url if url and url.startswith(("https://", "http://")) else None


@bp.app_context_processor
def _globals():
    return {"voc": voc, "leviers": voc.leviers(), "tiles_url": tiles_url()}


@bp.app_template_filter("riche")
def _rich(value):
    return text.rich(value)


@bp.app_template_filter("texte")
def _plain(value, limit=None):
    return text.plain(value, limit)


@bp.app_template_filter("date_fr")
def _date_fr(value):
    return text.date_fr(value)


@bp.app_template_filter("telephone")
def _phone(value):
    return text.phone(value)


@bp.app_template_filter("url_sure")
def _safe_url(value):
    return text.safe_url(value)


def content_security_policy() -> str:
    img = ["'self'", "data:"]
    tiles = tiles_url()
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tiles else parts.netloc
        img.append(f"{parts.scheme}://{host}")
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {' '.join(img)}",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
        "form-action 'self'", "frame-ancestors 'none'",
    ])


@bp.after_app_request
def security_headers(response):
    """CSP on this blueprint's pages and on the 404 page (not on /api, whose Swagger UI page has an
    inline script, nor on other blueprints, which set their own headers), and a day of cache on
    static files."""
    path = request.path
    ours = request.blueprint == "web" or (request.blueprint is None and not path.startswith("/api/"))
    if ours and response.mimetype in {"text/html", "application/pdf"}:
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


from app.web import pages  # noqa: E402,F401  (registers the routes)
from app.web import metiers  # noqa: E402,F401  (métier pages, docs/metiers.md)
from app.web import feedback  # noqa: E402,F401  (« Votre avis », « Signaler une erreur »)
from app.web import diagnostic  # noqa: E402,F401  (needs diagnostic → plan)
