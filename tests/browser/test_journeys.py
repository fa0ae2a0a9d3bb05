"""An adviser's journeys in a real browser: search, filter, map, selection, share, PDF, service page."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import pdf_text

pytestmark = pytest.mark.browser

CARDS = "article.fiche[data-service-id]"
ADD = f"{CARDS} [data-action='ajouter-selection']"


def search_rodez_numerique(page):
    """From the home page: type Rodez, pick it in the autocomplete, tick Numérique, search."""
    page.locator("#lieu").press_sequentially("Rodez", delay=40)
    option = page.locator("#lieu-suggestions [role='option']").first
    option.wait_for(state="visible")
    assert "Rodez" in option.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("input[name='code_commune']").first.input_value() == "12202"
    page.locator("label[for='levier-numerique']").click()
    assert page.locator("#levier-numerique").is_checked()
    page.locator("form.recherche button[type='submit']").first.click()
    page.wait_for_url(re.compile(r"/recherche\?"))


def test_search_filter_map_selection_share_pdf(new_page, screenshots, browser, live_server):
    page = new_page("/")
    assert page.locator("h1").count() == 1
    screenshots(page, "01-accueil")

    search_rodez_numerique(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["code_commune"] == ["12202"] and query["levier"] == ["numerique"]
    assert "Rodez" in page.locator("h1").inner_text()
    cards = page.locator(CARDS)
    assert cards.count() >= 5

    # The map: our own outlines (no tiles) and one numbered marker per located card.
    page.locator("#carte .leaflet-departements-pane path").first.wait_for(state="attached")
    located = page.locator(f"{CARDS}[data-lat]").count()
    markers = page.locator("#carte .leaflet-marker-icon.marqueur:not(.marqueur--origine)")
    assert located >= 5 and markers.count() == located

    # Filter by a facet: "Gratuit" among the fees.
    before = int(re.match(r"\d+", page.locator("#resultats-titre").inner_text()).group())
    page.locator("#facette-frais label", has_text="Gratuit").click()
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r"frais=gratuit"))
    after = int(re.match(r"\d+", page.locator("#resultats-titre").inner_text()).group())
    assert 0 < after <= before
    assert page.get_by_role("link", name="Retirer le filtre Gratuit").count() == 1
    assert page.locator("#carte .leaflet-marker-icon.marqueur:not(.marqueur--origine)").count() >= 1
    assert page.locator(".pourquoi").count() >= 1  # "pourquoi ce résultat"
    screenshots(page, "02-resultats")

    # Add two services to the selection.
    names = [page.locator(CARDS).nth(i).get_attribute("data-nom") for i in range(2)]
    ids = [page.locator(CARDS).nth(i).get_attribute("data-service-id") for i in range(2)]
    for i in range(2):
        page.locator(ADD).nth(i).click()
    assert page.locator("[data-selection-compte]").first.inner_text() == "2"
    assert "Retirer" in page.locator(ADD).first.inner_text()

    # Open the selection: the browser's ids become the page's link.
    page.goto("/selection")
    page.wait_for_url(re.compile(r"/selection\?ids="))
    items = page.locator(".selection article[data-service-id]")
    assert items.count() == 2
    assert sorted(items.evaluate_all("els => els.map(e => e.dataset.serviceId)")) == sorted(ids)
    assert page.locator("#selection-partagee").is_hidden()
    assert page.locator(".groupe-besoin h2").count() >= 1
    screenshots(page, "04-selection")

    # Share link round trip: another browser (empty storage) opens the link, sees and saves the two.
    link = page.locator("#lien-partage").input_value()
    assert urlsplit(link).path == "/selection" and set(parse_qs(urlsplit(link).query)["ids"][0].split(",")) == set(ids)
    other = new_page(link)
    assert other.locator(".selection article[data-service-id]").count() == 2
    assert other.locator("#selection-partagee").is_visible()
    other.get_by_role("button", name="Enregistrer dans ma sélection").click()
    stored = other.evaluate("() => JSON.parse(localStorage.getItem('reperes.selection.v1')).map(x => x.id)")
    assert sorted(stored) == sorted(ids)
    assert other.locator("#selection-partagee").is_hidden()

    # The PDF: real bytes, with both services' names.
    pdf_href = page.get_by_role("link", name="Télécharger en PDF").get_attribute("href")
    response = page.request.get(pdf_href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = re.sub(r"\s+", " ", pdf_text(body))
    for name in names:
        assert re.sub(r"\s+", " ", name) in text

    # Print stylesheet: the header, buttons and share field are hidden in print.
    page.emulate_media(media="print")
    assert page.locator("header.fr-header").is_hidden()
    assert page.locator(".actions-selection").is_hidden()
    assert page.locator(".selection article[data-service-id]").first.is_visible()
    page.emulate_media(media="screen")


def test_service_page(new_page, screenshots, client):
    html = client.get("/recherche?code_commune=12202&thematiques=numerique").get_data(as_text=True)
    service_id = re.search(r'<article class="fr-card fiche" data-service-id="([^"]+)"', html).group(1)
    page = new_page(f"/services/{service_id}")
    assert page.locator("h1").count() == 1
    for heading in ("Pour qui", "Conditions d'accès", "Comment mobiliser ce service", "Zone d'éligibilité",
                    "Contact", "Horaires", "Source"):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    assert page.locator(".carte-fiche svg").count() == 1
    assert page.get_by_role("link", name="Signaler une erreur").count() == 1
    button = page.locator("[data-action='ajouter-selection']")
    button.click()
    assert page.locator("[data-selection-compte]").first.inner_text() == "1"
    screenshots(page, "03-service")


def test_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/")
        page.fill("#lieu", "Rodez")
        page.locator("label[for='levier-numerique']").click()
        page.locator("form.recherche button[type='submit']").first.click()
        page.wait_for_url(re.compile(r"/recherche\?"))
        assert page.locator(CARDS).count() >= 5
        assert page.locator("#carte .carte__sans-js").is_visible()
        assert page.locator(ADD).first.is_hidden()  # the selection needs JavaScript: no dead button
    finally:
        context.close()


def test_around_me_uses_the_browser_position(new_page):
    page = new_page("/", geolocation={"latitude": 44.3506, "longitude": 2.5750}, permissions=["geolocation"])
    page.get_by_role("button", name="Autour de moi").click()
    page.wait_for_function("() => document.querySelector('input[name=lat]').value !== ''")
    page.locator("label[for='levier-numerique']").click()
    page.locator("form.recherche button[type='submit']").first.click()
    page.wait_for_url(re.compile(r"lat=44\.35"))
    assert "autour de votre position (près de Rodez)" in page.locator("h1").inner_text()
    assert "code_commune=" not in page.url  # empty fields are not sent
    assert page.locator(CARDS).count() >= 5
