"""The API tests run on both databases: SQLite (default) and the real PostgreSQL cluster."""
from __future__ import annotations

import pytest

from config import load_settings


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    if request.param == "sqlite":
        yield load_settings(environ={}, instance_dir=str(instance))
        return
    from tests.postgres_server import scratch_database

    with scratch_database("api") as url:
        yield load_settings(environ={}, instance_dir=str(instance), database_url=url)
