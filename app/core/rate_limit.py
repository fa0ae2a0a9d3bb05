"""Attempts counted per key over a sliding window, in the database so every worker sees them.

Used for failed logins and for the public's feedback; a table of ``key`` and ``at`` columns each.
Nothing is kept beyond the window.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from app.core.db import session_scope
from app.core.models import utcnow


def recent(url: str, model, key: str, window: dt.timedelta) -> int:
    """Attempts under ``key`` within the window."""
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model).where(
            model.key == key, model.at > utcnow() - window)) or 0


def record(url: str, model, key: str, window: dt.timedelta) -> None:
    """One more attempt under ``key``; older ones beyond the window are deleted."""
    with session_scope(url) as session:
        session.add(model(key=key, at=utcnow()))
        session.execute(delete(model).where(model.at <= utcnow() - window))
