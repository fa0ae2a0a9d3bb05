"""One contract suite, every backend: the ``search_backend`` fixture builds an index from given
documents on the embedded backend and on a real OpenSearch node."""
from __future__ import annotations

import uuid

import pytest

from app.search.embedded import EmbeddedBackend

BACKENDS = ["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)]


@pytest.fixture(params=BACKENDS)
def build_backend(request, tmp_path):
    """Call with a list of documents; returns a backend holding exactly those documents."""
    created = []

    def build(documents: list[dict]):
        if request.param == "embedded":
            backend = EmbeddedBackend(tmp_path / f"index-{uuid.uuid4().hex[:8]}.sqlite3")
        else:
            from app.search.opensearch import OpenSearchBackend
            from tests.opensearch_node import opensearch_url

            backend = OpenSearchBackend(opensearch_url(), f"test-{uuid.uuid4().hex[:10]}", timeout=30)
            created.append(backend)
        backend.rebuild(documents)
        return backend

    yield build
    for backend in created:
        backend.drop()
