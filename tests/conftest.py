"""Shared fixtures: the bundled real data ingested once per session into a throw-away instance."""
from __future__ import annotations

import pytest

from app.core.db import create_schema, engine_for, session_scope
from config import load_settings


def ingest_everything(settings) -> dict:
    """Ingest every declared source's bundled files, cluster duplicates, build the search index."""
    from app.search import get_backend
    from app.search.documents import iter_documents
    from indexer.connectors import get, registry
    from indexer.dedupe import cluster_structures
    from indexer.run import ingest

    create_schema(engine_for(settings.database_url))
    reports = {}
    for name in sorted(registry()):
        with session_scope(settings.database_url) as session:
            reports[name] = ingest(get(name), session, settings.instance_dir)
    with session_scope(settings.database_url) as session:
        cluster_structures(session)
        get_backend(settings).rebuild(iter_documents(session))
    return reports


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    return load_settings(environ={}, instance_dir=str(instance))


@pytest.fixture(scope="session")
def ingested(settings):
    return ingest_everything(settings)


@pytest.fixture(scope="session")
def app(settings, ingested):
    from app.factory import create_app

    flask_app = create_app(settings)
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()
