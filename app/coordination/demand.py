"""Demand signals: every search, logged without personal data, and what coordinators read from it.

``record_search(query, result)`` is called by :func:`app.services.search`. It keeps, for a search
made from a commune or with words (first page only: paging is not a new search):

* the day (no time), the commune (code INSEE) and its département;
* the needs asked for (``thematiques``) and those inferred from the words;
* the words, scrubbed: lower case, e-mail addresses, phone numbers, URLs and runs of 4+ digits
  removed, 200 characters at most;
* the number of results and the radius.

Never: the IP address, the user agent, cookies, coordinates (a point typed or located is a
person's whereabouts: only its commune is kept), publics or any other profile filter.
Lists without a place nor words (catalogue pages, ``GET /services``) are not searches of a
person and are not logged. Rows older than ``REPERES_SEARCH_LOG_RETENTION_DAYS`` are deleted.

Rows are written in batches (every ``FLUSH_ROWS`` searches or ``FLUSH_SECONDS``, before any reading
in the same process, and when the process exits): one transaction per search cost as much as the
search itself and made the web workers queue on SQLite's write lock. A worker killed without a clean
exit loses at most its last unwritten batch — statistics, not records of people.
"""
from __future__ import annotations

import datetime as dt
import logging
import atexit
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import delete, insert, select

from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.geo import geography
from app.core.models_coordination import SearchLog

log = logging.getLogger(__name__)

#: the only columns a demand-log row has (tests check nothing else is stored)
LOGGED_FIELDS = ("id", "day", "code_commune", "code_departement", "thematiques", "besoins_deduits", "mots",
                 "resultats", "rayon_km")
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_PHONE = re.compile(r"(?:\+|00)?\d[\d .\-/]{7,}\d")
_DIGITS = re.compile(r"\d{4,}")
_SPACES = re.compile(r"\s+")
#: one pruning every this many logged searches (on average)
_PRUNE_EVERY = 500


def scrub_words(text: str | None) -> str | None:
    """The words of a search without what could identify someone (see the module docstring)."""
    if not text:
        return None
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _PHONE.sub(" ", text)
    text = _DIGITS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip().lower()
    return text[:200] or None


def log_row(query, result, today: dt.date | None = None) -> dict | None:
    """The row to log for a search, or None when it is not a person's search (see above)."""
    if getattr(query, "page", 1) != 1:
        return None
    place = getattr(query, "place", None)
    words = (getattr(query, "q", None) or "").strip()
    if place is None and not words:
        return None
    if getattr(query, "departements", ()) or getattr(query, "communes", ()):
        return None  # a list of a territory's offer, not a search from somewhere
    commune = geography().commune(place.code_insee) if place is not None and place.code_insee else None
    return {
        "day": today or dt.date.today(),
        "code_commune": commune.code_insee if commune else None,
        "code_departement": commune.code_departement if commune else None,
        "thematiques": sorted(query.thematiques) or None,
        "besoins_deduits": sorted(getattr(result, "inferred_thematiques", ()) or ()) or None,
        "mots": scrub_words(words),
        "resultats": int(getattr(result, "total", 0) or 0),
        "rayon_km": float(query.rayon_km) if place is not None and query.rayon_km is not None else None,
    }


#: a batch of logged searches is written when it reaches this many rows or this age
FLUSH_ROWS = 50
FLUSH_SECONDS = 10.0


