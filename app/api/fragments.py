"""Ready-made API JSON of services, so a search page is not re-serialised service by service.

Why: dumping twenty services with their structure through marshmallow, after loading them through
the ORM, cost more than the search itself (≈ 7 of 12 ms a page on the bundled data). A service's JSON
changes only when its own content or its structure's changes, and the indexer writes a content hash
for both (``indexer/store.py``). So each worker keeps the bytes of the services it has served (an LRU
bounded by ``REPERES_API_CACHE_SIZE``) and checks them against both hashes with one narrow query per
page: an updated, retired or deleted service is never served stale. Misses go through the same
marshmallow schema as before (:class:`app.api.schemas.ServiceSchema`), which stays the one authority on
the shape of a service.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable

import orjson
from sqlalchemy import select

from app.core.db import engine_for, session_scope
from app.core.models import Service, Structure

Stamp = tuple[str, str]


class ServiceJsonCache:
    """``id -> (stamp, JSON bytes)``, least recently used first out."""

    def __init__(self, maxsize: int, dump) -> None:
        self.maxsize = maxsize
        self._dump = dump  # Service -> dict, the API's schema
        self._entries: OrderedDict[str, tuple[Stamp, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, database_url: str, ids: Iterable[str]) -> dict[str, bytes]:
        """The JSON of every id that exists in the database (missing ids are left out)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        stamps = self._stamps(database_url, ids) if self.maxsize > 0 else {}
        found: dict[str, bytes] = {}
        with self._lock:
            for service_id, stamp in stamps.items():
                entry = self._entries.get(service_id)
                if entry is not None and entry[0] == stamp:
                    self._entries.move_to_end(service_id)
                    found[service_id] = entry[1]
        missing = [i for i in ids if i not in found]
        self.hits += len(found)
        self.misses += len(missing)
        if missing:
            found.update(self._load(database_url, missing))
        return found

    @staticmethod
    def _stamps(database_url: str, ids: list[str]) -> dict[str, Stamp]:
        stmt = (select(Service.id, Service.content_hash, Structure.content_hash)
                .join(Structure, Structure.id == Service.structure_id).where(Service.id.in_(ids)))
        with engine_for(database_url).connect() as conn:
            return {row[0]: (row[1], row[2]) for row in conn.execute(stmt) if row[1] and row[2]}

    def _load(self, database_url: str, ids: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with session_scope(database_url) as session:
            for service in session.scalars(select(Service).where(Service.id.in_(ids))).unique():
                body = orjson.dumps(self._dump(service))
                out[service.id] = body
                if self.maxsize > 0 and service.content_hash and service.structure.content_hash:
                    self._put(service.id, (service.content_hash, service.structure.content_hash), body)
        return out

    def _put(self, service_id: str, stamp: Stamp, body: bytes) -> None:
        with self._lock:
            self._entries[service_id] = (stamp, body)
            self._entries.move_to_end(service_id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
