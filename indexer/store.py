"""Writes normalised offers of one source: incremental upserts and retirement of vanished ones."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.models import Service, Structure, utcnow


def content_hash(fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def upsert_source(session: Session, source: str, structures: list[dict], services: list[dict]) -> StoreCounts:
    """Bring the source's rows to exactly these structures and services.

    A row whose content hash did not change is not rewritten (only ``last_seen`` moves); a row
    the source no longer has is retired (``retired_at`` set), never silently kept nor deleted.
    """
    counts = StoreCounts()
    now = utcnow()
    for model, rows in ((Structure, structures), (Service, services)):
        existing = {r.id: r for r in session.scalars(select(model).where(model.source == source))}
        seen: set[str] = set()
        for fields in rows:
            seen.add(fields["id"])
            digest = content_hash(fields)
            row = existing.get(fields["id"])
            if row is None:
                session.add(model(**fields, content_hash=digest, first_seen=now, last_seen=now))
                if model is Service:
                    counts.new += 1
            elif row.content_hash != digest or row.retired_at is not None:
                for key, value in fields.items():
                    setattr(row, key, value)
                row.content_hash, row.last_seen, row.retired_at = digest, now, None
                if model is Service:
                    counts.updated += 1
            else:
                row.last_seen = now
                if model is Service:
                    counts.unchanged += 1
        gone = [rid for rid, row in existing.items() if rid not in seen and row.retired_at is None]
        if gone:
            session.execute(update(model).where(model.id.in_(gone)).values(retired_at=now))
            if model is Service:
                counts.retired += len(gone)
        session.flush()
    return counts
