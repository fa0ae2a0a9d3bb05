"""The throw-away PostgreSQL + PostGIS cluster for tests: ``postgres_url()`` starts it once per process.

``scripts/postgres.sh start`` is idempotent (a running cluster is reused), creates the role
``reperes`` and the databases ``reperes`` and ``reperes_test`` (PostGIS enabled in both), and
prints the SQLAlchemy URL as its last stdout line. The cluster is detached and outlives the
test session: ``bash scripts/postgres.sh stop`` (``make postgres-stop``) when done.

``scratch_database()`` gives a test a database of its own (``reperes_<prefix>_<random>``, made
with ``CREATE DATABASE`` from the ``reperes`` database, dropped on exit), so tests that create
or drop tables never touch ``reperes_test``.
"""
from __future__ import annotations

import contextlib
import functools
import secrets
import subprocess
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, make_url, pool, text

ROOT = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def _start() -> str:
    try:
        result = subprocess.run(["bash", "scripts/postgres.sh", "start"], capture_output=True, text=True,
                                check=True, cwd=ROOT)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"could not start the PostgreSQL cluster:\n{exc.stderr}") from exc
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if not lines or not lines[-1].startswith("postgresql"):
        raise RuntimeError(f"scripts/postgres.sh start printed no URL:\n{result.stdout}\n{result.stderr}")
    return lines[-1]


@functools.lru_cache(maxsize=None)
def postgres_url(db: str = "reperes_test") -> str:
    """SQLAlchemy URL of database ``db`` on the test cluster (started on first call)."""
    return make_url(_start()).set(database=db).render_as_string(hide_password=False)


@contextlib.contextmanager
def scratch_database(prefix: str = "scratch") -> Iterator[str]:
    """A new empty database for one test (no PostGIS); yields its URL, drops it afterwards."""
    name = f"reperes_{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url("reperes"), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield postgres_url(name)
        finally:
            _dispose_cached_engines(postgres_url(name))
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _dispose_cached_engines(url: str) -> None:
    """Close pools the app may have opened on ``url`` (``app.core.db.engine_for`` caches engines)."""
    from app.core.db import engine_for

    try:
        engine_for(url).dispose()
    except Exception:  # noqa: BLE001 - best effort; DROP DATABASE … WITH (FORCE) ends the rest
        pass
