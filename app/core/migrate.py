"""Database migrations (Alembic), run from code: ``upgrade_database(url)``.

The revisions live in ``migrations/versions/`` at the repository root; ``alembic.ini`` there
serves the ``alembic`` command line (see docs/database.md). This module builds its Alembic
``Config`` in code, so it works from any working directory and never reads the URL from a file.

A database created before migrations existed (``Base.metadata.create_all``, no
``alembic_version`` table) is recognised by its tables: if every table of the baseline
revision is there and ``alembic_version`` is not, it is stamped at the baseline ``0001``
(nothing is re-created) and then upgraded normally.
"""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, pool

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = ROOT / "migrations"
ALEMBIC_INI = ROOT / "alembic.ini"

#: the first revision: the schema ``Base.metadata.create_all`` made before migrations existed.
BASELINE = "0001"
BASELINE_TABLES = frozenset({"structures", "services", "source_runs", "quarantine"})
#: tables in our databases that are not ours: PostGIS's, the PostGIS reference benchmark's.
#: Autogenerate and schema checks ignore them (they would otherwise be "removed").
FOREIGN_TABLES = frozenset({"spatial_ref_sys", "bench_services"})
#: key of the PostgreSQL advisory lock held while migrating (one migrator at a time).
PG_LOCK_KEY = 0x5245504552  # "REPER"

log = logging.getLogger(__name__)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: leave PostGIS and benchmark tables alone."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the repository's migrations, without reading any URL from a file.

    ``url`` goes through ``config.attributes`` (not the ini options, whose ``%`` interpolation
    would mangle URL-encoded passwords).
    """
    cfg = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["configure_logger"] = False  # keep the app's logging as it is
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def _engine(url: str):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(parsed, poolclass=pool.NullPool)


def current_revision(url: str) -> str | None:
    """The revision the database is at (None: never migrated, or empty)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _created_without_alembic(url: str) -> bool:
    """True for a database made by ``create_all``: baseline tables present, no ``alembic_version``."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if "alembic_version" in tables and MigrationContext.configure(connection).get_current_revision():
                return False
    finally:
        engine.dispose()
    present = BASELINE_TABLES & tables
    if present and present != BASELINE_TABLES:
        raise RuntimeError(
            f"database has some tables of Repères ({', '.join(sorted(present))}) but not all of them "
            f"(missing: {', '.join(sorted(BASELINE_TABLES - present))}) and no migration history: "
            "refusing to guess; stamp it by hand (alembic stamp) once repaired")
    return present == BASELINE_TABLES


def upgrade_database(url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``url``; a pre-migration (create_all) database is stamped first."""
    cfg = alembic_config(url)
    if _created_without_alembic(url):
        log.info("database created without migrations: stamping it at %s", BASELINE)
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, revision)


def downgrade_database(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def schema_differences(url: str) -> list:
    """What autogenerate would change to bring ``url`` to the models (``[]`` when in step)."""
    from app.core.models import Base

    engine = _engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_name": include_name, "compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
