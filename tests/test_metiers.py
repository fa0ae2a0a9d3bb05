"""Métiers: the ROME resolver (pure), the codes the connectors give real records, the /metiers pages and
/api/v1/metiers on the bundled data (tests/conftest.py ingests everything once per session)."""
from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

from app.core.db import session_scope
from app.core.metiers import METIERS_DIR, normalise_code, referentiel
from app.core.models import Service

# Real records (bundled files) the tests rely on
PLAQUISTE_VEIGNE = ("lheo--07_10--07_114782", "lheo--07_10--07_123324")  # AFPA, Titre professionnel plaquiste, F1604
GEIQ_BTP_37 = "geiq--50805213100028-alternance"                            # Chambray-lès-Tours (37208)
GEIQ_BTP_12 = "geiq--50163193100018-alternance"                            # Onet-le-Château (12176)
MENAGE_CARCASSONNE = "siae--48093440500030-ei-011"                         # NAF 8121Z, Carcassonne
PMSMP_SAINT_PIERRE = "data-inclusion--dora--4b4f7d96-2be7-4bb9-ac7a-5fd938e77557"  # « PMSMP », 97410


# -- the referential and the resolver (no database) ---------------------------------------------
def test_referential_is_the_rome_v3_tree():
    r = referentiel()
    by_level = {n: sum(1 for c in r.metiers if len(c) == n) for n in (1, 3, 5)}
    assert by_level == {1: 14, 3: 110, 5: 532}
    assert r.get("K2204").libelle == "Nettoyage de locaux" and r.get("k2204").code == "K2204"
    assert [p.code for p in r.parents("K2204")] == ["K", "K22"]
    assert [c.code for c in r.children("K22")] == ["K2201", "K2202", "K2203", "K2204"]
    assert r.get("A9999") is None and r.get("Z1234") is None


def test_every_bundled_appellation_and_source_mapping_names_a_real_code():
    r = referentiel()
    with open(METIERS_DIR / "appellations.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert len(rows) > 100
    unknown = [(row["appellation"], c) for row in rows for c in row["codes"].split() if c not in r.metiers]
    assert unknown == []
    from indexer.connectors.siae import GEIQ_SECTEURS_ROME, NAF_ROME

    assert [c for codes in (*NAF_ROME.values(), *GEIQ_SECTEURS_ROME.values()) for c in codes if c not in r.metiers] == []


@pytest.mark.parametrize("value, expected", [
    ("K2204", "K2204"), ("k 2204", "K2204"), ("K22", "K22"), ("f", "F"), ("K22O4", None), ("Z1234", None),
    ("K220", None), ("", None), (None, None), ("12345", None),
])
def test_normalise_code(value, expected):
    assert normalise_code(value) == expected


@pytest.mark.parametrize("typed, first, appellation", [
    ("K2204", "K2204", None),
    ("k22", "K22", None),
    ("plaquiste", "F1604", "Plaquiste"),
    ("aide soignante", "J1501", "Aide-soignant"),     # feminine, two words: stems match
    ("maçon", "F1703", None),                         # prefix of « Maçonnerie »
    ("net loc", "K2204", None),                       # autocompletion: cut words
    ("cariste", "N1101", "Cariste"),
    ("boulangère", "D1102", "Boulanger"),
])
def test_suggest_finds_the_metier_first(typed, first, appellation):
    found = referentiel().suggest(typed)
    assert found and found[0].code == first, [(s.code, s.libelle) for s in found[:3]]
    assert found[0].appellation == appellation


def test_suggest_lists_every_reading_and_nothing_for_noise():
    r = referentiel()
    codes = [s.code for s in r.suggest("agent d'entretien", limit=10)]
    assert {"K2204", "I1203"} <= set(codes), "the appellation names two fiches"
    assert "D" not in codes, "the elided « d » is not the grand domaine D"
    assert r.suggest("xyzzy") == [] and r.suggest("") == [] and r.suggest(None) == []
    assert r.suggest("K2204 nettoyage")[0].code == "K2204", "a code typed with words comes first"
    assert r.resolve("plaquiste").code == "F1604" and r.resolve("A9999") is None


def test_expand_goes_up_to_the_declaring_levels_and_down_to_the_fiches():
    r = referentiel()
    assert r.expand("K2204") == ("K2204", "K22", "K")
    k22 = r.expand("K22")
    assert k22[:2] == ("K22", "K") and set(k22[2:]) == {"K2201", "K2202", "K2203", "K2204"}
    assert len(r.expand("K")) == 1 + len(r.children("K")) + len(r.fiches("K")) == 1 + 15 + 71
    assert r.expand("A9999") == ()


# -- codes given to real records at ingestion --------------------------------------------------------
@pytest.fixture(scope="module")
def codes_of(settings, ingested):
    with session_scope(settings.database_url) as session:
        rows = session.execute(select(Service.id, Service.source, Service.extra)).all()
    return {i: (src, list((extra or {}).get("codes_rome") or []), (extra or {}).get("codes_rome_origine"))
            for i, src, extra in rows}


def test_connectors_store_the_rome_codes_of_real_records(codes_of):
    for sid in PLAQUISTE_VEIGNE:
        assert codes_of[sid][1] == ["F1604"], "LHEO: the action's code-ROME"
    assert codes_of[GEIQ_BTP_37][1] == ["F13", "F15", "F16", "F17"] and "secteur" in codes_of[GEIQ_BTP_37][2]
    assert codes_of[MENAGE_CARCASSONNE][1] == ["K2204"] and "NAF" in codes_of[MENAGE_CARCASSONNE][2]
    declared = [v for v in codes_of.values() if v[0] == "siae" and v[2] == "métiers déclarés par la structure"]
    assert len(declared) > 100, "the SIAE jobs file gives declared métiers"
    rome = referentiel()
    assert all(c in rome.metiers for _, codes, _ in codes_of.values() for c in codes), "only ROME v3 codes"
    assert not any(codes for src, codes, _ in codes_of.values() if src not in ("lheo", "siae", "geiq"))


# -- pages -----------------------------------------------------------------------------------------
def totals(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'id="section-(\w+)".*?data-total="(\d+)"', html, re.S)}


