"""The search seam: one query and one result in domain words, two backends behind one interface.

``get_backend(settings)`` picks the backend from ``REPERES_SEARCH_URL``: ``embedded`` (default,
SQLite FTS5 + R*Tree, no server) or ``http(s)://…`` (OpenSearch).
"""
from app.search.backend import SearchBackend, SearchUnavailable, get_backend
from app.search.query import FACET_FIELDS, Place, SearchHit, SearchQuery, SearchResult

__all__ = ["FACET_FIELDS", "Place", "SearchBackend", "SearchHit", "SearchQuery", "SearchResult",
           "SearchUnavailable", "get_backend"]
