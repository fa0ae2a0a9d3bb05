"""The backend interface every search engine implements, and the factory that picks one."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterable

from app.search.query import SearchQuery, SearchResult


class SearchUnavailable(Exception):
    """The engine is down, timed out or has no index: the API answers 503, never an empty list."""


class SearchBackend(ABC):
    name: str

    @abstractmethod
    def rebuild(self, documents: Iterable[dict]) -> int:
        """Build a complete new index from these documents and switch to it atomically."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query; raise SearchUnavailable when the engine cannot answer."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents (raises SearchUnavailable)."""

    def health(self) -> dict:
        try:
            return {"backend": self.name, "status": "ok", "documents": self.count()}
        except SearchUnavailable as exc:
            return {"backend": self.name, "status": "unavailable", "error": str(exc)}


def get_backend(settings) -> SearchBackend:
    url = (settings.search_url or "embedded").strip()
    if url in ("", "embedded") or url.startswith("embedded:"):
        from app.search.embedded import EmbeddedBackend

        return EmbeddedBackend(settings.search_index_path)
    if url.startswith(("http://", "https://")):
        from app.search.opensearch import OpenSearchBackend

        return OpenSearchBackend(url, settings.opensearch_index, timeout=settings.opensearch_timeout)
    raise ValueError(f"REPERES_SEARCH_URL: unknown scheme in {url!r} (use 'embedded' or http(s)://)")
