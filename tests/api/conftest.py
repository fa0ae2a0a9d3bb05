"""The API tests run on both databases: SQLite (default) and the real PostgreSQL cluster.

The fixtures below shadow the session fixtures of tests/conftest.py for this folder only, with
their own caches, so the rest of the suite keeps its single SQLite instance.
"""
from __future__ import annotations

import pytest

from config import load_settings
from tests.conftest import ingest_everything


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    if request.param == "sqlite":
        yield load_settings(environ={}, instance_dir=str(instance))
        return
    from tests.postgres_server import scratch_database

    with scratch_database("api") as url:
        yield load_settings(environ={}, instance_dir=str(instance), database_url=url)


@pytest.fixture(scope="session")
def ingested(settings):
    return ingest_everything(settings)


@pytest.fixture(scope="session")
def app(settings, ingested):
    from app.factory import create_app

    from app.coordination.demand import flush_pending

    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    yield flask_app
    flush_pending(settings.database_url)  # before the scratch database is dropped
