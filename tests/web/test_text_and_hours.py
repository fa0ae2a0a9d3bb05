"""Producer text sanitising, dates, and opening hours (pure functions)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.web import text
from app.web.hours import read_hours

PARIS = ZoneInfo("Europe/Paris")
MONDAY_10H = dt.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)


def test_rich_text_removes_scripts_and_dangerous_links():
    html = str(text.rich('<p onclick="x()">Bonjour <script>alert(1)</script><a href="javascript:alert(1)">ici</a></p>'
                         '<h1>Titre</h1><img src=x onerror=alert(1)>'))
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert "<h1" not in html and "Titre" in html and "<img" not in html


def test_markdown_ish_text_becomes_paragraphs_lists_and_links():
    html = str(text.rich("Pour qui :\n- jeunes\n- **seniors**\n\nVoir https://exemple.fr/page et [le site](https://a.fr)."))
    assert "<ul><li>jeunes</li><li><strong>seniors</strong></li></ul>" in html
    assert '<a href="https://exemple.fr/page" rel="noopener noreferrer nofollow">' in html
    assert '<a href="https://a.fr" rel="noopener noreferrer nofollow">le site</a>' in html
    assert str(text.rich("a < b & c")) == "<p>a &lt; b &amp; c</p>"


def test_plain_text_and_safe_urls():
    assert text.plain("<b>Atelier</b> **CV**  et\nlettre", 100) == "Atelier CV et lettre"
    assert text.plain("mot " * 100, 20).endswith("…")
    assert text.safe_url("https://exemple.fr") == "https://exemple.fr"
    assert text.safe_url("javascript:alert(1)") is None and text.safe_url("data:text/html,x") is None


def test_dates_and_freshness():
    assert text.date_fr(dt.date(2022, 6, 1)) == "1er juin 2022"
    today = dt.date(2026, 11, 23)
    assert text.freshness(dt.date(2026, 11, 1), today)[0] == "recent"
    assert text.freshness(dt.date(2025, 6, 1), today) == ("ancien", "il y a 1 an")
    assert text.freshness(dt.date(2022, 6, 20), today) == ("perime", "il y a 4 ans")
    assert text.freshness(None)[0] == "inconnu"


def test_phone_numbers_read_the_french_way():
    assert text.phone("+33565680000") == "05 65 68 00 00"
    assert text.phone("n'importe") == "n'importe"


def test_open_now_from_osm_hours():
    hours = read_hours("Mo-Fr 08:30-12:00,13:30-17:00; Th off", "12202", MONDAY_10H)
    assert hours.status == "ouvert" and hours.label == "Ouvert · ferme à 12:00"
    assert hours.week[0] == ("Lundi", "08:30–12:00, 13:30–17:00") and hours.week[3] == ("Jeudi", "fermé")
    closed = read_hours("Sa 09:00-12:00", "12202", MONDAY_10H)
    assert closed.status == "ferme" and closed.label == "Fermé · ouvre samedi à 09:00"
    tomorrow = read_hours("Tu 08:00-12:00", "12202", MONDAY_10H)
    assert tomorrow.label == "Fermé · ouvre demain à 08:00"


def test_hours_in_the_places_time_zone():
    # 10:00 in Paris is 13:00 in La Réunion
    hours = read_hours("Mo 12:00-14:00", "97411", MONDAY_10H)
    assert hours.status == "ouvert"


def test_unreadable_or_missing_hours_are_never_guessed():
    free = read_hours("Du lundi au vendredi 9h-12h", "12202", MONDAY_10H)
    assert free.status == "illisible" and free.label == "Horaires non lisibles" and free.raw
    assert read_hours(None).status == "absent"
    rdv = read_hours('Mo-Fr 09:00-12:00 "sur rendez-vous"', "12202", MONDAY_10H)
    assert rdv.status == "inconnu" and not rdv.is_open
