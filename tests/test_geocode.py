"""BAN geocoding through geopy, against recorded real responses replayed on loopback."""
from __future__ import annotations

from indexer.geocode import BanGeocoder
from tests.ban_server import ban_server


def test_precise_address_is_accepted_and_cached(tmp_path):
    with ban_server() as (url, calls):
        geocoder = BanGeocoder(url, tmp_path / "cache.sqlite3", timeout=5)
        point = geocoder.geocode("18 rue Duhesme", None, "75118")
        assert point is not None
        assert (round(point.latitude, 6), round(point.longitude, 6)) == (48.890787, 2.338562)
        assert point.score > 0.75 and point.citycode == "75118"
        assert calls[-1]["citycode"] == "75118"
        again = geocoder.geocode("18  RUE DUHESME", None, "75118")
        assert again == point and len(calls) == 1, "the second answer comes from the cache"
    # the cache persists without the service
    offline = BanGeocoder("http://127.0.0.1:9", tmp_path / "cache.sqlite3", timeout=1)
    assert offline.geocode("18 rue Duhesme", None, "75118") == point


def test_low_score_and_no_result_are_refused(tmp_path):
    with ban_server() as (url, calls):
        geocoder = BanGeocoder(url, tmp_path / "cache.sqlite3", timeout=5)
        # real answer with score 0.52: below data·inclusion's 0.75 threshold
        assert geocoder.geocode("10 PL 5 MARTYRS LYCEE BUFFON", "75015", None) is None
        assert geocoder.geocode("10 PL 5 ANATOLE", "75010", None) is None
        assert len(calls) == 2


def test_wrong_commune_is_refused(tmp_path):
    with ban_server() as (url, _):
        geocoder = BanGeocoder(url, tmp_path / "cache.sqlite3", timeout=5)
        assert geocoder._accept(
            {"geometry": {"coordinates": [2.3, 48.8]}, "properties": {"score": 0.99, "type": "housenumber",
                                                                      "citycode": "75118"}}, "12202") is None


def test_service_down_falls_back_without_caching(tmp_path):
    geocoder = BanGeocoder("http://127.0.0.1:9", tmp_path / "cache.sqlite3", timeout=1)
    assert geocoder.geocode("1 place de la mairie", "12000", "12202") is None
    assert geocoder.asked == 0