def section(html: str, key: str) -> str:
    return html.split(f'id="section-{key}"', 1)[1].split("</section>", 1)[0]


def test_search_form_and_label_resolution(client):
    page = client.get("/metiers")
    assert page.status_code == 200 and "Chercher par métier" in page.text
    page = client.get("/metiers?q=plaquiste&code_commune=37266")
    assert page.status_code == 200
    assert 'href="/metiers/F1604?rayon_km=50&amp;code_commune=37266"' in page.text and "« Plaquiste »" in page.text
    page = client.get("/metiers?q=K2204&code_commune=11069&rayon_km=20")
    assert page.status_code == 302 and page.headers["Location"].startswith("/metiers/K2204?")
    assert "code_commune=11069" in page.headers["Location"]
    page = client.get("/metiers?q=xyzzy")
    assert page.status_code == 200 and "Aucun métier ne correspond" in page.text
    assert client.get("/metiers?q=macon&lieu=Nulle-Part-Sur-Rien").status_code == 400


def test_metier_page_training_and_employers_near_veigne(client):
    page = client.get("/metiers/F1604?code_commune=37266&rayon_km=30")
    assert page.status_code == 200
    html = page.text
    assert "<h1><span class=\"code-rome\">F1604</span> Montage d&#39;agencements" in html
    assert totals(html)["formations"] == 2
    formations = section(html, "formations")
    assert all(f'/services/{sid}"' in formations for sid in PLAQUISTE_VEIGNE)
    assert "Lié au métier par : F1604 Montage d&#39;agencements" in formations
    immersions = section(html, "immersions")
    assert f'/services/{GEIQ_BTP_37}"' in immersions and "F16 Second oeuvre" in immersions
    # 30 km is a real limit: the plaquiste training at Veigné is not offered around Orléans
    page = client.get("/metiers/F1604?code_commune=45234&rayon_km=30")
    assert totals(page.text)["formations"] == 0 and "Aucune offre à moins de 30 km" in section(page.text, "formations")


def test_metier_page_employers_in_aude_and_aveyron(client):
    html = client.get("/metiers/K2204?code_commune=11069&rayon_km=20").text
    assert totals(html)["formations"] == 0
    assert f'/services/{MENAGE_CARCASSONNE}"' in section(html, "immersions")
    assert "Lié au métier par : K2204 Nettoyage de locaux" in section(html, "immersions")
    html = client.get("/metiers/F1703?code_commune=12202&rayon_km=20").text
    assert f'/services/{GEIQ_BTP_12}"' in section(html, "immersions"), "GEIQ BTP 12 recruits masons (F17)"
    assert totals(html)["decouvrir"] > 0
    # a domaine page: the GEIQ propreté-type link works upwards too
    html = client.get("/metiers/K22?code_commune=11069&rayon_km=20").text
    assert f'/services/{MENAGE_CARCASSONNE}"' in section(html, "immersions")


