"""The gap brief (« fiche besoin ») of Aveyron × mobilité: HTML and PDF, with the coverage export's figures."""
from __future__ import annotations

import csv
import io
import re
import shutil
import statistics
import subprocess

import pytest
from werkzeug.datastructures import MultiDict

from app.coordination import brief as gap
from app.coordination import report as rep
from app.coordination.views import nombre

ARGS = "departement=12&levier=mobilite"


def export_rows(coordinator, args: str = ARGS) -> list[dict]:
    response = coordinator.get(f"/coordination/couverture.csv?{args}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-chiffre="([a-z_]+)" data-valeur="([^"]*)"', html))


@pytest.fixture(scope="module")
def unmet_search(app, coordinator):
    """A mobility search with no result made from the most populated commune beyond the threshold."""
    rows = export_rows(coordinator)
    gaps = sorted((r for r in rows if r["zone_blanche"] == "oui"), key=lambda r: -int(r["population"]))
    assert gaps, "Aveyron has communes beyond 20 km of a mobility offer in the bundled data"
    code = gaps[0]["code_insee"]
    response = app.test_client().get("/api/v1/search/services", query_string={
        "code_commune": code, "thematiques": "mobilite", "q": "zzqxw wwqyv"})
    assert response.status_code == 200 and response.get_json()["total"] == 0
    return code


@pytest.fixture(scope="module")
def coordinator(app):
    """A module-wide logged-in coordinator (the conftest one is per test)."""
    from app.coordination import users as accounts
    from tests.coordination.conftest import PASSWORD, login

    client = app.test_client()
    email = "brief-coordinator@coordination.test"
    accounts.create_user(app.config["REPERES"].database_url, email, PASSWORD, "coordinator")
    assert login(client, email).status_code == 302
    return client


def test_brief_figures_are_the_coverage_exports(coordinator, unmet_search):
    page = coordinator.get(f"/coordination/fiche-besoin?{ARGS}")
    assert page.status_code == 200
    html = page.text
    rows = export_rows(coordinator)
    gaps = [r for r in rows if r["zone_blanche"] == "oui"]
    f = figures(html)
    population = sum(int(r["population"]) for r in rows)
    beyond = sum(int(r["population"]) for r in gaps)
    assert int(f["population_au_dela"]) == beyond > 0
    assert int(f["communes_au_dela"]) == len(gaps)
    assert int(f["population_au_dela_sans_distance"]) == sum(
        int(r["population"]) for r in gaps if r["offre_a_distance"] == "non")
    assert float(f["part_couverte"]) == pytest.approx((population - beyond) / population)
    median = statistics.median(float(r["distance_km"].replace(",", ".")) for r in rows if r["distance_km"])
    assert float(f["distance_mediane_km"]) == pytest.approx(median, abs=0.01)
    unmet = sum(int(r["recherches_peu_de_resultats"]) for r in rows)
    assert int(f["recherches_peu_de_resultats"]) == unmet >= 1  # the search of the fixture counts
    # the communes listed: the most populated beyond the threshold, with the export's figures
    listed = re.findall(r'<tr data-commune="(\d+)" data-population="(\d+)" data-distance="([^"]*)">', html)
    by_code = {r["code_insee"]: r for r in rows}
    expected = sorted(gaps, key=lambda r: (-int(r["population"]), r["nom"]))[:gap.SHOW_COMMUNES]
    assert [code for code, _, _ in listed] == [r["code_insee"] for r in expected]
    for code, pop, distance in listed:
        assert by_code[code]["zone_blanche"] == "oui" and pop == by_code[code]["population"]
        assert distance.replace(".", ",") == by_code[code]["distance_km"]
    assert f'data-commune="{unmet_search}"' in html
    # the headline figures as people read them
    assert f"{nombre(beyond)}</strong> habitants" in html
    assert "Mobilité" in html and "Aveyron (12)" in html
    assert "Offres existantes les plus proches" in html and 'data-offre="' in html


def test_nearest_offers_are_those_behind_the_reported_distances(db_url):
    report = rep.build(MultiDict({"departement": "12", "levier": "mobilite"}), db_url, 20.0, 3)
    b = gap.build(report, db_url)
    assert b.gaps and b.nearest
    assert {r.code_insee for r in b.gaps} == {r.code_insee for r in report.all_rows if r.zone_blanche}
    for row in b.gaps:
        found = b.nearest_of[row.code_insee]
        if row.distance_km is None:
            assert found is None
        else:
            assert found is not None and found[1] == pytest.approx(row.distance_km, abs=1e-6)
    assert sum(o.population for o in b.nearest) == sum(r.population for r in b.gaps if r.distance_km is not None)
    assert sum(e.population for e in b.epcis) == report.summary["population_au_dela"]


def test_brief_pdf(coordinator, unmet_search):
    response = coordinator.get(f"/coordination/fiche-besoin.pdf?{ARGS}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert "fiche-besoin-departement-12-mobilite" in response.headers["Content-Disposition"]
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext is missing: run `make browser` (installs poppler-utils)", pytrace=False)
    text = subprocess.run([exe, "-layout", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    text = re.sub(r"[\u202f\xa0]", " ", text)
    rows = export_rows(coordinator)
    beyond = sum(int(r["population"]) for r in rows if r["zone_blanche"] == "oui")
    assert "Mobilité : où l'offre manque" in text and "Aveyron (12)" in text
    assert f"{nombre(beyond)} habitants".replace("\u202f", " ") in text
    top = max((r for r in rows if r["zone_blanche"] == "oui"), key=lambda r: int(r["population"]))
    assert top["nom"] in text
    info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", "-"], input=response.data, capture_output=True)
    if info.returncode == 0:
        assert re.search(rb"Pages:\s+1\b", info.stdout), info.stdout  # one page


def test_brief_needs_a_territory_a_need_and_a_login(app, coordinator):
    assert coordinator.get("/coordination/fiche-besoin?departement=12").status_code == 400
    assert coordinator.get("/coordination/fiche-besoin.pdf?levier=mobilite").status_code == 400
    assert app.test_client().get(f"/coordination/fiche-besoin?{ARGS}").status_code == 302
    page = coordinator.get(f"/coordination/couverture?{ARGS}").text
    assert "/coordination/fiche-besoin?" in page
