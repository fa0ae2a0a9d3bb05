"""The needs diagnostic pages (/diagnostic, /diagnostic/plan) on the bundled real data."""
from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from app.coordination.demand import LOGGED_FIELDS, flush_pending
from app.core import vocabularies as voc
from app.core.db import session_scope
from app.core.geo import geography, haversine_km
from app.core.models_coordination import SearchLog
from app.web import queries
from app.web.present import levier_of

MILLAU = {"lieu": "Millau", "code_commune": "12145"}
ANSWERS = {"freins": ["permis", "garde-enfants"], "projet": ["se-former"], "metier": "aide-soignante"}
SECTION = re.compile(r'<section class="groupe-besoin besoin-plan[^"]*" id="besoin-([^"]+)".*?</section>', re.S)
CARD_IDS = re.compile(r'<article class="fr-card fiche" data-service-id="([^"]+)"')


def plan_url(**extra) -> str:
    return "/diagnostic/plan?" + urlencode({**MILLAU, **ANSWERS, **extra}, doseq=True)


def services_of(app, ids):
    with app.app_context():
        return queries.services_by_ids(ids)


def sections(html: str) -> dict[str, list[str]]:
    return {m.group(1): CARD_IDS.findall(m.group(0)) for m in SECTION.finditer(html)}


@pytest.fixture(scope="module")
def plan_html(app):
    res = app.test_client().get(plan_url())
    assert res.status_code == 200, res.get_data(as_text=True)[:2000]
    return res.get_data(as_text=True)


def test_form_is_accessible_and_works_without_javascript(client):
    res = client.get("/diagnostic")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert html.count("<h1") == 1
    form = re.search(r'<form class="diagnostic" action="([^"]+)" method="get"', html)
    assert form and form.group(1) == "/diagnostic/plan"
    # every field has its label, every group of choices its legend
    for field_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id
    assert html.count("<fieldset") == html.count("<legend")
    for legend in ("Où habite la personne ?", "Âge", "Situation", "Freins", "Mobilité", "Garde d&#39;enfants", "Projet"):
        assert re.search(r"<legend[^>]*>\s*" + re.escape(legend), html), legend
    for name, value in (("freins", "permis"), ("freins", "garde-enfants"), ("projet", "se-former"),
                        ("situation", "rsa"), ("age", "moins-de-26")):
        assert f'name="{name}" value="{value}"' in html
    assert "<script>" not in html and "style=" not in html
    assert res.headers["Referrer-Policy"] == "no-referrer" and "no-store" in res.headers["Cache-Control"]


def test_home_links_to_the_diagnostic(client):
    assert 'href="/diagnostic"' in client.get("/").get_data(as_text=True)


def test_millau_plan_has_one_section_per_need_each_with_real_offers(app, plan_html):
    found = sections(plan_html)
    # childcare first (training depends on it), then mobility, then the training project
    assert list(found) == ["garde-enfants", "mobilite", "formation"]
    assert plan_html.count("<h1") == 1 and "Millau" in re.search(r"<h1>(.*?)</h1>", plan_html).group(1)
    millau = geography().commune("12145")
    for lever, ids in found.items():
        assert ids, f"no offer for {lever}"
        lv = voc.levier(lever)
        services = services_of(app, ids)
        assert len(services) == len(ids)
        for s in services:
            assert set(s.thematiques or ()) & set(lv.thematiques), (lever, s.id, s.thematiques)
            assert not s.zone_eligibilite or set(s.zone_eligibilite) & set(millau.zone_codes), s.zone_eligibilite
            if s.latitude is not None and "a-distance" not in (s.modes_accueil or []):
                assert haversine_km(millau.lat, millau.lon, s.latitude, s.longitude) <= 50.5
        # each offer can be added to the selection under this need
        block = next(m.group(0) for m in SECTION.finditer(plan_html) if m.group(1) == lever)
        assert block.count('data-action="ajouter-selection"') == len(ids)
        assert set(re.findall(r'data-levier="([^"]+)" data-js-only', block)) == {lever}


def test_plan_shows_the_answers_and_why_each_need(plan_html):
    text = unescape(re.sub(r"\s+", " ", plan_html))
    assert "Pas de permis de conduire" in text and "Pas de solution de garde" in text
    assert "Se former (qualification, reconversion)" in text
    assert "aide-soignante" in text  # written on the plan…
    assert "La garde doit être trouvée avant" in text
    modify = unescape(re.search(r'href="([^"]+)">Modifier les réponses', plan_html).group(1))
    query = parse_qs(urlsplit(modify).query)
    assert urlsplit(modify).path == "/diagnostic"
    assert sorted(query["freins"]) == ["garde-enfants", "permis"] and query["projet"] == ["se-former"]
    assert query["code_commune"] == ["12145"] and query["metier"] == ["aide-soignante"]


def test_the_form_comes_back_filled(client):
    html = client.get("/diagnostic?" + urlencode({**MILLAU, **ANSWERS}, doseq=True)).get_data(as_text=True)
    for field_id in ("freins-permis", "freins-garde-enfants", "projet-se-former"):
        assert re.search(rf'id="{field_id}"[^>]* checked', html), field_id
    assert not re.search(r'id="freins-vehicule"[^>]* checked', html)
    assert 'value="aide-soignante"' in html and 'value="12145"' in html


