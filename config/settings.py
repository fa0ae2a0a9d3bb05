"""Every setting of Repères, declared once with its type, default and documentation.

Settings come only from ``REPERES_*`` environment variables. ``docs/configuration.md`` is
generated from this table (``reperes settings --markdown``), so the two cannot drift apart.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    doc: str

    @property
    def attr(self) -> str:
        return self.name.removeprefix("REPERES_").lower()


SETTINGS: tuple[Setting, ...] = (
    Setting("REPERES_DATABASE_URL", str, None,
            "SQLAlchemy URL of the database. Default: a SQLite file `instance/reperes.sqlite3`. "
            "Production: `postgresql+psycopg://user@host:5432/reperes`."),
    Setting("REPERES_SEARCH_URL", str, "embedded",
            "Search backend. `embedded` (or empty) = the built-in index (SQLite FTS5 text, k-d tree places), no server; "
            "`http(s)://host:port` = an OpenSearch node or cluster."),
    Setting("REPERES_SEARCH_INDEX_PATH", str, None,
            "File of the embedded search index. Default: `instance/search-index.sqlite3`."),
    Setting("REPERES_OPENSEARCH_INDEX", str, "reperes-services",
            "Name of the OpenSearch alias that serves searches (each build is a versioned index behind it)."),
    Setting("REPERES_OPENSEARCH_TIMEOUT", float, 5.0,
            "Seconds before an OpenSearch request is abandoned (the API then answers 503)."),
    Setting("REPERES_INSTANCE_DIR", str, None,
            "Folder for the database, the embedded index, raw inputs of ingestion runs. Default: `instance/`."),
    Setting("REPERES_DATA_DIR", str, None,
            "Folder of bundled reference data and source files. Default: the repository's `data/`."),
    Setting("REPERES_DEFAULT_RADIUS_KM", float, 50.0,
            "Search radius around a commune or a point when `rayon_km` is not given (data·inclusion uses 50 km)."),
    Setting("REPERES_DEFAULT_PAGE_SIZE", int, 50,
            "Page size of API lists when `size` is not given."),
    Setting("REPERES_MAX_PAGE_SIZE", int, 10000,
            "Largest `size` accepted by the API (at most 10000, data·inclusion's limit); larger gives a 422 naming `size`."),
    Setting("REPERES_API_CACHE_SIZE", int, 20000,
            "Services whose API JSON each worker keeps ready (checked against the content hashes on every "
            "page, so never stale); 0 = serialise every service on every request."),
    Setting("REPERES_INGEST_WORKERS", int, 0,
            "Processes that normalise the records of a large input (4,000 records or more) during "
            "`reperes ingest`: 0 = one per CPU, 1 = no worker process."),
    Setting("REPERES_GEOCODER_URL", str, "",
            "Base URL of the BAN geocoder used for addresses without coordinates "
            "(`https://api-adresse.data.gouv.fr`). Empty (default) = offline: the commune's centre is used "
            "and marked as such."),
    Setting("REPERES_GEOCODER_TIMEOUT", float, 10.0, "Seconds before a geocoding request is abandoned."),
    Setting("REPERES_MAP_TILES_URL", str, None,
            "Tile URL template for the results map in production (e.g. `https://{s}.tile.example.org/{z}/{x}/{y}.png`); "
            "unset = no tiles: the map is drawn from the bundled département and commune outlines. "
            "Its host is added to the pages' Content-Security-Policy `img-src`."),
    Setting("REPERES_FEEDBACK_EMAIL", str, None,
            "Address offered on « Signaler une erreur » pages (a mailto with the fiche's link); "
            "unset = only the producer's own fiche is offered."),
    Setting("REPERES_SECRET_KEY", str, None,
            "Flask secret key (sessions, CSRF). Default: a random key per process, fine for a single process only."),
    Setting("REPERES_LOG_LEVEL", str, "INFO", "Python logging level of the app and the indexer."),
    # -- coordinators' space (/coordination, docs/coordination.md) --------------------------------
    Setting("REPERES_COVERAGE_THRESHOLD_KM", float, 20.0,
            "Coverage maps: default distance beyond which a commune is a « zone blanche » for a need "
            "(adjustable on the page)."),
    Setting("REPERES_LOGIN_RATE_LIMIT", int, 5,
            "Failed logins allowed per client address and e-mail within `REPERES_LOGIN_RATE_WINDOW_MINUTES`; "
            "further attempts get a 429 until the window has passed."),
    Setting("REPERES_LOGIN_RATE_WINDOW_MINUTES", int, 15, "Window of the login rate limit, in minutes."),
    Setting("REPERES_SESSION_COOKIE_SECURE", bool, True,
            "Send the session cookie over HTTPS only. Browsers accept it on http://localhost too; set "
            "`false` only to try the coordinators' space over plain HTTP on another host."),
    Setting("REPERES_DEMAND_LOW_RESULTS", int, 3,
            "Demand signals: a search with at most this many results counts as a low-result search."),
    Setting("REPERES_SEARCH_LOG_RETENTION_DAYS", int, 730,
            "Demand log: rows older than this many days are deleted."),
    Setting("REPERES_UPLOAD_MAX_MB", int, 20,
            "Largest producer file (CSV/XLSX) an admin may upload for validation, in megabytes."),
    # -- the public's feedback on offers (docs/coordination.md, « Avis et signalements ») ------------
    Setting("REPERES_FEEDBACK_RATE_LIMIT", int, 10,
            "Evaluations and error reports accepted per client address within "
            "`REPERES_FEEDBACK_RATE_WINDOW_MINUTES`; further ones get a 429."),
    Setting("REPERES_FEEDBACK_RATE_WINDOW_MINUTES", int, 60,
            "Window of the feedback rate limit, in minutes (the hashed addresses are deleted after it)."),
    Setting("REPERES_FEEDBACK_RETENTION_DAYS", int, 365,
            "Evaluations, and closed error reports, older than this many days are deleted."),
    Setting("REPERES_FEEDBACK_VERIFIED_VOTES", int, 3,
            "An offer is marked « vérifiée » with at least this many evaluations answering yes to both "
            "« utile » and « exactes » (and no confirmed error report)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]

    def __getattr__(self, attr: str) -> Any:
        try:
            return self.values[attr]
        except KeyError:
            raise AttributeError(attr) from None

    @property
    def instance_dir(self) -> Path:
        return Path(self.values["instance_dir"] or ROOT / "instance")

    @property
    def data_dir(self) -> Path:
        return Path(self.values["data_dir"] or ROOT / "data")

    @property
    def database_url(self) -> str:
        return self.values["database_url"] or f"sqlite:///{self.instance_dir / 'reperes.sqlite3'}"

    @property
    def search_index_path(self) -> Path:
        return Path(self.values["search_index_path"] or self.instance_dir / "search-index.sqlite3")

    def with_overrides(self, **overrides: Any) -> "Settings":
        unknown = set(overrides) - {s.attr for s in SETTINGS}
        if unknown:
            raise KeyError(f"unknown settings: {sorted(unknown)}")
        return Settings({**self.values, **overrides})


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every declared setting from ``environ`` (default ``os.environ``), typed."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if raw is None or raw == "":
            values[setting.attr] = setting.default
            continue
        try:
            values[setting.attr] = setting.type(raw) if setting.type is not bool else _bool(raw)
        except ValueError as exc:
            raise ValueError(f"{setting.name}: {exc}") from exc
    return Settings(values).with_overrides(**overrides) if overrides else Settings(values)


def settings_markdown() -> str:
    lines = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "—" if s.default is None else f"`{s.default}`"
        lines.append(f"| `{s.name}` | {s.type.__name__} | {default} | {s.doc} |")
    return "\n".join(lines) + "\n"
