"""Geocoding of addresses without coordinates: the BAN (Base Adresse Nationale) through geopy.

Only used when ``REPERES_GEOCODER_URL`` is set (e.g. ``https://api-adresse.data.gouv.fr``); offline,
records fall back to their commune's centre and say so (``geo_precision = "commune"``). Answers are
kept in a persistent cache (SQLite in the instance folder), so a replayed or repeated run asks nothing.

Acceptance follows data·inclusion's pipeline: a result counts only if its score is above 0.75, it
lies in the record's commune (``citycode``, arrondissements folded to their city) and it is more
precise than the commune itself.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlparse

from geopy.exc import GeopyError
from geopy.geocoders import BANFrance

log = logging.getLogger(__name__)
MIN_SCORE = 0.75
_CITY_OF_ARRONDISSEMENT = {"751": "75056", "693": "69123", "132": "13055"}


@dataclass(frozen=True)
class GeocodedPoint:
    latitude: float
    longitude: float
    score: float
    label: str
    citycode: str


class _BAN(BANFrance):
    """geopy's BANFrance, with the ``postcode``/``citycode`` filters the service accepts."""

    def search(self, query: str, *, postcode: str | None = None, citycode: str | None = None):
        params = {"q": query, "limit": 1}
        if postcode:
            params["postcode"] = postcode
        if citycode:
            params["citycode"] = citycode
        url = f"{self.geocode_api}?{urlencode(params)}"
        return self._call_geocoder(url, partial(self._parse_json, exactly_one=True))


def _city(code: str | None) -> str | None:
    if not code:
        return None
    return _CITY_OF_ARRONDISSEMENT.get(code[:3], code) if code[:3] in _CITY_OF_ARRONDISSEMENT else code


class BanGeocoder:
    def __init__(self, base_url: str, cache_path: Path, timeout: float = 10.0) -> None:
        parsed = urlparse(base_url)
        self._ban = _BAN(domain=parsed.netloc, scheme=parsed.scheme or "https", timeout=timeout,
                         user_agent="reperes (offre d'insertion)")
        self._cache_path = cache_path
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with sqlite3.connect(cache_path) as con:
            con.execute("CREATE TABLE IF NOT EXISTS ban_cache(key TEXT PRIMARY KEY, answer TEXT)")
        self.asked = 0

    def geocode(self, adresse: str, code_postal: str | None, code_insee: str | None) -> GeocodedPoint | None:
        if not adresse or not adresse.strip():
            return None
        key = json.dumps([" ".join(adresse.upper().split()), code_postal or "", code_insee or ""])
        with self._lock, sqlite3.connect(self._cache_path) as con:
            row = con.execute("SELECT answer FROM ban_cache WHERE key = ?", (key,)).fetchone()
        if row is not None:
            answer = json.loads(row[0])
        else:
            try:
                # the INSEE code is the reliable filter (a commune may have several postcodes)
                location = (self._ban.search(adresse, citycode=code_insee) if code_insee
                            else self._ban.search(adresse, postcode=code_postal))
            except GeopyError as exc:  # network down, timeout, 5xx: fall back, do not cache
                log.warning("BAN unavailable for %r: %s", adresse, exc)
                return None
            self.asked += 1
            answer = location.raw if location is not None else None
            with self._lock, sqlite3.connect(self._cache_path) as con:
                con.execute("INSERT OR REPLACE INTO ban_cache VALUES (?, ?)", (key, json.dumps(answer)))
        return self._accept(answer, code_insee)

    @staticmethod
    def _accept(feature: dict | None, code_insee: str | None) -> GeocodedPoint | None:
        if not feature:
            return None
        props = feature.get("properties", {})
        if props.get("score", 0) <= MIN_SCORE or props.get("type") == "municipality":
            return None
        if code_insee and _city(props.get("citycode")) != _city(code_insee):
            return None
        lon, lat = feature["geometry"]["coordinates"]
        return GeocodedPoint(lat, lon, float(props["score"]), props.get("label", ""), props.get("citycode", ""))


def geocoder_from_settings(settings) -> BanGeocoder | None:
    url = (settings.geocoder_url or "").strip()
    if not url:
        return None
    return BanGeocoder(url, settings.instance_dir / "geocode-cache.sqlite3", timeout=settings.geocoder_timeout)
