"""Opening hours: OSM ``opening_hours`` strings (data·inclusion's format) read with the PyPI package
``opening-hours-py`` (module ``opening_hours``), in the place's own time zone, with French words.

Anything it cannot parse (free text such as "du lundi au vendredi 9h-12h") is shown as the producer
wrote it, under "horaires non lisibles"; "ouvert maintenant" is then unknown, never guessed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

try:  # optional at import time: without it every schedule is "non lisible"
    import opening_hours as _oh
except ImportError:  # pragma: no cover - the package is a declared dependency
    _oh = None

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_TIMEZONES = {"971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne",
              "974": "Indian/Reunion", "976": "Indian/Mayotte", "975": "America/Miquelon"}


@dataclass(frozen=True)
class Hours:
    #: ``ouvert``, ``ferme``, ``inconnu`` (parsed, but the state depends on a comment/unknown rule),
    #: ``illisible`` (not OSM syntax), ``absent`` (no hours given)
    status: str
    #: short French phrase: "Ouvert · ferme à 17:00", "Fermé · ouvre demain à 09:00"
    label: str
    #: the current week, Monday first: (day, "09:00–12:00, 13:30–17:00" or "fermé")
    week: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: what the producer wrote, shown when it could not be read
    raw: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "ouvert"


def timezone_for(code_insee: str | None) -> ZoneInfo:
    return ZoneInfo(_TIMEZONES.get((code_insee or "")[:3], "Europe/Paris"))


@lru_cache(maxsize=4096)
def _parse(text: str, tz_name: str):
    if _oh is None:
        return None
    try:
        return _oh.OpeningHours(text, timezone=ZoneInfo(tz_name), country="FR")
    except Exception:  # ParserError, SyntaxError, UnknownCountryError…: not readable
        return None


def _hm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def _when(change: dt.datetime, now: dt.datetime) -> str:
    days = (change.date() - now.date()).days
    if days == 0:
        return f"à {_hm(change)}"
    if days == 1:
        return f"demain à {_hm(change)}"
    if days < 7:
        return f"{DAYS[change.weekday()]} à {_hm(change)}"
    return f"le {change.strftime('%d/%m')} à {_hm(change)}"


def read_hours(text: str | None, code_insee: str | None = None, now: dt.datetime | None = None) -> Hours:
    """The opening state now and this week's hours, or why they cannot be told."""
    if not text or not text.strip():
        return Hours("absent", "Horaires non communiqués")
    tz = timezone_for(code_insee)
    parsed = _parse(text.strip(), tz.key)
    if parsed is None:
        return Hours("illisible", "Horaires non lisibles", raw=text.strip())
    now = (now or dt.datetime.now(tz)).astimezone(tz)
    try:
        state, comment = parsed.state(now)
        week = _week(parsed, now)
        change = parsed.next_change(now)
    except Exception:  # a rule the library parses but cannot evaluate
        return Hours("illisible", "Horaires non lisibles", raw=text.strip())
    if change is not None and change.tzinfo is None:
        change = change.replace(tzinfo=tz)
    if change is not None and (change - now).days > 30:
        change = None
    name = getattr(state, "name", str(state)).upper()
    if name == "OPEN" and comment:  # "sur rendez-vous": open only in a sense, never "ouvert maintenant"
        return Hours("inconnu", comment[:1].upper() + comment[1:], week, raw=text.strip())
    if name == "OPEN":
        label = "Ouvert" + (f" · ferme {_when(change, now)}" if change else "")
        return Hours("ouvert", label, week)
    if name == "CLOSED":
        label = "Fermé" + (f" · ouvre {_when(change, now)}" if change else "")
        return Hours("ferme", label, week)
    return Hours("inconnu", "Ouverture à vérifier", week, raw=text.strip())


def _week(parsed, now: dt.datetime) -> tuple[tuple[str, str], ...]:
    monday = (now - dt.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    end = monday + dt.timedelta(days=7)
    slots: list[list[str]] = [[] for _ in range(7)]
    for start, stop, state, comment in parsed.intervals(monday, end):
        if getattr(state, "name", str(state)).upper() != "OPEN":
            continue
        start = start.replace(tzinfo=now.tzinfo) if start.tzinfo is None else start
        stop = stop.replace(tzinfo=now.tzinfo) if stop is not None and stop.tzinfo is None else (stop or end)
        cursor = start
        while cursor < stop:  # split intervals that run past midnight
            day_end = (cursor + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            piece_end = min(stop, day_end)
            index = (cursor.date() - monday.date()).days
            if 0 <= index < 7:
                until = "24:00" if piece_end == day_end else _hm(piece_end)
                slot = f"{_hm(cursor)}–{until}"
                if comment:
                    slot = comment if slot == "00:00–24:00" else f"{slot} ({comment})"
                slots[index].append(slot)
            cursor = piece_end
    return tuple((DAYS[i].capitalize(), ", ".join(s) if s else "fermé") for i, s in enumerate(slots))