def test_discover_section_puts_immersion_schemes_first(client):
    html = client.get("/metiers/K2204?code_commune=97410&rayon_km=20").text
    decouvrir = section(html, "decouvrir")
    first = re.findall(r'<a href="/services/([^"]+)"', decouvrir)
    assert first[0] == PMSMP_SAINT_PIERRE, first[:3]


def test_place_and_radius_parameters(client):
    page = client.get("/metiers/K2204?code_commune=11069&lieu=Albi")
    assert "autour de Albi" in page.text, "the typed place wins over a stale hidden code (no JavaScript)"
    page = client.get("/metiers/K2204?lieu=12000&rayon_km=15")
    assert page.status_code == 200 and "autour de Rodez (15 km)" in page.text
    for bad in ("abc", "nan"):
        page = client.get(f"/metiers/K2204?code_commune=11069&rayon_km={bad}")
        assert page.status_code == 400 and "Distance invalide" in page.text


def test_unknown_or_malformed_code_is_a_clear_404(client):
    page = client.get("/metiers/A9999")
    assert page.status_code == 404 and "Code ROME inconnu : A9999" in page.text
    page = client.get("/metiers/K22O4")
    assert page.status_code == 404 and "n&#39;est pas un code ROME" in page.text
    page = client.get("/metiers/k2204?code_commune=11069")
    assert page.status_code == 301 and page.headers["Location"] == "/metiers/K2204?code_commune=11069"


def test_suggestions_json(client):
    found = client.get("/metiers/suggestions?q=aide soi").json
    assert found[0]["code"] == "J1501" and found[0]["appellation"] == "Aide-soignant"
    assert client.get("/metiers/suggestions?q=a").json == []


# -- API ---------------------------------------------------------------------------------------------
def test_api_resolve(client):
    found = client.get("/api/v1/metiers?q=plaquiste").json
    assert found[0] == {"code": "F1604", "libelle": "Montage d'agencements", "niveau": "fiche",
                        "appellation": "Plaquiste", "score": found[0]["score"]}
    assert client.get("/api/v1/metiers?q=K2204").json[0]["code"] == "K2204"
    assert client.get("/api/v1/metiers?q=xyzzy").json == []
    missing = client.get("/api/v1/metiers")
    assert missing.status_code == 422 and "q" in missing.json["errors"]["query"]
    blank = client.get("/api/v1/metiers?q=%20")
    assert blank.status_code == 422 and blank.json["errors"]["query"]["q"] == ["Indiquez un code ROME ou des mots."]


def test_api_metier_detail_and_404(client):
    body = client.get("/api/v1/metiers/F1604").json
    assert [p["code"] for p in body["parents"]] == ["F", "F16"] and body["codes_lies"] == ["F1604", "F16", "F"]
    assert "Plaquiste" in body["appellations"] and body["enfants"] == []
    unknown = client.get("/api/v1/metiers/A9999")
    assert unknown.status_code == 404 and unknown.json["message"].startswith("Code ROME inconnu : A9999")
    assert client.get("/api/v1/metiers/K22O4").status_code == 404


def test_api_offers_near_a_commune(client):
    body = client.get("/api/v1/metiers/F1604/offres?code_commune=37266&rayon_km=30").json
    assert body["metier"]["code"] == "F1604" and body["code_commune"] == "37266" and body["rayon_km"] == 30
    assert body["formations"]["total"] == 2
    items = body["formations"]["items"]
    assert sorted(i["service"]["id"] for i in items) == sorted(PLAQUISTE_VEIGNE)
    assert all(i["codes_rome"] == ["F1604"] and i["distance_km"] <= 30 for i in items)
    assert all(i["service"]["structure"]["nom"] for i in items)
    employers = {i["service"]["id"]: i["codes_rome"] for i in body["immersions"]["items"]}
    assert employers[GEIQ_BTP_37] == ["F16"]
    assert body["decouvrir"]["total"] >= len(body["decouvrir"]["items"]) > 0
    bad = client.get("/api/v1/metiers/F1604/offres?code_commune=99999")
    assert bad.status_code == 422 and "code_commune" in bad.json["errors"]["query"]
    assert client.get("/api/v1/metiers/A9999/offres?code_commune=37266").status_code == 404
