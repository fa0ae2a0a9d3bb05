"""Writes normalised offers of one source: incremental upserts and retirement of vanished ones.

Bulk statements (executemany), not one ORM object per row: ingestion is dominated by writes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.core.models import Service, Structure, utcnow

CHUNK = 500


def content_hash(fields: dict[str, Any]) -> str:
    payload = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(payload).hexdigest()


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def upsert_source(session: Session, source: str, structures: list[dict], services: list[dict]) -> StoreCounts:
    """Bring the source's rows to exactly these structures and services.

    A row whose content hash did not change is not rewritten (only ``last_seen`` moves); a row
    the source no longer has is retired (``retired_at`` set), never silently kept nor deleted.
    Counts are of services (what people search for).
    """
    counts = StoreCounts()
    now = utcnow()
    for model, rows in ((Structure, structures), (Service, services)):
        existing = {rid: (digest, retired) for rid, digest, retired in session.execute(
            select(model.id, model.content_hash, model.retired_at).where(model.source == source))}
        new_rows, changed_rows, unchanged_ids = [], [], []
        for fields in rows:
            digest = content_hash(fields)
            known = existing.get(fields["id"])
            if known is None:
                new_rows.append({**fields, "content_hash": digest, "first_seen": now, "last_seen": now,
                                 "retired_at": None})
            elif known[0] != digest or known[1] is not None:
                changed_rows.append({**fields, "content_hash": digest, "last_seen": now, "retired_at": None})
            else:
                unchanged_ids.append(fields["id"])
        for chunk in _chunks(new_rows):
            session.execute(insert(model.__table__), chunk)  # Core executemany: no ORM bookkeeping per row
        for chunk in _chunks(changed_rows):
            session.execute(update(model), chunk)  # ORM bulk UPDATE by primary key
        for chunk in _chunks(unchanged_ids):
            session.execute(update(model).where(model.id.in_(chunk)).values(last_seen=now),
                            execution_options={"synchronize_session": False})
        seen = {f["id"] for f in rows}
        gone = [rid for rid, (_, retired) in existing.items() if rid not in seen and retired is None]
        for chunk in _chunks(gone):
            session.execute(update(model).where(model.id.in_(chunk)).values(retired_at=now),
                            execution_options={"synchronize_session": False})
        if model is Service:
            counts.new, counts.updated, counts.unchanged, counts.retired = (
                len(new_rows), len(changed_rows), len(unchanged_ids), len(gone))
    session.flush()
    return counts