def test_see_all_links_open_the_results_of_each_need(client, plan_html):
    links = [unescape(u) for u in re.findall(r'<a class="fr-link[^"]*" href="(/recherche\?[^"]+)">Voir toutes', plan_html)]
    assert len(links) == 3
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["code_commune"] == ["12145"]
        res = client.get(link)
        assert res.status_code == 200 and CARD_IDS.search(res.get_data(as_text=True))


def test_typed_commune_without_javascript(client):
    html = client.get("/diagnostic/plan?" + urlencode({"lieu": "millau", **ANSWERS}, doseq=True)).get_data(as_text=True)
    assert list(sections(html)) == ["garde-enfants", "mobilite", "formation"]


@pytest.mark.parametrize("params,message", [
    ({**MILLAU, "freins": ["permis", "licorne"]}, "« Freins » : réponse inconnue « licorne »"),
    ({**MILLAU, "age": ["moins-de-26", "50-et-plus"]}, "« Âge » : une seule réponse possible"),
    ({"freins": ["permis"]}, "Indiquez la commune"),
    ({"lieu": "Nullepart-sur-Mer", "freins": ["permis"]}, "Commune introuvable"),
    ({**MILLAU, "situation": ["rsa"]}, "Cochez au moins un frein ou un projet"),
])
def test_bad_answers_give_the_form_back_with_the_reason(client, params, message):
    res = client.get("/diagnostic/plan?" + urlencode(params, doseq=True))
    assert res.status_code == 400 and res.headers["Referrer-Policy"] == "no-referrer"
    html = unescape(res.get_data(as_text=True))
    assert message in html and '<form class="diagnostic"' in html and html.count("<h1") == 1


def test_answers_are_neither_stored_nor_logged(app, settings, caplog):
    """The plan's searches are logged like ordinary searches (commune, sub-themes, count, radius):
    never the answers, the publics or the words; no log line carries them either."""
    url = settings.database_url
    flush_pending(url)
    with session_scope(url) as session:
        before = session.scalar(select(SearchLog.id).order_by(SearchLog.id.desc()).limit(1)) or 0
    with caplog.at_level(logging.DEBUG):
        res = app.test_client().get(plan_url(situation=["rsa", "handicap"], age="moins-de-26"))
    assert res.status_code == 200
    assert res.headers["Referrer-Policy"] == "no-referrer" and "no-store" in res.headers["Cache-Control"]
    flush_pending(url)
    with session_scope(url) as session:
        rows = list(session.scalars(select(SearchLog).where(SearchLog.id > before)))
        session.expunge_all()
    needs = {lv: set(voc.levier(lv).thematiques) for lv in ("garde-enfants", "mobilite", "formation")}
    assert len(rows) >= 3
    for row in rows:
        assert row.code_commune == "12145" and row.mots is None and row.besoins_deduits is None
        assert any(set(row.thematiques) <= themes for themes in needs.values()), row.thematiques
        stored = " ".join(str(getattr(row, f)) for f in LOGGED_FIELDS)
        for secret in ("aide-soignante", "rsa", "handicap", "jeunes", "minimas", "moins-de-26"):
            assert secret not in stored
    logged = " ".join(r.getMessage() for r in caplog.records)
    for secret in ("aide-soignante", "garde-enfants", "moins-de-26", "handicap"):
        assert secret not in logged


def test_selection_files_each_service_under_the_need_it_was_added_for(app, client, plan_html):
    """A service found for mobility whose first theme belongs to another lever stays under
    "Mobilité" in the selection (and its PDF) when added from the plan."""
    found = sections(plan_html)
    mobility = voc.levier("mobilite")
    other = next((s for s in services_of(app, found["mobilite"]) if levier_of(s) != mobility), None)
    if other is None:  # the nearest mobility offers are all mobility-first: look further in the results
        html = client.get("/recherche?code_commune=12145&levier=mobilite").get_data(as_text=True)
        other = next(s for s in services_of(app, CARD_IDS.findall(html)) if levier_of(s) != mobility)
    plain = client.get(f"/selection?ids={other.id}").get_data(as_text=True)
    assert 'id="besoin-mobilite"' not in plain
    filed = client.get(f"/selection?ids={other.id}&besoins=mobilite").get_data(as_text=True)
    assert 'id="besoin-mobilite"' in filed
    share = unescape(re.search(r'id="lien-partage" type="text" readonly value="([^"]+)"', filed).group(1))
    assert parse_qs(urlsplit(share).query)["besoins"] == ["mobilite"]
    # misaligned or unknown needs fall back to the service's own
    for bad in (f"ids={other.id}&besoins=mobilite,formation", f"ids={other.id}&besoins=licorne"):
        assert 'id="besoin-mobilite"' not in client.get(f"/selection?{bad}").get_data(as_text=True)


def test_plan_selection_prints_as_one_pdf_with_every_need(client, plan_html):
    from tests.browser.conftest import pdf_text

    chosen = [(lever, ids[0]) for lever, ids in sections(plan_html).items()]
    query = urlencode({"ids": ",".join(i for _, i in chosen), "besoins": ",".join(lv for lv, _ in chosen)})
    html = client.get(f"/selection?{query}").get_data(as_text=True)
    groups = re.findall(r'<section class="groupe-besoin fr-mb-4w" aria-labelledby="besoin-([^"]+)"', html)
    assert sorted(groups) == sorted(lv for lv, _ in chosen)
    res = client.get(f"/selection.pdf?{query}")
    assert res.status_code == 200 and res.data.startswith(b"%PDF")
    text = re.sub(r"\s+", " ", pdf_text(res.data)).replace("’", "'")
    for lever, _ in chosen:
        assert voc.levier(lever).label in text