class _Pending:
    """Searches logged but not written yet, per database, with the retention to prune by."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}
        self.retention: dict[str, int] = {}
        self.since: float | None = None
        self.lock = threading.Lock()
        atexit.register(self.flush)

    def add(self, database_url: str, retention_days: int, row: dict) -> None:
        with self.lock:
            self.rows.setdefault(database_url, []).append(row)
            self.retention[database_url] = retention_days
            self.since = self.since or time.monotonic()
            due = (sum(map(len, self.rows.values())) >= FLUSH_ROWS
                   or time.monotonic() - self.since >= FLUSH_SECONDS)
        if due:
            self.flush()

    def flush(self, database_url: str | None = None) -> None:
        with self.lock:
            urls = [database_url] if database_url else list(self.rows)
            batches = {url: self.rows.pop(url) for url in urls if self.rows.get(url)}
            if not self.rows:
                self.since = None
        for url, rows in batches.items():
            try:
                with session_scope(url) as session:
                    session.execute(insert(SearchLog), rows)
                    if random.randrange(_PRUNE_EVERY) < len(rows):
                        prune(session, self.retention.get(url, 365))
            except Exception:  # noqa: BLE001
                log.warning("demand log: %d searches not recorded", len(rows), exc_info=True)


_pending = _Pending()


def flush_pending(database_url: str | None = None) -> None:
    """Write the searches this process has logged but not written yet."""
    _pending.flush(database_url)


def record_search(query, result, database_url: str | None = None, retention_days: int | None = None) -> None:
    """Log one search (never raises: a failing log must not fail the search)."""
    try:
        row = log_row(query, result)
        if row is None:
            return
        if database_url is None or retention_days is None:
            from flask import current_app

            settings = current_app.config["REPERES"]
            database_url = database_url or settings.database_url
            retention_days = retention_days or settings.search_log_retention_days
        _pending.add(database_url, retention_days, row)
    except Exception:  # noqa: BLE001
        log.warning("demand log: search not recorded", exc_info=True)


def prune(session, retention_days: int) -> None:
    session.execute(delete(SearchLog).where(SearchLog.day < dt.date.today() - dt.timedelta(days=retention_days)))


# -- reading -----------------------------------------------------------------------------------
@dataclass
class DemandRow:
    """Searches of one group (a need, a commune, an EPCI…)."""

    searches: int = 0
    zero: int = 0
    low: int = 0
    words: Counter = field(default_factory=Counter)

    @property
    def unmet(self) -> int:
        """Searches with no result or few results."""
        return self.low  # ``low`` includes ``zero``

    def add(self, entry: "LoggedSearch", low_results: int) -> None:
        self.searches += 1
        if entry.resultats == 0:
            self.zero += 1
        if entry.resultats <= low_results:
            self.low += 1
            if entry.mots:
                self.words[entry.mots] += 1


@dataclass(frozen=True)
class LoggedSearch:
    day: dt.date
    code_commune: str | None
    code_departement: str | None
    needs: frozenset[str]
    mots: str | None
    resultats: int


def load_searches(database_url: str, departements: Iterable[str], since: dt.date) -> list[LoggedSearch]:
    """Logged searches made from communes of these départements since a day."""
    deps = sorted(set(departements))
    flush_pending(database_url)
    with session_scope(database_url) as session:
        rows = session.execute(select(
            SearchLog.day, SearchLog.code_commune, SearchLog.code_departement, SearchLog.thematiques,
            SearchLog.besoins_deduits, SearchLog.mots, SearchLog.resultats,
        ).where(SearchLog.code_departement.in_(deps), SearchLog.day >= since)).all()
    out = []
    for day, commune, dep, asked, inferred, mots, resultats in rows:
        needs = voc.expand_thematiques(list(asked or []) + list(inferred or []))
        out.append(LoggedSearch(day, commune, dep, needs, mots, resultats))
    return out


def matches(entry: LoggedSearch, need: frozenset[str] | None) -> bool:
    """Whether a search was about a need (None: searches without any need)."""
    if need is None:
        return not entry.needs
    return bool(entry.needs & need)


def by_commune(entries: Iterable[LoggedSearch], need: frozenset[str] | None, low_results: int,
               communes: set[str] | None = None) -> dict[str, DemandRow]:
    out: dict[str, DemandRow] = {}
    for e in entries:
        if e.code_commune is None or (communes is not None and e.code_commune not in communes):
            continue
        if matches(e, need):
            out.setdefault(e.code_commune, DemandRow()).add(e, low_results)
    return out


def total(entries: Iterable[LoggedSearch], need: frozenset[str] | None, low_results: int,
          communes: set[str] | None = None) -> DemandRow:
    row = DemandRow()
    for e in entries:
        if communes is not None and e.code_commune not in communes:
            continue
        if matches(e, need):
            row.add(e, low_results)
    return row
